// Callers waiting for their turn, in FIFO order, each until it is woken, its deadline passes, or
// its cancellation slot fires (any cancellation type). The admission gate, the connection pool and
// the credentials refresh each keep one.
//
// Locking: the queue has no mutex of its own. It lives under its owner's, so that the owner decides
// "take a free place, or wait" and "give a place back, or hand it to a waiter" in one critical
// section. Every member is called with that mutex held; the queue's own timers and cancellation
// handlers take it. They keep the owner alive (the `owner` given to push) while they are pending.
//
// Completion: never under the lock, never inside the caller's context: posted to the queue's
// executor, then dispatched to the waiter's own (detail::post_completion).
//
// Lifetime: a waiter is owned by its deadline timer's pending wait and the queue holds it weakly,
// so an io_context torn down with callers waiting frees them (and whatever their handlers own).
#pragma once

#include "completion.hpp"

#include <ddbcache/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>

namespace ddbcache::detail {

// What a queue answers besides a wake-up; each owner chooses its own codes.
struct waiter_queue_limits {
    std::size_t max_waiting = std::numeric_limits<std::size_t>::max();
    error_code when_full;   // given at once to a caller that finds max_waiting callers waiting
    error_code at_deadline; // given to a waiter whose deadline passes
};

// `Values` are what a wake-up hands the waiter besides the error code (a connection, say); a
// waiter that fails gets them value-initialised.
template <class... Values>
class waiter_queue {
public:
    using clock = std::chrono::steady_clock;
    using handler_type = boost::asio::any_completion_handler<void(error_code, Values...)>;

    // `guard` is the owner's mutex, held around every call.
    waiter_queue(boost::asio::any_io_executor executor, std::mutex& guard, waiter_queue_limits limits)
        : executor_(std::move(executor)), guard_(guard), limits_(limits) {}

    waiter_queue(const waiter_queue&) = delete;
    waiter_queue& operator=(const waiter_queue&) = delete;

    // Callers still waiting. Also readable without the lock (for statistics).
    std::size_t size() const noexcept { return waiting_.load(std::memory_order_relaxed); }
    bool empty() const noexcept { return size() == 0; }
    bool full() const noexcept { return size() >= limits_.max_waiting; }

    // Queues `handler` behind the others; when the queue is full, completes it with when_full at
    // once instead. It then completes with the first of: a wake-up; at_deadline at `deadline`;
    // operation_aborted when its cancellation slot fires.
    void push(clock::time_point deadline, handler_type handler, std::shared_ptr<const void> owner) {
        namespace asio = boost::asio;
        if (full()) return post_completion(executor_, std::move(handler), limits_.when_full, Values{}...);
        while (!waiters_.empty() && finished(waiters_.front())) waiters_.pop_front();
        auto w = std::make_shared<waiter>(executor_, std::move(handler));
        auto slot = asio::get_associated_cancellation_slot(w->handler);
        if (slot.is_connected()) {
            // Posted: finishing the waiter clears this very slot, which must not happen inside it.
            slot.assign([this, owner, weak = std::weak_ptr<waiter>(w)](asio::cancellation_type) {
                asio::post(executor_, [this, owner, weak] {
                    std::lock_guard relock(guard_);
                    if (auto target = weak.lock()) finish(*target, asio::error::operation_aborted, Values{}...);
                });
            });
        }
        w->deadline.expires_at(deadline);
        w->deadline.async_wait([this, owner = std::move(owner), w](error_code ec) {
            std::lock_guard relock(guard_);
            if (!ec) finish(*w, limits_.at_deadline, Values{}...);
        });
        waiters_.push_back(std::move(w));
        waiting_.fetch_add(1, std::memory_order_relaxed);
    }

    // Completes the first waiter still waiting with (ec, values...). False, with `values` left
    // untouched, when nobody waits.
    bool wake_one(error_code ec, Values&&... values) {
        while (!waiters_.empty()) {
            auto w = waiters_.front().lock();
            waiters_.pop_front();
            if (!w || w->done) continue;
            finish(*w, ec, std::move(values)...);
            return true;
        }
        return false;
    }

    // Completes every waiter with ec (and value-initialised values).
    void wake_all(error_code ec) {
        for (const auto& weak : waiters_)
            if (auto w = weak.lock()) finish(*w, ec, Values{}...);
        waiters_.clear();
    }

private:
    struct waiter {
        waiter(const boost::asio::any_io_executor& ex, handler_type h) : deadline(ex), handler(std::move(h)) {}
        boost::asio::steady_timer deadline;
        handler_type handler; // constructed, never assigned (Boost 1.81's move-assignment recurses)
        bool done = false;
    };

    static bool finished(const std::weak_ptr<waiter>& weak) {
        auto w = weak.lock();
        return !w || w->done;
    }

    void finish(waiter& w, error_code ec, Values... values) {
        if (w.done) return;
        w.done = true;
        waiting_.fetch_sub(1, std::memory_order_relaxed);
        w.deadline.cancel();
        boost::asio::get_associated_cancellation_slot(w.handler).clear();
        post_completion(executor_, std::move(w.handler), ec, std::move(values)...);
    }

    boost::asio::any_io_executor executor_;
    std::mutex& guard_;
    const waiter_queue_limits limits_;
    std::deque<std::weak_ptr<waiter>> waiters_; // may hold finished waiters, skipped lazily
    std::atomic<std::size_t> waiting_{0};
};

} // namespace ddbcache::detail
