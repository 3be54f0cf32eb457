// Lets at most `limit` operations run at once; the others wait, in FIFO order, before they have
// allocated more than their first coroutine frame. Thousands of operations in flight then cost a
// few hundred bytes each while they wait, not the whole stack of frames and buffers of a call
// waiting deep down for a connection. Thread-safe.
#pragma once

#include "waiter_queue.hpp"

#include <ddbcache/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <memory>
#include <mutex>

namespace ddbcache::detail {

class admission_gate : public std::enable_shared_from_this<admission_gate> {
public:
    using clock = std::chrono::steady_clock;

    admission_gate(boost::asio::any_io_executor executor, std::size_t limit, std::size_t max_waiting);

    // Enters at once when there is room (no handler, no post); false when the caller must wait.
    bool try_enter();

    // Waits for room. Completes with no error once entered; pool_exhausted when `max_waiting`
    // operations already wait; pool_wait_timeout at the deadline; operation_aborted when cancelled.
    template <class CompletionToken>
    auto async_enter(clock::time_point deadline, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler, clock::time_point until) { enter(until, handler_type(std::move(handler))); }, token,
            deadline);
    }

    // Gives the place of an operation that entered to the next waiter.
    void leave();

    std::size_t limit() const noexcept { return limit_; }

private:
    using handler_type = waiter_queue<>::handler_type;

    void enter(clock::time_point deadline, handler_type handler);

    boost::asio::any_io_executor executor_;
    const std::size_t limit_;
    std::mutex mutex_;
    std::size_t running_ = 0;
    waiter_queue<> waiters_; // under mutex_
};

// Leaves the gate when destroyed, however the operation ends.
class admission {
public:
    explicit admission(std::shared_ptr<admission_gate> gate) : gate_(std::move(gate)) {}
    ~admission() { gate_->leave(); }
    admission(const admission&) = delete;
    admission& operator=(const admission&) = delete;

private:
    std::shared_ptr<admission_gate> gate_;
};

} // namespace ddbcache::detail
