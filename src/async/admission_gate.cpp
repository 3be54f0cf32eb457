#include "admission_gate.hpp"

#include "completion.hpp"

namespace ddbcache::detail {
namespace asio = boost::asio;

admission_gate::admission_gate(asio::any_io_executor executor, std::size_t limit, std::size_t max_waiting)
    : executor_(std::move(executor)), limit_(std::max<std::size_t>(1, limit)),
      waiters_(executor_, mutex_, {max_waiting, client_errc::pool_exhausted, client_errc::pool_wait_timeout}) {}

bool admission_gate::try_enter() {
    std::lock_guard guard(mutex_);
    if (running_ >= limit_ || !waiters_.empty()) return false; // waiters go first
    ++running_;
    return true;
}

void admission_gate::enter(clock::time_point deadline, handler_type handler) {
    std::lock_guard guard(mutex_);
    if (running_ < limit_ && waiters_.empty()) {
        ++running_;
        return post_completion(executor_, std::move(handler), error_code{});
    }
    waiters_.push(deadline, std::move(handler), shared_from_this());
}

void admission_gate::leave() {
    std::lock_guard guard(mutex_);
    if (!waiters_.wake_one({})) --running_; // else the place passes to the waiter: running_ stays
}

} // namespace ddbcache::detail
