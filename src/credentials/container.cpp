// The container credentials agent (ECS, Fargate, EKS Pod Identity): one GET with an optional
// Authorization header, answered with JSON.
#include "answer_parsing.hpp"
#include "http_session.hpp"
#include "shared_files.hpp"
#include "sources.hpp"

#include "../codec/printable.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <array>

namespace ddbcache::credentials_sources {
namespace {
namespace asio = boost::asio;

constexpr const char* ecs_host = "169.254.170.2";

// Plain http is allowed only to the agents' link-local addresses and to loopback, as in the SDKs.
bool allowed_over_http(const http::endpoint& ep) {
    if (ep.is_loopback()) return true;
    error_code ec;
    const auto address = asio::ip::make_address(ep.host, ec);
    if (ec) return false;
    return address == asio::ip::make_address("169.254.170.2") || address == asio::ip::make_address("169.254.170.23") ||
           address == asio::ip::make_address("fd00:ec2::23");
}

// The authorization token: from its file (read at every fetch, it may be rotated), else the variable.
std::optional<std::string> authorization(const std::string& token_file, const std::string& token, std::string& why) {
    std::string value = token;
    if (!token_file.empty()) {
        std::string refusal;
        auto text = credentials_files::read_whole_file(token_file, credentials_files::max_token_file, refusal);
        if (!text) {
            why = "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + token_file +
                  (refusal.empty() ? "" : ": it " + refusal);
            return std::nullopt;
        }
        value = std::move(*text);
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    }
    if (!http::fits_header_value(value)) {
        why = "the authorization token holds a control character";
        return std::nullopt;
    }
    return value;
}

asio::awaitable<fetched> ask_agent(source_settings s, http::endpoint ep, std::string target, std::string token_file,
                                   std::string token, std::string name) {
    std::string why;
    const std::optional<std::string> auth = authorization(token_file, token, why);
    if (!auth) co_return fetch_failure(name, why);
    const std::array<http::header_field, 2> headers{{{"Accept", "application/json"}, {"Authorization", *auth}}};
    http_session session(s.executor, ep, s.tls);
    auto a = co_await session.send("GET", target, std::span(headers.data(), auth->empty() ? 1 : 2), {},
                                   s.metadata_timeout, why);
    if (a.ec) co_return fetched{a.ec == asio::error::operation_aborted ? a.ec : error_code(client_errc::credentials_unavailable),
                                name + ": " + why, {}, std::nullopt};
    if (a.value.status != 200) {
        codec::redact(a.value.body, *auth); // an error page may echo the Authorization it was sent
        co_return fetch_failure(name, "HTTP " + std::to_string(a.value.status) + ": " + codec::printable(a.value.body));
    }
    co_return parse_json_credentials(name, a.value.body);
}

} // namespace

std::optional<source> container_source_from_env(const source_settings& s, error_code& ec, std::string& why) {
    const std::string relative = credentials_files::env_or("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const std::string full = credentials_files::env_or("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative.empty() && full.empty()) return std::nullopt;
    const std::string url = relative.empty() ? full : std::string("http://") + ecs_host + relative;
    const char* variable = relative.empty() ? "AWS_CONTAINER_CREDENTIALS_FULL_URI" : "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->has_fragment() || !http::has_sound_authority(*parsed)) {
        ec = client_errc::invalid_endpoint;
        why = std::string(variable) + " " + http::url_in_messages(url) + " is not a valid URL";
        return std::nullopt;
    }
    std::string target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
    if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());
    http::endpoint ep = http::parse_endpoint(std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_authority()), ec);
    if (ec) {
        why = std::string(variable) + " " + http::url_in_messages(url) + " is not a usable http(s) URL";
        return std::nullopt;
    }
    if (!ep.tls && !allowed_over_http(ep)) {
        ec = client_errc::plain_http_not_allowed;
        why = std::string(variable) + " host " + codec::printable(ep.host) +
              " is refused over http: only loopback, 169.254.170.2, 169.254.170.23 and fd00:ec2::23 (or https)";
        return std::nullopt;
    }
    const std::string token_file = credentials_files::env_or("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const std::string token = credentials_files::env_or("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    std::string name = "container credentials (" + ep.host_header + ")";
    return source{name, [s, ep, target, token_file, token, name]() {
                      return ask_agent(s, ep, target, token_file, token, name);
                  }};
}

} // namespace ddbcache::credentials_sources
