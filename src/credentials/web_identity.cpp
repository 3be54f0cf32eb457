// STS AssumeRoleWithWebIdentity (EKS IAM roles for service accounts): a form POST, unsigned, with
// the token read from its file at every fetch (the file is rotated under us).
#include "answer_parsing.hpp"
#include "http_session.hpp"
#include "shared_files.hpp"
#include "sources.hpp"

#include "../codec/printable.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <array>

namespace ddbcache::credentials_sources {
namespace {
namespace asio = boost::asio;

std::string form_value(std::string_view text) { return boost::urls::encode(text, boost::urls::unreserved_chars); }

std::string default_session_name() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall_clock::now().time_since_epoch());
    return "ddbcache-" + std::to_string(ms.count());
}

asio::awaitable<fetched> assume_role(source_settings s, http::endpoint ep, web_identity_settings w, std::string name) {
    std::string refusal;
    const auto token = credentials_files::read_whole_file(w.token_file, credentials_files::max_token_file, refusal);
    if (!token || token->empty())
        co_return fetch_failure(name, "cannot read the token file " + w.token_file + (refusal.empty() ? "" : ": it " + refusal));
    std::string_view trimmed(*token);
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' '))
        trimmed.remove_suffix(1);
    const std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + form_value(w.role_arn) +
                             "&RoleSessionName=" + form_value(w.session_name) +
                             "&WebIdentityToken=" + form_value(trimmed);
    const std::array<http::header_field, 2> headers{{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                                                     {"Accept", "application/xml"}}};
    http_session session(s.executor, ep, s.tls, s.proxies.route(ep));
    std::string why;
    auto a = co_await session.send("POST", ep.target, headers, body, s.sts_timeout, why);
    if (a.ec) co_return fetched{a.ec == asio::error::operation_aborted ? a.ec : error_code(client_errc::credentials_unavailable),
                                name + ": " + ep.host_header + ": " + why, {}, std::nullopt};
    if (a.value.status != 200) codec::redact(a.value.body, trimmed); // STS's message may quote the token it was sent
    fetched f = parse_sts_credentials(name, a.value.body);
    if (f.ec && a.value.status != 200) f.message += " (HTTP " + std::to_string(a.value.status) + ")";
    co_return f;
}

} // namespace

source web_identity_source(const source_settings& s, web_identity_settings w, error_code& ec, std::string& why) {
    const std::string configured = credentials_files::env_or("AWS_ENDPOINT_URL_STS");
    if (configured.empty() && !http::is_valid_region(s.region)) {
        ec = client_errc::invalid_region;
        why = "the STS endpoint cannot be made from an " + http::region_refusal(s.region);
        return {};
    }
    const std::string url = configured.empty() ? "https://sts." + s.region + ".amazonaws.com" : configured;
    http::endpoint ep = http::parse_endpoint(url, ec);
    if (ec) {
        why = "the STS endpoint " + http::url_in_messages(url) + " is not a valid URL";
        return {};
    }
    if (!ep.tls && !ep.is_loopback()) {
        ec = client_errc::plain_http_not_allowed;
        why = "the STS endpoint " + http::url_in_messages(url) + " is plain http to a host that is not loopback";
        return {};
    }
    if (w.session_name.empty()) w.session_name = default_session_name();
    std::string name = "web identity (AssumeRoleWithWebIdentity at " + ep.host_header + ")";
    return {name, [s, ep, w, name]() { return assume_role(s, ep, w, name); }};
}

} // namespace ddbcache::credentials_sources
