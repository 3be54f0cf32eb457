#include "latency_histogram.hpp"

namespace ddbcache::tools {

void latency_histogram::merge(const latency_histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
}

std::uint64_t latency_histogram::value_at(double q) const {
    if (total_ == 0) return 0;
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return middle_of(i);
    }
    return max_value;
}

std::uint64_t latency_histogram::lowest_of(std::size_t index) {
    if (index < 2 * sub_buckets) return index;
    const std::uint64_t e = (index - 2 * sub_buckets) / sub_buckets + 1;
    const std::uint64_t mantissa = (index - 2 * sub_buckets) % sub_buckets + sub_buckets;
    return mantissa << e;
}

std::uint64_t latency_histogram::middle_of(std::size_t index) {
    const std::uint64_t low = lowest_of(index);
    return low + (lowest_of(index + 1) - low) / 2;
}

} // namespace ddbcache::tools
