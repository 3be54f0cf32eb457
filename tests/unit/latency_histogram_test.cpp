// The load tool's histogram: bucket boundaries, precision, quantiles, merging.
#include "latency_histogram.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ddbcache::tools {
namespace {

TEST(LatencyHistogram, EveryValueLandsInABucketThatContainsIt) {
    std::mt19937_64 random(7);
    for (int i = 0; i < 200'000; ++i) {
        const std::uint64_t v = random() >> (random() % 64); // every magnitude
        if (v >= (std::uint64_t{1} << 41)) continue;
        const std::size_t index = latency_histogram::index_of(v);
        ASSERT_LE(latency_histogram::lowest_of(index), v) << v;
        ASSERT_GT(latency_histogram::lowest_of(index + 1), v) << v;
        // Relative precision: the bucket is at most 1/128 of its value wide.
        const auto width = latency_histogram::lowest_of(index + 1) - latency_histogram::lowest_of(index);
        ASSERT_LE(width * 128, std::max<std::uint64_t>(v, 128)) << v;
    }
}

TEST(LatencyHistogram, QuantilesOfAUniformRunAreWithinPrecision) {
    latency_histogram h;
    for (std::uint64_t v = 1; v <= 100'000; ++v) h.record(v * 1000); // 1 µs .. 100 ms
    EXPECT_EQ(h.count(), 100'000u);
    for (const double q : {0.5, 0.9, 0.99, 0.999}) {
        const double expected = q * 100'000 * 1000;
        EXPECT_NEAR(static_cast<double>(h.value_at(q)), expected, expected / 100) << q;
    }
}

TEST(LatencyHistogram, MergingAddsCountsAndAnEmptyOneAnswersZero) {
    latency_histogram a, b;
    EXPECT_EQ(a.value_at(0.5), 0u);
    for (int i = 0; i < 99; ++i) a.record(1000);
    b.record(5'000'000);
    a.merge(b);
    EXPECT_EQ(a.count(), 100u);
    EXPECT_NEAR(static_cast<double>(a.value_at(0.5)), 1000.0, 10.0);
    EXPECT_NEAR(static_cast<double>(a.value_at(1.0)), 5'000'000.0, 5'000'000.0 / 128);
}

TEST(LatencyHistogram, HugeValuesAreClampedNotLost) {
    latency_histogram h;
    h.record(~std::uint64_t{0});
    EXPECT_EQ(h.count(), 1u);
    EXPECT_GT(h.value_at(1.0), std::uint64_t{1} << 40);
}

} // namespace
} // namespace ddbcache::tools
