// EC2 instance metadata, IMDSv2: a session token from PUT /latest/api/token, then the role's name
// and its credentials with that token. A 401 means the token expired: one retry with a new one.
#include "answer_parsing.hpp"
#include "http_session.hpp"
#include "shared_files.hpp"
#include "sources.hpp"

#include "../codec/printable.hpp"

#include <array>
#include <cctype>
#include <mutex>

namespace ddbcache::credentials_sources {
namespace {
namespace asio = boost::asio;

constexpr std::chrono::seconds token_ttl{21600};
constexpr const char* credentials_path = "/latest/meta-data/iam/security-credentials/";

// The session token, kept between fetches (refreshes run one at a time, but the lock is cheap).
struct imds_token {
    std::mutex mutex;
    std::string value;
    std::chrono::steady_clock::time_point valid_until{};

    std::string get() {
        std::lock_guard guard(mutex);
        return std::chrono::steady_clock::now() < valid_until ? value : std::string();
    }
    void set(std::string v) {
        std::lock_guard guard(mutex);
        value = std::move(v);
        valid_until = std::chrono::steady_clock::now() + token_ttl - std::chrono::seconds(60);
    }
};

// IAM role names: 1 to 64 of letters, digits and +=,.@_- (no '/', no '..' path).
bool is_role_name(std::string_view role) {
    if (role.empty() || role.size() > 64 || role == "." || role == "..") return false;
    for (char c : role)
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("+=,.@_-").find(c) == std::string_view::npos)
            return false;
    return true;
}

struct imds_fetch {
    source_settings settings;
    http::endpoint ep;
    std::shared_ptr<imds_token> token;
    std::string name;

    using answer = detail::outcome<http_answer>;

    // A GET of `what` with the session token, fetching a new token first when there is none or on
    // a 401. Fails when no answer came, or no token; `why` then names the step and the cause.
    asio::awaitable<answer> get(http_session& session, std::string_view path, const std::string& what,
                                std::string& why) {
        const auto unavailable = [] { return answer{client_errc::credentials_unavailable, {}}; };
        for (int round = 0; round < 2; ++round) {
            std::string value = round == 0 ? token->get() : std::string();
            if (value.empty()) {
                const std::string ttl = std::to_string(token_ttl.count());
                const std::array<http::header_field, 1> ask{{{"X-aws-ec2-metadata-token-ttl-seconds", ttl}}};
                answer t = co_await session.send("PUT", "/latest/api/token", ask, {}, settings.metadata_timeout, why);
                if (t.ec) {
                    why.insert(0, "token request: ");
                    co_return t;
                }
                if (t.value.status != 200) {
                    why = "token request: HTTP " + std::to_string(t.value.status);
                    co_return unavailable();
                }
                if (t.value.body.empty() || !http::fits_header_value(t.value.body)) {
                    why = "token request: the token is empty or holds a control character";
                    co_return unavailable();
                }
                value = t.value.body;
                token->set(std::move(t.value.body));
            }
            const std::array<http::header_field, 1> with{{{"X-aws-ec2-metadata-token", value}}};
            answer a = co_await session.send("GET", path, with, {}, settings.metadata_timeout, why);
            if (a.ec) why.insert(0, ": ").insert(0, what);
            if (a.ec || a.value.status != 401) co_return a;
        }
        why = std::string(path) + ": HTTP 401 twice, with a fresh token";
        co_return unavailable();
    }

    asio::awaitable<fetched> operator()() {
        http_session session(settings.executor, ep, settings.tls);
        std::string why;
        const answer role = co_await get(session, credentials_path, "role name", why);
        if (auto failed = judge(role, why, "role name")) co_return *failed;
        const std::string role_name = role.value.body.substr(0, role.value.body.find_first_of("\r\n"));
        if (role_name.empty()) co_return fetch_failure(name, "no instance role attached (empty role list)");
        // The name goes into the path: IAM's grammar only, so that it cannot climb out of it.
        if (!is_role_name(role_name))
            co_return fetch_failure(name, "the role name " + codec::printable(role_name) + " is not an IAM role name");
        const std::string what = "credentials of role " + codec::printable(role_name);
        const std::string role_path = credentials_path + role_name; // named: it outlives the co_await on GCC 12
        const answer creds = co_await get(session, role_path, what, why);
        if (auto failed = judge(creds, why, what)) co_return *failed;
        co_return parse_json_credentials(name, creds.value.body);
    }

    std::optional<fetched> judge(const answer& a, const std::string& why, const std::string& what) const {
        if (a.ec == asio::error::operation_aborted) return fetched{a.ec, name + ": cancelled", {}, std::nullopt};
        if (a.ec) return fetch_failure(name, why);
        if (a.value.status == 404 && what == "role name") return fetch_failure(name, "no instance role attached (HTTP 404)");
        if (a.value.status != 200) return fetch_failure(name, what + ": HTTP " + std::to_string(a.value.status));
        return std::nullopt;
    }
};

} // namespace

std::optional<source> imds_source_from_env(const source_settings& s, error_code& ec, std::string& why) {
    std::string disabled = credentials_files::env_or("AWS_EC2_METADATA_DISABLED");
    for (char& c : disabled) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (disabled == "true") return std::nullopt;
    const bool ipv6 = credentials_files::env_or("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") == "IPv6";
    const std::string url = credentials_files::env_or("AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                                      ipv6 ? "http://[fd00:ec2::254]" : "http://169.254.169.254");
    http::endpoint ep = http::parse_endpoint(url, ec);
    if (ec) {
        why = "AWS_EC2_METADATA_SERVICE_ENDPOINT " + http::url_in_messages(url) + " is not a valid URL";
        return std::nullopt;
    }
    std::string name = "instance metadata (IMDSv2 at " + ep.host_header + ")";
    return source{name, imds_fetch{s, ep, std::make_shared<imds_token>(), name}};
}

} // namespace ddbcache::credentials_sources
