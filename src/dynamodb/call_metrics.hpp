// What the client records per DynamoDB operation for client::stats(): relaxed atomics that calls
// on any thread bump while another thread takes a snapshot, without a lock.
#pragma once

#include "../metrics/recorders.hpp"

#include <ddbcache/error.hpp>

#include <array>
#include <chrono>
#include <string_view>

namespace ddbcache::dynamodb {

// The operation an X-Amz-Target name stands for ("GetItem"); any other name is `other`.
dynamodb_operation operation_named(std::string_view name) noexcept;

// Whether an attempt's error is DynamoDB throttling it (ProvisionedThroughputExceeded, Throttling,
// RequestLimitExceeded).
bool is_throttling(error_code ec) noexcept;

struct operation_recorder {
    metrics::counter calls, failures, attempts, throttles;
    // Capacity units in millionths: DynamoDB reports fractions (0.5 for an eventually consistent
    // read), and an integer adds atomically where a double would need a compare-exchange loop.
    metrics::counter consumed_micro_units;
    metrics::histogram_recorder latency;

    void add_capacity(double units) noexcept;
    dynamodb_operation_stats snapshot() const;
};

class call_metrics {
public:
    operation_recorder& of(dynamodb_operation op) noexcept { return operations_[static_cast<std::size_t>(op)]; }
    std::array<dynamodb_operation_stats, dynamodb_operation_count> snapshot() const;

private:
    std::array<operation_recorder, dynamodb_operation_count> operations_;
};

// One call, from its construction to finish(): counts it, its failure, and its latency.
class call_meter {
public:
    explicit call_meter(operation_recorder& r) noexcept : recorder_(r), start_(std::chrono::steady_clock::now()) {}
    operation_recorder& recorder() const noexcept { return recorder_; }
    void finish(error_code ec) const noexcept {
        recorder_.latency.record(std::chrono::steady_clock::now() - start_);
        if (ec) recorder_.failures.add();
        recorder_.calls.add();
    }

private:
    operation_recorder& recorder_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace ddbcache::dynamodb
