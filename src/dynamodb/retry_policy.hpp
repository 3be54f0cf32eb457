// The AWS "standard" retry behaviour: what is worth retrying, full-jitter backoff, and a
// client-wide retry quota so that a failing service is not hammered.
#pragma once

#include "../http/message.hpp"

#include <ddbcache/client.hpp>

#include <atomic>
#include <chrono>

namespace ddbcache::dynamodb {

enum class retry_kind { never, throttling, transient, timeout };

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

} // namespace ddbcache::dynamodb
