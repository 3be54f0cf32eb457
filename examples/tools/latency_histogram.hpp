// A log-linear latency histogram in the manner of HdrHistogram: 128 linear sub-buckets per power
// of two, so any recorded value is known to within 1/128 (0.8 %), in constant memory (about 36 KB
// for values up to 2^40 ns, 18 minutes) and with O(1) recording. One per worker; merged at the end.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace ddbcache::tools {

class latency_histogram {
public:
    static constexpr unsigned sub_bucket_bits = 7;
    static constexpr std::uint64_t sub_buckets = std::uint64_t{1} << sub_bucket_bits; // 128
    static constexpr unsigned max_exponent = 33; // values below 2^(8+33) ns

    void record(std::uint64_t nanoseconds) {
        ++counts_[index_of(std::min(nanoseconds, max_value))];
        ++total_;
    }

    void merge(const latency_histogram& other);

    std::uint64_t count() const { return total_; }

    // The value at quantile q (0..1]: the middle of the bucket holding the rank-q sample; 0 when empty.
    std::uint64_t value_at(double q) const;

    // Bucket layout: values below 256 have a bucket each; above, a value v with bit width
    // 8 + e (e >= 1) falls in bucket 256 + (e - 1) * 128 + (v >> e) - 128. Inline: every
    // recorded value goes through it.
    static std::size_t index_of(std::uint64_t v) {
        if (v < 2 * sub_buckets) return static_cast<std::size_t>(v);
        const auto e = static_cast<unsigned>(std::bit_width(v)) - (sub_bucket_bits + 1);
        return static_cast<std::size_t>(2 * sub_buckets + (e - 1) * sub_buckets + (v >> e) - sub_buckets);
    }
    static std::uint64_t lowest_of(std::size_t index);
    static std::uint64_t middle_of(std::size_t index);

private:
    static constexpr std::uint64_t max_value = (std::uint64_t{1} << (sub_bucket_bits + 1 + max_exponent)) - 1;
    static constexpr std::size_t bucket_count = 2 * sub_buckets + max_exponent * sub_buckets + 1;
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_ = 0;
};

} // namespace ddbcache::tools
