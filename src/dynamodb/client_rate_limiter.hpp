// The adaptive retry mode's client-side rate limiter, as the AWS SDKs design it: a token bucket
// that every attempt of the client draws from once DynamoDB has throttled it, whose fill rate
// follows a CUBIC curve (RFC 8312's window growth, in requests per second): cut to beta = 0.7 of
// the measured send rate at each throttling answer, then growing back as
// scale * (t - last_throttle - K)^3 + last_max_rate, with scale 0.4 and K the curve's time to
// regain last_max_rate. The send rate is measured in half-second buckets, smoothed by 0.8. The fill
// rate is at least 0.5 tokens per second, never above twice the measured rate; the bucket holds
// max(1, fill rate) tokens.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace ddbcache::dynamodb {

class client_rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    static constexpr double beta = 0.7;             // fraction of the send rate kept after a throttle
    static constexpr double scale = 0.4;            // CUBIC's scaling constant
    static constexpr double smoothing = 0.8;        // weight of the newest send-rate measurement
    static constexpr double bucket_seconds = 0.5;   // the send rate is measured over such buckets
    static constexpr double min_fill_rate = 0.5;    // tokens per second, the floor
    static constexpr double max_rate_scale = 2.0;   // the fill rate stays under this times the measured rate

    // `now` tells the time (tests inject their own); empty: steady_clock::now.
    explicit client_rate_limiter(std::function<clock::time_point()> now = {});

    // Before each attempt: takes a token. Zero when the attempt may go now (always, until the
    // first throttling answer); otherwise the time to wait before sending, the token being
    // reserved for the caller meanwhile (the bucket goes into debt, so waiters go in order).
    clock::duration acquire();
    // A caller that does not send after all (cancelled, or out of time while waiting) gives back
    // the token acquire() reserved.
    void release();
    // After each attempt, with whether DynamoDB throttled it (a transport failure counts as not).
    void on_response(bool throttled);

    // For tests and logs: tokens per second, the measured send rate (answers per second), whether
    // a throttle has switched the bucket on, and the tokens in it as of the last acquire() or
    // on_response() (negative: reserved ahead).
    double fill_rate() const;
    double measured_rate() const;
    bool enabled() const;
    double tokens() const;

private:
    double seconds_now() const; // since construction
    void refill(double t);
    void set_fill_rate(double rate, double t);
    double measure(double t);

    std::function<clock::time_point()> now_;
    clock::time_point start_;
    mutable std::mutex mutex_; // held for a few arithmetic operations; any thread may call
    bool enabled_ = false;
    // The token bucket.
    double fill_rate_ = 0, max_tokens_ = 1, tokens_ = 0, last_refill_ = -1;
    // The send rate.
    double measured_rate_ = 0, last_bucket_ = 0, counted_ = 0;
    // CUBIC: the rate at the last throttle, the time to regain it, when it happened.
    double last_max_rate_ = 0, time_to_max_ = 0, last_throttle_ = 0;
};

} // namespace ddbcache::dynamodb
