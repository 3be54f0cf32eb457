#include "client_impl.hpp"

#include "call_signing.hpp"
#include "client_config.hpp"
#include "../logging.hpp"
#include "../codec/printable.hpp"
#include "../credentials/credentials_chain.hpp"
#include "../credentials/shared_files.hpp"
#include "crc32.hpp"
#include "error_response.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace ddbcache {
namespace asio = boost::asio;
using http::clock;

namespace {

constexpr std::size_t json_padding = 64; // simdjson::SIMDJSON_PADDING, without its header here

[[noreturn]] void throw_config_error(error_code ec, const std::string& what) {
    throw boost::system::system_error(ec, what);
}

// Option values out of range are the caller's mistake: std::invalid_argument, naming the field.
// What the options leave to the environment and the config file is then filled in.
client_options checked_options(client_options o, dynamodb::setting_sources& sources) {
    if (std::string why; dynamodb::check_limits(o, why)) throw std::invalid_argument("ddbcache: " + why);
    // Before anything reads the profile: a misspelt name would otherwise surface as "no AWS region".
    if (std::string why; error_code ec = credentials_files::check_named_profile(o.credentials.profile, why))
        throw_config_error(ec, "ddbcache: " + why);
    if (std::string why; error_code ec = dynamodb::resolve_retry(o, why, &sources)) throw_config_error(ec, "ddbcache: " + why);
    return o;
}

http::pool_options make_pool_options(const client_options& o, const http::tls_options& trust,
                                     std::optional<http::proxy> route) {
    http::pool_options p;
    p.max_connections = o.max_connections;
    p.max_waiters = o.max_waiters;
    p.idle_timeout = o.idle_timeout;
    p.connect_timeout = o.connect_timeout;
    // Deadlines are kept within a tenth of the attempt timeout, at most 10 ms and at least 1 ms late.
    p.deadline_tick = std::clamp<clock::duration>(o.attempt_timeout / 10, std::chrono::milliseconds(1),
                                                  std::chrono::milliseconds(10));
    p.tls = trust;
    p.via = std::move(route);
    return p;
}

// An application ID too long is the caller's mistake when it is an option, the environment's otherwise.
http::proxy_settings checked_proxies(const client_options& o) {
    http::proxy_settings proxies;
    if (std::string why; error_code ec = dynamodb::resolve_proxies(o, proxies, why)) throw_config_error(ec, "ddbcache: " + why);
    return proxies;
}

std::string checked_user_agent(const client_options& o) {
    std::string user_agent, why;
    if (const error_code ec = dynamodb::resolve_user_agent(o, user_agent, why)) {
        if (!o.app_id.empty()) throw std::invalid_argument("ddbcache: " + why); // the option, which wins
        throw_config_error(ec, "ddbcache: " + why);
    }
    return user_agent;
}

dynamodb::configured_endpoint resolved_endpoint(const client_options& o, const std::string& region) {
    dynamodb::configured_endpoint chosen;
    if (std::string why; error_code ec = dynamodb::resolve_endpoint(o, region, chosen, why))
        throw_config_error(ec, "ddbcache: " + why);
    return chosen;
}

http::endpoint checked_endpoint(const dynamodb::configured_endpoint& chosen, const client_options& o) {
    error_code ec;
    http::endpoint ep = http::parse_endpoint(chosen.url, ec);
    if (ec)
        throw std::invalid_argument("ddbcache: " + chosen.source + " '" + http::url_in_messages(chosen.url) +
                                    "' is not a valid endpoint URL (https://host[:port][/path] or http://...)");
    const bool allow_plain_http = o.allow_plain_http_to_remote_hosts;
    if (!ep.tls && !ep.is_loopback() && !allow_plain_http)
        throw_config_error(client_errc::plain_http_not_allowed,
                           "ddbcache: refusing plain http:// to non-loopback host '" + ep.host +
                               "' (set allow_plain_http_to_remote_hosts to allow it)");
    return ep;
}

// The pool, with the proxy route its endpoint takes.
http::connection_pool make_pool(asio::any_io_executor ex, const client_options& o, const dynamodb::configured_endpoint& chosen,
                                const http::tls_options& trust, const http::proxy_settings& proxies) {
    http::endpoint ep = checked_endpoint(chosen, o);
    auto route = proxies.route(ep);
    return http::connection_pool(ex, std::move(ep), make_pool_options(o, trust, std::move(route)));
}

// Checked before anything uses it: the region goes into host names and the signature's scope.
std::string checked_region(const client_options& o, std::string& source) {
    std::string region = dynamodb::resolve_region(o, &source);
    if (region.empty())
        throw_config_error(client_errc::no_region,
                           "ddbcache: no AWS region (set client_options::region, AWS_REGION or AWS_DEFAULT_REGION)");
    if (!http::is_valid_region(region))
        throw_config_error(client_errc::invalid_region, "ddbcache: " + http::region_refusal(region));
    return region;
}

} // namespace

void record(diagnostics* diag, std::string aws_type, std::string message, unsigned status, unsigned attempts) {
    if (!diag) return;
    diag->aws_type = std::move(aws_type);
    diag->message = std::move(message);
    diag->http_status = status;
    diag->attempts = attempts;
}


client::impl::impl(asio::any_io_executor ex, client_options o)
    : executor(ex), options(checked_options(std::move(o), resolved_from)),
      region(checked_region(options, resolved_from.region)),
      endpoint(resolved_endpoint(options, region)), user_agent(checked_user_agent(options)),
      trust(dynamodb::resolve_trust(options)), proxies(checked_proxies(options)),
      pool(make_pool(ex, options, endpoint, trust, proxies)),
      quota(options.retry.quota) {
    if (options.retry.mode == retry_mode::adaptive) rate_limiter = std::make_unique<dynamodb::client_rate_limiter>();
    error_code ec;
    diagnostics diag;
    credentials_sources::source_settings sources{executor, region, trust,
                                                 options.credentials.metadata_timeout,
                                                 std::chrono::duration_cast<std::chrono::milliseconds>(options.call_timeout)};
    sources.clock = options.clock;
    sources.proxies = proxies;
    creds = credentials_sources::choose_credentials(options.credentials, sources, ec, diag);
    if (ec) throw_config_error(ec, "ddbcache: " + diag.message);
}

client::impl::attempt_result client::impl::judge(const http::exchange_result& r, http::response& res,
                                                const credentials& signing, std::chrono::system_clock::time_point sent,
                                                std::chrono::milliseconds signed_with) {
    const unsigned sends = std::max(1u, r.sends);
    if (r.ec) {
        std::string why = r.detail ? r.ec.message() + ": " + r.detail : "";
        if (r.proxy_status) why += " (HTTP " + std::to_string(r.proxy_status) + " from the proxy)";
        // A proxy's refusal carries its status: 5xx (it could not reach DynamoDB) is worth a retry.
        return attempt_result{r.ec, r.stage, r.proxy_status, {}, std::move(why), sends};
    }
    // Moved by this answer, or by another call's since this one was signed (calls under way at
    // once on a skewed host all fail; the first answer teaches the skew to every one of them).
    // An injected clock is DynamoDB's time by definition: nothing to learn.
    const bool learned = !options.clock && skew.learn(res.header("date"), sent, std::chrono::system_clock::now());
    if (learned)
        write_log(options.log, log_level::warning, "client", [&] {
            return "DynamoDB's clock is " + std::to_string(skew.current().count()) +
                   " ms ahead of this host's (negative: behind); requests and cache entries are dated by it";
        });
    const bool skew_moved = learned || skew.current() != signed_with;
    if (!dynamodb::crc32_matches(res.header("x-amz-crc32"), res.body))
        return attempt_result{client_errc::checksum_mismatch, http::failure_stage::none, res.status, {},
                              "response body does not match its x-amz-crc32 header", sends};
    if (res.status / 100 == 2) return attempt_result{{}, http::failure_stage::none, res.status, {}, {}, sends};
    auto err = dynamodb::parse_error_response(res.status, res.body);
    // An InvalidSignatureException may quote the canonical request, whose signed headers include
    // X-Amz-Security-Token: no secret leaves the call in a message.
    codec::redact(err.message, signing.session_token);
    codec::redact(err.message, signing.secret_access_key);
    return attempt_result{err.code, http::failure_stage::none, res.status, std::move(err.aws_type),
                          std::move(err.message), sends, skew_moved};
}

asio::awaitable<error_code> client::impl::wait_for_send_token(asio::steady_timer& timer, clock::time_point call_deadline) {
    const auto wait = rate_limiter->acquire();
    if (wait == clock::duration::zero()) co_return error_code{};
    if (clock::now() + wait >= call_deadline) {
        rate_limiter->release();
        co_return error_code(client_errc::timeout);
    }
    write_log(options.log, log_level::debug, "client", [&] {
        return "adaptive retry mode: the next attempt waits " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) +
               " ms for the client-side rate limit (" + std::to_string(rate_limiter->fill_rate()) + " requests/s)";
    });
    timer.expires_after(wait);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) rate_limiter->release();
    co_return ec;
}

asio::awaitable<detail::outcome<response>> client::impl::call_with_retries(std::string operation, std::string body,
                                                                           diagnostics* diag,
                                                                           dynamodb::operation_recorder& recorder) {
    // The name goes into the X-Amz-Target header; DynamoDB's are plain words (GetItem).
    const auto letter_or_digit = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    if (operation.empty() || !std::all_of(operation.begin(), operation.end(), letter_or_digit)) {
        record(diag, {}, "invalid operation name '" + codec::printable(operation) + "': letters and digits only", 0, 0);
        co_return detail::outcome<response>{client_errc::invalid_header_value, {}};
    }
    const auto call_deadline = clock::now() + options.call_timeout;
    const std::string target = "DynamoDB_20120810." + operation;
    asio::steady_timer backoff_timer(executor);
    int quota_spent = 0;
    unsigned sent = 0; // attempts as the server may have seen them (the pool may resend once)
    bool refreshed_stale = false;
    for (unsigned attempts = 1;; ++attempts) {
        http::response res;
        res.spare_capacity = json_padding; // so that the reserve below costs nothing
        std::shared_ptr<const credentials> signing = creds->try_current();
        if (!signing) {
            std::string why;
            auto fresh = co_await creds->current(why, call_deadline);
            if (fresh.ec) {
                record(diag, {}, std::string(operation).append(" failed: ").append(why), 0, sent);
                co_return detail::outcome<response>{fresh.ec, {}};
            }
            signing = std::move(fresh.value);
        }
        error_code token_ec;
        if (rate_limiter) token_ec = co_await wait_for_send_token(backoff_timer, call_deadline);
        if (token_ec) {
            record(diag, {}, std::string(operation).append(token_ec == client_errc::timeout ?
                  " failed: the client-side rate limit (adaptive retry mode) would hold the next attempt past the call's deadline" :
                  " failed: cancelled while waiting for the client-side rate limit (adaptive retry mode)"), 0, sent);
            co_return detail::outcome<response>{token_ec, {}};
        }
        // One attempt: signed for DynamoDB's time now, sent, and its answer judged.
        dynamodb::signed_call signed_request;
        const auto signed_with = skew.current();
        dynamodb::sign_call(signer, pool.target(), endpoint.signing_region, target, body, *signing, now(), user_agent,
                            signed_request);
        const http::request req{"POST", signed_request.headers(), body, {}};
        const auto sent_at = std::chrono::system_clock::now();
        const http::exchange_result exchanged = co_await pool.exchange(req, res, call_deadline, options.attempt_timeout);
        attempt_result r = judge(exchanged, res, *signing, sent_at, signed_with);
        sent += r.sends;
        recorder.attempts.add(r.sends);
        if (dynamodb::is_throttling(r.ec)) recorder.throttles.add();
        if (rate_limiter) rate_limiter->on_response(dynamodb::is_throttling(r.ec));
        if (!r.ec) {
            quota.on_success(quota_spent);
            record(diag, {}, {}, r.status, sent);
            res.body.reserve(res.body.size() + json_padding);
            co_return detail::outcome<response>{{}, response{std::move(res.body), sent}};
        }
        // Credentials the service calls stale: one refresh and one resend, outside the retry budget.
        if (!refreshed_stale && dynamodb::says_credentials_stale(r.aws_type) && creds->expire(signing)) {
            refreshed_stale = true;
            write_log(options.log, log_level::info, "client",
                      [&] { return std::string(operation).append(": ").append(r.aws_type).append("; fetching new credentials and sending again"); });
            --attempts;
            continue;
        }
        const auto kind = dynamodb::classify_failure(r.ec, r.stage, r.status);
        const std::string cause = r.aws_type.empty() ? (r.message.empty() ? r.ec.message() : r.message)
                                                     : r.aws_type + ": " + r.message;
        auto fail = [&](error_code ec, const std::string& why) {
            std::string message = operation;
            message.append(" failed after ").append(std::to_string(sent));
            message.append(sent == 1 ? " attempt: " : " attempts: ").append(why);
            record(diag, r.aws_type, message, r.status, sent);
            write_log(options.log, log_level::debug, "client", [&] { return message; });
            // A service error's body may hold more (the item that failed a condition).
            if (r.aws_type.empty()) res.body.clear();
            else res.body.reserve(res.body.size() + json_padding);
            return detail::outcome<response>{ec, response{std::move(res.body), sent}};
        };
        if (attempts >= *options.retry.max_attempts) co_return fail(r.ec, cause);
        // Dated by a wrong clock, and the answer told the right time: re-signed at once (no backoff,
        // no quota: the cause is known and gone).
        if (r.skew_moved && dynamodb::may_be_clock_skew(r.aws_type)) {
            write_log(options.log, log_level::info, "client",
                      [&] { return std::string(operation).append(": ").append(cause).append("; re-signed with DynamoDB's time and sent again"); });
            continue;
        }
        if (kind == dynamodb::retry_kind::never) co_return fail(r.ec, cause);
        const int cost = kind == dynamodb::retry_kind::timeout ? dynamodb::retry_quota::timeout_retry_cost
                                                               : dynamodb::retry_quota::retry_cost;
        if (!quota.try_spend(cost)) {
            write_log(options.log, log_level::warning, "client", [&] {
                return std::string(operation).append(": ").append(cause).append("; not retried: the client's retry quota (")
                    .append(std::to_string(options.retry.quota)).append(" tokens) is spent");
            });
            co_return fail(r.ec, cause + " (retry quota exhausted)");
        }
        quota_spent += cost;
        const auto delay = dynamodb::backoff_delay(options.retry, attempts);
        if (clock::now() + delay >= call_deadline) co_return fail(r.ec, cause + " (no time left to retry)");
        write_log(options.log, log_level::debug, "client", [&] {
            return std::string(operation).append(" attempt ").append(std::to_string(attempts)).append(" failed: ")
                .append(cause).append("; retrying in ").append(std::to_string(delay.count())).append(" ms");
        });
        backoff_timer.expires_after(delay);
        auto [wait_ec] = co_await backoff_timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (wait_ec) co_return fail(wait_ec, "cancelled while waiting to retry after " + cause);
    }
}

client::client(asio::any_io_executor executor, client_options options)
    : impl_(std::make_shared<impl>(executor, std::move(options))) {}
client::~client() {
    if (impl_) impl_->pool.close();
}
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

asio::any_io_executor client::get_executor() const noexcept { return impl_->executor; }
const std::string& client::region() const noexcept { return impl_->region; }
std::chrono::system_clock::time_point client::now() const noexcept { return impl_->now(); }
std::chrono::milliseconds client::clock_skew() const noexcept { return impl_->skew.current(); }
const std::string& client::endpoint() const noexcept { return impl_->endpoint.url; }
const client_options& client::options() const noexcept { return impl_->options; }

client_configuration client::configuration() const {
    const impl& i = *impl_;
    client_configuration c;
    c.endpoint = i.endpoint.url;
    c.endpoint_source = i.endpoint.source;
    c.region = i.region;
    c.region_source = i.resolved_from.region;
    c.credentials_source = i.creds->source_name();
    c.mode = *i.options.retry.mode;
    c.retry_mode_source = i.resolved_from.retry_mode;
    c.max_attempts = *i.options.retry.max_attempts;
    c.max_attempts_source = i.resolved_from.max_attempts;
    c.ca_bundle = i.trust.ca_file.empty() ? i.trust.ca_dir : i.trust.ca_file;
    c.ca_bundle_source = i.trust.ca_file_source;
    if (const auto& route = i.pool.options().via) {
        c.proxy = route->display;
        c.proxy_source = route->source;
    } else if (const auto& configured = i.pool.target().tls ? i.proxies.for_https : i.proxies.for_http) {
        c.proxy_source = i.proxies.no_proxy_source + " lists " + codec::printable(i.pool.target().host) + ", so " +
                         configured->source + " is bypassed";
    }
    c.user_agent = i.user_agent;
    return c;
}
void client::close() { impl_->pool.close(); }

client_stats client::stats() const {
    const http::pool_stats s = impl_->pool.stats();
    client_stats out;
    out.connections = {s.open, s.idle, s.waiting, s.opened_total, s.tls_resumed_total, s.requests_total};
    out.operations = impl_->metrics.snapshot();
    return out;
}

void client::call_erased(std::shared_ptr<impl> self, std::string operation, std::string body, diagnostics* diag,
                         handler_for<response> handler) {
    if (diag) diag->clear(); // a reused object must not report an earlier call (say, when this one is cancelled)
    auto executor = self->executor;
    detail::spawn_erased<response>(executor, impl::call(std::move(self), std::move(operation), std::move(body), diag),
                                   std::move(handler));
}

} // namespace ddbcache
