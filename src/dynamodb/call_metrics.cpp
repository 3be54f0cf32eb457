#include "call_metrics.hpp"

#include <cmath>

namespace ddbcache::dynamodb {

dynamodb_operation operation_named(std::string_view name) noexcept {
    constexpr auto last_named = static_cast<unsigned>(dynamodb_operation::other);
    for (unsigned i = 0; i < last_named; ++i)
        if (to_string(static_cast<dynamodb_operation>(i)) == name) return static_cast<dynamodb_operation>(i);
    return dynamodb_operation::other;
}

bool is_throttling(error_code ec) noexcept {
    return ec == service_errc::provisioned_throughput_exceeded || ec == service_errc::throttling ||
           ec == service_errc::request_limit_exceeded;
}

void operation_recorder::add_capacity(double units) noexcept {
    if (units > 0) consumed_micro_units.add(static_cast<std::uint64_t>(std::llround(units * 1e6)));
}

dynamodb_operation_stats operation_recorder::snapshot() const {
    dynamodb_operation_stats s;
    s.calls = calls.get();
    s.failures = failures.get();
    s.attempts = attempts.get();
    s.throttles = throttles.get();
    s.consumed_capacity_units = static_cast<double>(consumed_micro_units.get()) / 1e6;
    s.latency = latency.snapshot();
    return s;
}

std::array<dynamodb_operation_stats, dynamodb_operation_count> call_metrics::snapshot() const {
    std::array<dynamodb_operation_stats, dynamodb_operation_count> out;
    for (std::size_t i = 0; i < dynamodb_operation_count; ++i) out[i] = operations_[i].snapshot();
    return out;
}

} // namespace ddbcache::dynamodb
