#include "client_rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace ddbcache::dynamodb {

client_rate_limiter::client_rate_limiter(std::function<clock::time_point()> now)
    : now_(now ? std::move(now) : [] { return clock::now(); }), start_(now_()) {
    set_fill_rate(1, 0); // the SDKs start the bucket at 1 token per second (unused until enabled)
}

double client_rate_limiter::seconds_now() const { return std::chrono::duration<double>(now_() - start_).count(); }

void client_rate_limiter::refill(double t) {
    if (last_refill_ >= 0) tokens_ = std::min(max_tokens_, tokens_ + (t - last_refill_) * fill_rate_);
    last_refill_ = t;
}

void client_rate_limiter::set_fill_rate(double rate, double t) {
    refill(t); // what accrued so far accrued at the old rate
    fill_rate_ = std::max(rate, min_fill_rate);
    max_tokens_ = std::max(rate, 1.0);
    tokens_ = std::min(tokens_, max_tokens_);
}

double client_rate_limiter::measure(double t) {
    const double bucket = std::floor(t / bucket_seconds) * bucket_seconds;
    counted_ += 1;
    if (bucket > last_bucket_) {
        const double rate = counted_ / (bucket - last_bucket_);
        measured_rate_ = rate * smoothing + measured_rate_ * (1 - smoothing);
        counted_ = 0;
        last_bucket_ = bucket;
    }
    return measured_rate_;
}

client_rate_limiter::clock::duration client_rate_limiter::acquire() {
    const std::lock_guard lock(mutex_);
    const double t = seconds_now(); // under the lock: refills never go back in time
    if (!enabled_) return clock::duration::zero();
    refill(t);
    tokens_ -= 1;
    if (tokens_ >= 0) return clock::duration::zero();
    return std::chrono::ceil<clock::duration>(std::chrono::duration<double>(-tokens_ / fill_rate_));
}

void client_rate_limiter::release() {
    const std::lock_guard lock(mutex_);
    tokens_ = std::min(max_tokens_, tokens_ + 1);
}

void client_rate_limiter::on_response(bool throttled) {
    const std::lock_guard lock(mutex_);
    const double t = seconds_now();
    const double measured = measure(t);
    double rate = 0;
    if (!throttled) {
        rate = scale * std::pow(t - last_throttle_ - time_to_max_, 3) + last_max_rate_;
    } else {
        last_max_rate_ = enabled_ ? std::min(measured, fill_rate_) : measured;
        time_to_max_ = std::cbrt(last_max_rate_ * (1 - beta) / scale);
        last_throttle_ = t;
        rate = last_max_rate_ * beta;
        enabled_ = true;
    }
    set_fill_rate(std::min(rate, max_rate_scale * measured), t);
}

double client_rate_limiter::fill_rate() const {
    const std::lock_guard lock(mutex_);
    return fill_rate_;
}
double client_rate_limiter::measured_rate() const {
    const std::lock_guard lock(mutex_);
    return measured_rate_;
}
bool client_rate_limiter::enabled() const {
    const std::lock_guard lock(mutex_);
    return enabled_;
}
double client_rate_limiter::tokens() const {
    const std::lock_guard lock(mutex_);
    return tokens_;
}

} // namespace ddbcache::dynamodb
