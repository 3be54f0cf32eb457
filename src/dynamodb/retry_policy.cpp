#include "retry_policy.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <random>

namespace ddbcache::dynamodb {

retry_kind classify_service_error(service_errc e, unsigned http_status) noexcept {
    switch (e) {
    case service_errc::provisioned_throughput_exceeded:
    case service_errc::throttling:
    case service_errc::request_limit_exceeded:
    case service_errc::transaction_in_progress:
        return retry_kind::throttling;
    case service_errc::internal_server_error:
    case service_errc::service_unavailable:
        return retry_kind::transient;
    default:
        return http_status >= 500 ? retry_kind::transient : retry_kind::never;
    }
}

retry_kind classify_failure(error_code ec, http::failure_stage stage, unsigned http_status) noexcept {
    namespace asio = boost::asio;
    if (ec.category() == service_category()) return classify_service_error(static_cast<service_errc>(ec.value()), http_status);
    if (ec == client_errc::checksum_mismatch || ec == client_errc::bad_response) return retry_kind::transient;
    if (ec == client_errc::timeout)
        return stage == http::failure_stage::receive_after_response ? retry_kind::never : retry_kind::timeout;
    // A proxy that could not reach DynamoDB (502, 503, 504) may next time; its 401, 403 or 407 will not change.
    if (ec == client_errc::proxy_failure) return http_status >= 500 ? retry_kind::transient : retry_kind::never;
    if (ec == asio::error::operation_aborted || ec.category() == client_category()) return retry_kind::never;
    // What is left are transport failures: refused, reset, closed early, unreachable, a cut answer.
    switch (stage) {
    case http::failure_stage::connect:
    case http::failure_stage::send:
    case http::failure_stage::receive_before_response:
    case http::failure_stage::receive_after_response:
        return retry_kind::transient;
    default:
        return retry_kind::never;
    }
}

bool says_credentials_stale(std::string_view aws_type) noexcept {
    return aws_type == "ExpiredTokenException" || aws_type == "ExpiredToken";
}

std::chrono::milliseconds backoff_delay(const retry_options& options, unsigned attempt) {
    thread_local std::minstd_rand random{std::random_device{}()};
    const unsigned shift = std::min(attempt > 0 ? attempt - 1 : 0u, 20u);
    const auto ceiling = std::min<std::int64_t>(options.max_delay.count(),
                                                options.base_delay.count() * (std::int64_t{1} << shift));
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
    return std::chrono::milliseconds(pick(random));
}

bool retry_quota::try_spend(int cost) noexcept {
    int current = tokens_.load(std::memory_order_relaxed);
    while (current >= cost) {
        if (tokens_.compare_exchange_weak(current, current - cost, std::memory_order_relaxed)) return true;
    }
    return false;
}

void retry_quota::on_success(int spent_by_this_call) noexcept {
    const int refund = spent_by_this_call > 0 ? spent_by_this_call : 1;
    int current = tokens_.load(std::memory_order_relaxed);
    while (current < capacity_) {
        const int next = std::min(capacity_, current + refund);
        if (tokens_.compare_exchange_weak(current, next, std::memory_order_relaxed)) return;
    }
}

bool clock_skew::learn(std::string_view date_header, std::chrono::system_clock::time_point sent,
                       std::chrono::system_clock::time_point received) noexcept {
    using namespace std::chrono;
    const auto date = http::parse_http_date(date_header);
    if (!date) return false;
    // The server's time was in [date, date + 1 s) at some moment in [sent, received].
    const auto lowest = duration_cast<milliseconds>(*date - received);
    const auto highest = duration_cast<milliseconds>(*date + seconds(1) - sent);
    // A skew past a day is a server's wrong clock, not this host's: not followed.
    if (lowest > hours(24) || highest < -hours(24)) return false;
    const auto previous = current();
    if (previous >= lowest - tolerance && previous <= highest + tolerance) return false;
    milliseconds_.store((lowest + (highest - lowest) / 2).count(), std::memory_order_relaxed);
    return true;
}

bool may_be_clock_skew(std::string_view aws_type) noexcept {
    // The types the AWS SDKs treat as clock skew (their "clock skew error codes").
    constexpr std::array<std::string_view, 6> types{"InvalidSignatureException", "SignatureDoesNotMatch",
                                                    "RequestTimeTooSkewed",      "RequestExpired",
                                                    "RequestInTheFuture",        "AuthFailure"};
    return std::find(types.begin(), types.end(), aws_type) != types.end();
}

} // namespace ddbcache::dynamodb

namespace ddbcache {

// The call loop's classification, seen from outside a call: the stage of a transport failure is
// gone, and a later call starts from a fresh connection, so every transport failure qualifies.
bool is_retryable(error_code ec, unsigned http_status) noexcept {
    if (!ec || ec == boost::asio::error::operation_aborted) return false;
    if (ec.category() == service_category())
        return dynamodb::classify_service_error(static_cast<service_errc>(ec.value()), http_status) !=
               dynamodb::retry_kind::never;
    if (ec.category() == client_category())
        return ec == client_errc::timeout || ec == client_errc::pool_wait_timeout ||
               ec == client_errc::pool_exhausted || ec == client_errc::bad_response ||
               ec == client_errc::checksum_mismatch || (ec == client_errc::proxy_failure && http_status >= 500);
    namespace error = boost::asio::error;
    // Transport failures a later attempt, on a new connection, may not meet.
    for (const error_code transient :
         {error_code(error::connection_refused), error_code(error::connection_reset), error_code(error::connection_aborted),
          error_code(error::eof), error_code(error::broken_pipe), error_code(error::timed_out),
          error_code(error::network_unreachable), error_code(error::network_down), error_code(error::network_reset),
          error_code(error::host_unreachable), error_code(error::host_not_found_try_again), error_code(error::try_again),
          error_code(boost::beast::http::error::partial_message), error_code(boost::beast::http::error::end_of_stream)})
        if (ec == transient) return true;
    return false;
}

} // namespace ddbcache
