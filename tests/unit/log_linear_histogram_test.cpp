// The library's log-linear histogram (stats.hpp), at the load tool's precision (7 sub-bucket bits)
// and the stats' (3): bucket boundaries, precision, quantiles, merging, clamping.
#include <ddbcache/stats.hpp>

#include <gtest/gtest.h>

#include <random>

namespace ddbcache {
namespace {

template <class Histogram>
class LogLinearHistogram : public testing::Test {};
using precisions = testing::Types<log_linear_histogram<7>, log_linear_histogram<3>>;
TYPED_TEST_SUITE(LogLinearHistogram, precisions);

// Values of every magnitude the histogram holds apart.
template <class Histogram, class F>
void for_random_values(F&& check) {
    std::mt19937_64 random(7);
    for (int i = 0; i < 200'000; ++i) {
        const std::uint64_t v = random() >> (random() % 64);
        if (v <= Histogram::max_value) check(v);
    }
}

TYPED_TEST(LogLinearHistogram, EveryValueLandsInABucketThatContainsIt) {
    using H = TypeParam;
    for_random_values<H>([](std::uint64_t v) {
        const std::size_t index = H::index_of(v);
        ASSERT_LE(H::lowest_of(index), v) << v;
        ASSERT_GT(H::lowest_of(index + 1), v) << v;
    });
}

TYPED_TEST(LogLinearHistogram, ABucketIsAtMostOneSubBucketOfItsValuesWide) {
    using H = TypeParam;
    for_random_values<H>([](std::uint64_t v) {
        const std::size_t index = H::index_of(v);
        const auto width = H::lowest_of(index + 1) - H::lowest_of(index);
        ASSERT_LE(width * H::sub_buckets, std::max<std::uint64_t>(v, H::sub_buckets)) << v;
    });
}

TYPED_TEST(LogLinearHistogram, QuantilesOfAUniformRunAreWithinPrecision) {
    TypeParam h;
    for (std::uint64_t v = 1; v <= 100'000; ++v) h.record(v * 1000); // 1 µs .. 100 ms
    EXPECT_EQ(h.count(), 100'000u);
    for (const double q : {0.5, 0.9, 0.99, 0.999}) {
        const double expected = q * 100'000 * 1000;
        EXPECT_NEAR(static_cast<double>(h.value_at(q)), expected, expected / TypeParam::sub_buckets) << q;
    }
}

TYPED_TEST(LogLinearHistogram, AnEmptyHistogramAnswersZero) {
    const TypeParam h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.value_at(0.5), 0u);
}

TYPED_TEST(LogLinearHistogram, MergingAddsTheOthersCounts) {
    TypeParam a, b;
    for (int i = 0; i < 99; ++i) a.record(1000);
    b.record(5'000'000);
    a.merge(b);
    EXPECT_EQ(a.count(), 100u);
    EXPECT_NEAR(static_cast<double>(a.value_at(0.5)), 1000.0, 1000.0 / TypeParam::sub_buckets);
    EXPECT_NEAR(static_cast<double>(a.value_at(1.0)), 5'000'000.0, 5'000'000.0 / TypeParam::sub_buckets);
}

TYPED_TEST(LogLinearHistogram, CountBelowAPowerOfTwoIsExact) {
    TypeParam h;
    for (std::uint64_t v : {1023u, 1024u, 1025u, 4095u, 4096u}) h.record(v);
    EXPECT_EQ(h.count_below(1024), 1u);
    EXPECT_EQ(h.count_below(4096), 4u);
    EXPECT_EQ(h.count_below(8192), 5u);
}

TYPED_TEST(LogLinearHistogram, HugeValuesAreClampedNotLost) {
    TypeParam h;
    h.record(~std::uint64_t{0});
    EXPECT_EQ(h.count(), 1u);
    EXPECT_EQ(h.count_in(TypeParam::index_of(TypeParam::max_value)), 1u);
    EXPECT_GT(h.value_at(1.0), TypeParam::max_value / 2);
}

} // namespace
} // namespace ddbcache
