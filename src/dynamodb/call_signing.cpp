#include "call_signing.hpp"

namespace ddbcache::dynamodb {

void sign_call(sigv4::signer& signer, const http::endpoint& ep, std::string_view region, std::string_view target,
               std::string_view body, const credentials& creds, std::chrono::system_clock::time_point time,
               std::string_view user_agent, signed_call& out) {
    constexpr std::string_view content_type = "application/x-amz-json-1.0";
    const std::array<sigv4::header, 3> to_sign{
        {{"Host", ep.host_header}, {"Content-Type", content_type}, {"X-Amz-Target", target}}};
    signer.sign({"POST", ep.target, "", to_sign, body, ""}, creds, {region, "dynamodb", time}, out.auth);
    out.fields = {{{"Content-Type", content_type},
                   {"X-Amz-Target", target},
                   {"X-Amz-Date", out.auth.x_amz_date},
                   {"Authorization", out.auth.authorization},
                   {"User-Agent", user_agent},
                   {"X-Amz-Security-Token", out.auth.x_amz_security_token}}};
    out.count = out.auth.x_amz_security_token.empty() ? 5 : 6;
}

} // namespace ddbcache::dynamodb
