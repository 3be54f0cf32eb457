// One timer for the deadlines of every exchange of a pool, in place of a timer per read and
// write: arming a timer per operation cost a timerfd_settime system call or two per request, and
// a handler per read and write. The watchdog ticks every `tick` while exchanges are under way (it
// stops after a tick that saw none), and cuts those past their deadline. A deadline is therefore
// kept within one tick late, never early. Knows nothing of DynamoDB.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace ddbcache::http {

class deadline_watchdog : public std::enable_shared_from_this<deadline_watchdog> {
public:
    using clock = std::chrono::steady_clock;
    // What to cut, and how: `cut(target, token)` runs at most once, and only while `target` lives,
    // under the watchdog's lock, from whichever thread runs its timer: it must only post the cut to
    // the exchange's own executor. A function pointer and a weak pointer, not a std::function:
    // watching an exchange allocates nothing.
    struct cut_request {
        std::weak_ptr<void> target;
        std::uint64_t token = 0;
        void (*cut)(std::shared_ptr<void> target, std::uint64_t token) = nullptr;
    };

    deadline_watchdog(boost::asio::any_io_executor executor, clock::duration tick);

    // Watches an exchange until unwatch(id); cuts it once the deadline has passed.
    std::uint64_t watch(clock::time_point deadline, cut_request cut);
    void unwatch(std::uint64_t id);

    // Cancels the timer for good (the pool is closing); watched exchanges are no longer cut.
    void stop();

    clock::duration tick() const noexcept { return tick_; }

private:
    struct entry {
        std::uint64_t id;
        clock::time_point deadline;
        cut_request cut;
    };
    void arm(); // under the lock
    void on_tick();

    const clock::duration tick_;
    std::mutex mutex_;
    std::vector<entry> watched_;
    boost::asio::steady_timer timer_;
    std::uint64_t next_id_ = 1;
    bool running_ = false, stopped_ = false, watched_since_tick_ = false;
};

} // namespace ddbcache::http
