// The SigV4 canonicaliser: any method, path, query, headers and body sign without a crash, and the
// signature is 64 hex digits.
#include "fuzz_input.hpp"

#include <sigv4/sigv4.hpp>

#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ddbcache::fuzz::input in(data, size);
    const bool presigned = in.byte() & 1;
    const std::string_view method = in.until('\n'), path = in.until('\n'), query = in.until('\n');
    std::vector<sigv4::header> headers{{"Host", "dynamodb.us-east-1.amazonaws.com"}};
    for (int i = 0; i < 8; ++i) {
        const std::string_view line = in.until('\n');
        if (line.empty()) break;
        const auto colon = line.find(':');
        headers.push_back({line.substr(0, colon), colon == std::string_view::npos ? "" : line.substr(colon + 1)});
    }
    const sigv4::request req{method, path, query, headers, in.rest(), ""};
    const sigv4::credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token"};
    const sigv4::signing_params params{"us-east-1", "dynamodb", std::chrono::system_clock::time_point{}};
    sigv4::signer signer;
    sigv4::signature_details details;
    if (presigned) (void)signer.presign(req, creds, params, std::chrono::seconds(60), &details);
    else (void)signer.sign(req, creds, params, &details);
    if (details.signature.size() != 64) std::abort();
    return 0;
}
