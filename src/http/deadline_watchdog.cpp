#include "deadline_watchdog.hpp"

#include <algorithm>

namespace ddbcache::http {

deadline_watchdog::deadline_watchdog(boost::asio::any_io_executor executor, clock::duration tick)
    : tick_(tick), timer_(executor) {}

std::uint64_t deadline_watchdog::watch(clock::time_point deadline, cut_request cut) {
    const std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    watched_.push_back({id, deadline, std::move(cut)});
    watched_since_tick_ = true;
    if (!running_ && !stopped_) arm();
    return id;
}

void deadline_watchdog::unwatch(std::uint64_t id) {
    const std::lock_guard lock(mutex_);
    // Few exchanges are under way at once (one per connection): a linear search is the cheapest.
    const auto it = std::find_if(watched_.begin(), watched_.end(), [id](const entry& e) { return e.id == id; });
    if (it == watched_.end()) return;
    *it = std::move(watched_.back());
    watched_.pop_back();
}

void deadline_watchdog::stop() {
    const std::lock_guard lock(mutex_);
    stopped_ = true;
    timer_.cancel();
}

void deadline_watchdog::arm() {
    running_ = true;
    watched_since_tick_ = false;
    timer_.expires_after(tick_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec) {
            const std::lock_guard lock(self->mutex_);
            self->running_ = false;
            return;
        }
        self->on_tick();
    });
}

void deadline_watchdog::on_tick() {
    const std::lock_guard lock(mutex_);
    running_ = false;
    if (stopped_) return;
    const auto now = clock::now();
    for (std::size_t i = 0; i < watched_.size();) {
        if (watched_[i].deadline > now) {
            ++i;
            continue;
        }
        const cut_request& c = watched_[i].cut;
        if (auto target = c.target.lock()) c.cut(std::move(target), c.token);
        watched_[i] = std::move(watched_.back());
        watched_.pop_back();
    }
    // Ticking on while exchanges come and go keeps the timer armed across them: no system call each.
    if (!watched_.empty() || watched_since_tick_) arm();
}

} // namespace ddbcache::http
