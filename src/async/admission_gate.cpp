#include "admission_gate.hpp"

#include "completion.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ddbcache::detail {
namespace asio = boost::asio;

struct admission_gate::waiter {
    waiter(const asio::any_io_executor& ex, handler_type h) : deadline(ex), handler(std::move(h)) {}
    asio::steady_timer deadline;
    handler_type handler; // constructed, never assigned (Boost 1.81's move-assignment recurses)
    bool done = false;
};

admission_gate::admission_gate(asio::any_io_executor executor, std::size_t limit, std::size_t max_waiting)
    : executor_(std::move(executor)), limit_(std::max<std::size_t>(1, limit)), max_waiting_(max_waiting) {}

bool admission_gate::try_enter() {
    std::lock_guard guard(mutex_);
    if (running_ >= limit_ || waiting_ > 0) return false; // waiters go first
    ++running_;
    return true;
}

void admission_gate::enter(clock::time_point deadline, handler_type handler) {
    std::lock_guard guard(mutex_);
    if (running_ < limit_ && waiting_ == 0) {
        ++running_;
        return post_completion(executor_, std::move(handler), error_code{});
    }
    if (waiting_ >= max_waiting_) return post_completion(executor_, std::move(handler), error_code(client_errc::pool_exhausted));
    auto w = std::make_shared<waiter>(executor_, std::move(handler));
    auto slot = asio::get_associated_cancellation_slot(w->handler);
    if (slot.is_connected()) {
        // Posted: finishing the waiter clears this very slot, which must not happen inside it.
        slot.assign([self = shared_from_this(), weak = std::weak_ptr<waiter>(w)](asio::cancellation_type) {
            asio::post(self->executor_, [self, weak] {
                std::lock_guard relock(self->mutex_);
                if (auto target = weak.lock()) self->finish(*target, asio::error::operation_aborted);
            });
        });
    }
    w->deadline.expires_at(deadline);
    w->deadline.async_wait([self = shared_from_this(), w](error_code ec) {
        std::lock_guard relock(self->mutex_);
        if (!ec) self->finish(*w, client_errc::pool_wait_timeout);
    });
    waiters_.push_back(std::move(w));
    ++waiting_;
}

void admission_gate::finish(waiter& w, error_code ec) {
    if (w.done) return;
    w.done = true;
    --waiting_;
    w.deadline.cancel();
    asio::get_associated_cancellation_slot(w.handler).clear();
    post_completion(executor_, std::move(w.handler), ec);
}

void admission_gate::leave() {
    std::lock_guard guard(mutex_);
    while (!waiters_.empty()) {
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        if (w->done) continue;
        return finish(*w, error_code{}); // the place passes to it: running_ stays
    }
    --running_;
}

} // namespace ddbcache::detail
