// The client's shared state and its call loop (signing, exchange, checks, retries), for the
// generic call (client.cpp) and the typed operations (operations.cpp).
#pragma once

#include "../async/spawn_erased.hpp"
#include "../credentials/refreshing_credentials.hpp"
#include "../http/connection_pool.hpp"
#include "call_metrics.hpp"
#include "client_config.hpp"
#include "client_rate_limiter.hpp"
#include "retry_policy.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

namespace ddbcache {

struct client::impl : std::enable_shared_from_this<client::impl> {
    impl(boost::asio::any_io_executor ex, client_options o);

    boost::asio::any_io_executor executor;
    dynamodb::setting_sources resolved_from; // filled while the members below are resolved: declared first
    client_options options;
    std::string region;
    dynamodb::configured_endpoint endpoint; // its URL, where it came from and the region signatures name
    std::string user_agent;  // sent with every attempt
    http::tls_options trust; // for DynamoDB and the credentials endpoints
    http::proxy_settings proxies; // for DynamoDB and STS
    http::connection_pool pool;
    sigv4::signer signer;
    std::shared_ptr<credentials_sources::refreshing_credentials> creds;
    dynamodb::retry_quota quota;
    std::unique_ptr<dynamodb::client_rate_limiter> rate_limiter; // in the adaptive retry mode only
    dynamodb::clock_skew skew;
    dynamodb::call_metrics metrics;

    // DynamoDB's time (see client::now).
    std::chrono::system_clock::time_point now() const { return options.clock ? options.clock() : skew.now(); }

    // One attempt's outcome: a transport error, or a response judged by status, checksum and type.
    struct attempt_result {
        error_code ec;
        http::failure_stage stage = http::failure_stage::none;
        unsigned status = 0;
        std::string aws_type, message;
        unsigned sends = 1; // 2 when the pool resent it on a fresh connection
        bool skew_moved = false; // the answer's Date moved the clock skew
    };

    // What an attempt sent at `sent`, signed with the clock skew `signed_with`, came to: learns the
    // skew from the answer's Date, checks its CRC32, reads a service error's type and message.
    attempt_result judge(const http::exchange_result& exchanged, http::response& res, const credentials& signing,
                         std::chrono::system_clock::time_point sent, std::chrono::milliseconds signed_with);

    // Adaptive retry mode (rate_limiter set): waits for a token of the client-side rate limiter.
    // operation_aborted when cancelled; client_errc::timeout, without waiting, when the token
    // comes only after the call's deadline. A token not used is given back.
    boost::asio::awaitable<error_code> wait_for_send_token(boost::asio::steady_timer& timer,
                                                           http::clock::time_point call_deadline);

    // Sends `body` until it succeeds, fails for good, or runs out of attempts, quota or time. On
    // a service error the response still carries the error body (with simdjson's padding).
    // Counts its attempts and throttled attempts in `recorder` (the caller counts the call).
    boost::asio::awaitable<detail::outcome<response>> call_with_retries(std::string operation, std::string body,
                                                                        diagnostics* diag,
                                                                        dynamodb::operation_recorder& recorder);

    // Static, with the owner as a parameter: the coroutine frame keeps the client's state alive.
    static boost::asio::awaitable<detail::outcome<response>> call(std::shared_ptr<impl> self, std::string operation,
                                                                  std::string body, diagnostics* diag) {
        const dynamodb::call_meter meter(self->metrics.of(dynamodb::operation_named(operation)));
        auto outcome = co_await self->call_with_retries(std::move(operation), std::move(body), diag, meter.recorder());
        meter.finish(outcome.ec);
        co_return outcome;
    }
};

namespace detail {
struct client_access {
    static const std::shared_ptr<client::impl>& impl_of(const client& c) noexcept { return c.impl_; }
};
} // namespace detail

// Fills `diag` (when given).
void record(diagnostics* diag, std::string aws_type, std::string message, unsigned status, unsigned attempts);

} // namespace ddbcache
