// The AWS "standard" retry behaviour: what is worth retrying, full-jitter backoff, and a
// client-wide retry quota so that a failing service is not hammered.
#pragma once

#include "../http/message.hpp"

#include <ddbcache/client.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace ddbcache::dynamodb {

enum class retry_kind { never, throttling, transient, timeout };

// The retry kind of a DynamoDB error type (`http_status` decides unknown types: 5xx is transient).
retry_kind classify_service_error(service_errc e, unsigned http_status) noexcept;

// `stage` is how far the HTTP exchange got (none when a response arrived).
retry_kind classify_failure(error_code ec, http::failure_stage stage, unsigned http_status) noexcept;

// Whether an error type says the credentials are stale (expired or revoked early): the SDKs then
// fetch new ones and resend once. aws-sdk-go's list; its "RequestExpired" (EC2's) means clock
// skew for DynamoDB, and is left to that handling.
bool says_credentials_stale(std::string_view aws_type) noexcept;

// A random delay in [0, min(max_delay, base_delay * 2^(attempt-1))].
std::chrono::milliseconds backoff_delay(const retry_options& options, unsigned attempt);

// Token bucket shared by every call of one client: a retry spends tokens (more after a timeout),
// a success earns one back, or refunds what its own retries spent.
class retry_quota {
public:
    explicit retry_quota(unsigned capacity) : capacity_(static_cast<int>(capacity)), tokens_(capacity_) {}

    static constexpr int retry_cost = 5;
    static constexpr int timeout_retry_cost = 10;

    bool try_spend(int cost) noexcept;
    void on_success(int spent_by_this_call) noexcept;
    int available() const noexcept { return tokens_.load(std::memory_order_relaxed); }

private:
    const int capacity_;
    std::atomic<int> tokens_;
};

// DynamoDB's clock minus this host's, learned from the Date header of its answers: after a
// clock-skew error, as the AWS SDKs do, and from every other answer too, so that what is dated by
// it (signatures, cache entries, expiry checks) follows DynamoDB's clock from the first answer on.
// Shared by every call of one client.
class clock_skew {
public:
    // Margin around what an answer allows before the skew moves (clocks tick between the reads).
    static constexpr std::chrono::milliseconds tolerance{1000};

    std::chrono::milliseconds current() const noexcept {
        return std::chrono::milliseconds(milliseconds_.load(std::memory_order_relaxed));
    }
    std::chrono::system_clock::time_point now() const noexcept { return std::chrono::system_clock::now() + current(); }

    // Compares an answer's Date header with this host's clock when the request was `sent` and the
    // answer `received`: the server's clock read that Date (to the second) in between, so a slow
    // answer allows a wide range of skews, and moves the skew only when it is outside them all.
    // True when it moved; false for a Date that does not parse (and leaves it as it was).
    bool learn(std::string_view date_header, std::chrono::system_clock::time_point sent,
               std::chrono::system_clock::time_point received) noexcept;

private:
    std::atomic<std::int64_t> milliseconds_{0};
};

// The error types a wrong clock causes (a request dated too far from DynamoDB's time, such as
// InvalidSignatureException "Signature expired: ..."). Worth re-signing at once when the answer's
// Date moved the skew; not otherwise (the signature is wrong for another reason).
bool may_be_clock_skew(std::string_view aws_type) noexcept;

} // namespace ddbcache::dynamodb
