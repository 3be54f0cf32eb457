// Credentials kept fresh: fixed ones, or ones fetched from a source and fetched again before they
// expire. A call finds valid credentials without waiting (a mutex and a shared_ptr copy); once
// they are due for refresh, the first call to notice starts one refresh in the background and
// keeps signing with the old ones. Only when nothing valid is left do calls wait, all for the
// same refresh, each until its own deadline or cancellation. A failed refresh keeps the old
// credentials while they are valid and is retried with backoff (1 s doubling to 30 s); calls fail
// only when nothing valid is left.
#pragma once

#include "fetched.hpp"

#include "../async/outcome.hpp"
#include "../async/waiter_queue.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <mutex>

namespace ddbcache::credentials_sources {

// What time it is for expirations; tests pass a clock they move.
using wall_now = std::function<wall_clock::time_point()>;

class refreshing_credentials : public std::enable_shared_from_this<refreshing_credentials> {
public:
    using steady_time = std::chrono::steady_clock::time_point;

    explicit refreshing_credentials(credentials fixed, std::string source_name);
    // Refreshes start `refresh_before_expiry` ahead; calls wait for one only in the last fifth of it.
    refreshing_credentials(boost::asio::any_io_executor executor, std::string source_name, fetcher fetch,
                           wall_clock::duration refresh_before_expiry, wall_now now = wall_clock::now);

    // Valid credentials without waiting, or null when the caller must await current().
    std::shared_ptr<const credentials> try_current();

    // Valid credentials, waiting for a refresh when none are held: until `give_up_at` (then
    // client_errc::timeout) or the caller's cancellation (then operation_aborted), whichever is
    // first. The refresh itself goes on for later calls. On failure `why` names the source and the
    // cause.
    using result = detail::outcome<std::shared_ptr<const credentials>>;
    boost::asio::awaitable<result> current(std::string& why, steady_time give_up_at = steady_time::max());

    // The service called `used` stale (ExpiredToken) before their expiration: they are dropped,
    // unless newer ones replaced them already, so that the next call fetches at once. False for
    // fixed credentials, which no refresh can change.
    bool expire(const std::shared_ptr<const credentials>& used);

    const std::string& source_name() const noexcept { return source_name_; }
    std::size_t fetches() const; // how many times the source was asked (for tests and stats)
    bool refreshing() const;     // whether a fetch is under way (for tests)

private:
    bool usable(wall_clock::time_point now) const;       // under the lock
    bool due(wall_clock::time_point now) const;          // under the lock
    bool start_refresh_if_allowed(wall_clock::time_point now); // under the lock
    boost::asio::awaitable<void> refresh();
    template <class Token> auto wait_for_refresh(steady_time give_up_at, Token&& token);
    error_code failure_now(wall_clock::time_point now, std::string& why) const; // under the lock

    boost::asio::any_io_executor executor_;
    const std::string source_name_;
    const fetcher fetch_;
    const wall_clock::duration refresh_before_, must_wait_within_;
    const wall_now now_;

    mutable std::mutex mutex_;
    std::shared_ptr<const credentials> current_;
    std::optional<wall_clock::time_point> expiration_;
    bool refreshing_ = false;
    unsigned failures_ = 0;
    wall_clock::time_point next_attempt_{};
    std::string last_error_;
    std::size_t fetches_ = 0;
    detail::waiter_queue<> waiters_; // calls waiting for the refresh under way, all woken by its end
};

} // namespace ddbcache::credentials_sources
