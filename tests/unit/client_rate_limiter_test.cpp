// The adaptive retry mode's client-side rate limiter, on a clock the tests move: no sleeps, and
// every number follows from the times the tests choose.
#include "dynamodb/client_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace ddbcache {
namespace {
using dynamodb::client_rate_limiter;
using namespace std::chrono_literals;

class RateLimiter : public testing::Test {
protected:
    client_rate_limiter::clock::time_point now{};
    client_rate_limiter limiter{[this] { return now; }};

    // One answer every `step` for `duration`, none throttled.
    void answer_steadily(std::chrono::milliseconds step, std::chrono::milliseconds duration) {
        for (auto t = step; t <= duration; t += step) {
            now += step;
            limiter.on_response(false);
        }
    }
    static double seconds(client_rate_limiter::clock::duration d) { return std::chrono::duration<double>(d).count(); }
};

TEST_F(RateLimiter, NothingWaitsBeforeTheFirstThrottlingAnswer) {
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.acquire(), client_rate_limiter::clock::duration::zero());
    answer_steadily(10ms, 2000ms);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.acquire(), client_rate_limiter::clock::duration::zero());
    EXPECT_FALSE(limiter.enabled());
}

TEST_F(RateLimiter, TheSendRateIsMeasuredOverHalfSecondBucketsSmoothedByPointEight) {
    answer_steadily(100ms, 400ms); // four answers within the first bucket: nothing measured yet
    EXPECT_EQ(limiter.measured_rate(), 0);
    now += 100ms; // t = 0.5 s: a new bucket; five answers in 0.5 s = 10 per second
    limiter.on_response(false);
    EXPECT_DOUBLE_EQ(limiter.measured_rate(), 0.8 * 10);
    answer_steadily(100ms, 500ms); // t = 1.0 s
    EXPECT_DOUBLE_EQ(limiter.measured_rate(), 0.8 * 10 + 0.2 * 8);
}

TEST_F(RateLimiter, AThrottleCutsTheFillRateToSevenTenthsOfTheMeasuredRate) {
    answer_steadily(50ms, 3000ms); // 20 answers per second
    now += 50ms;
    limiter.on_response(true);
    EXPECT_TRUE(limiter.enabled());
    const double measured = limiter.measured_rate();
    EXPECT_NEAR(measured, 20, 0.01);
    EXPECT_DOUBLE_EQ(limiter.fill_rate(), 0.7 * measured);
}

TEST_F(RateLimiter, TheFillRateNeverFallsBelowHalfATokenPerSecond) {
    limiter.on_response(true); // at once: nothing measured, a rate of 0
    EXPECT_EQ(limiter.measured_rate(), 0);
    EXPECT_EQ(limiter.fill_rate(), 0.5);
}

TEST_F(RateLimiter, OnceThrottledEachAttemptWaitsItsTurnAtTheFillRate) {
    answer_steadily(50ms, 3000ms);
    limiter.on_response(true);
    const double rate = limiter.fill_rate();
    // The bucket holds at most max(1, rate) tokens; those that are there go at once, then each
    // attempt waits one token's time longer than the one before it.
    int immediate = 0;
    auto wait = limiter.acquire();
    while (wait == client_rate_limiter::clock::duration::zero()) {
        ++immediate;
        wait = limiter.acquire();
    }
    EXPECT_LE(immediate, static_cast<int>(std::max(1.0, rate)));
    for (int i = 0; i < 5; ++i) {
        const auto next = limiter.acquire();
        EXPECT_NEAR(seconds(next) - seconds(wait), 1 / rate, 1e-6);
        wait = next;
    }
    // After that long, the tokens reserved are there: the next attempt waits only for its own.
    now += wait;
    EXPECT_NEAR(seconds(limiter.acquire()), 1 / rate, 1e-6);
}

TEST_F(RateLimiter, AGivenUpTokenGoesBackToTheBucket) {
    limiter.on_response(true); // 0.5 tokens per second
    const auto first = limiter.acquire();
    const auto second = limiter.acquire();
    EXPECT_NEAR(seconds(second) - seconds(first), 2, 1e-6);
    limiter.release(); // the second caller was cancelled
    EXPECT_EQ(limiter.acquire(), second);
}

// After a throttle at rate W, the fill rate follows 0.4 * (t - K)^3 + W, with K = cbrt(W * 0.3 / 0.4):
// below W before K, W at K, above it after; never above twice the measured rate. The client keeps
// answering 20 times a second meanwhile, so the measured rate stays near 20.
TEST_F(RateLimiter, AfterAThrottleTheFillRateGrowsBackAlongTheCubicCurve) {
    answer_steadily(50ms, 3000ms);
    now += 50ms;
    limiter.on_response(true);
    const double max_rate = limiter.measured_rate();
    const double k = std::cbrt(max_rate * (1 - 0.7) / 0.4);
    const auto throttled_at = now;
    const auto answer_until = [&](double seconds_after) {
        const auto until = throttled_at + std::chrono::duration_cast<client_rate_limiter::clock::duration>(
                                              std::chrono::duration<double>(seconds_after));
        while (now + 50ms < until) {
            now += 50ms;
            limiter.on_response(false);
        }
        now = until;
        limiter.on_response(false);
        const double cubic = 0.4 * std::pow(seconds_after - k, 3) + max_rate;
        EXPECT_NEAR(limiter.fill_rate(), std::min(cubic, 2 * limiter.measured_rate()), 1e-6) << seconds_after << " s";
        return limiter.fill_rate();
    };
    EXPECT_LT(answer_until(k / 2), max_rate);
    EXPECT_NEAR(answer_until(k), max_rate, 1e-6);
    EXPECT_GT(answer_until(k + 1), max_rate);
    const double capped = answer_until(k + 60);
    EXPECT_NEAR(capped, 2 * limiter.measured_rate(), 1e-6) << "capped at twice the measured rate";
}

TEST_F(RateLimiter, ASecondThrottleStartsFromTheLowerOfTheMeasuredAndTheFillRate) {
    answer_steadily(50ms, 3000ms);
    now += 50ms;
    limiter.on_response(true);
    const double after_first = limiter.fill_rate(); // 0.7 of about 20, below the measured rate
    now += 10ms;
    limiter.on_response(true);
    EXPECT_LT(after_first, limiter.measured_rate());
    EXPECT_DOUBLE_EQ(limiter.fill_rate(), std::max(0.5, 0.7 * after_first));
}

} // namespace
} // namespace ddbcache
