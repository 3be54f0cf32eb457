// Credentials kept fresh: fixed ones, or ones fetched from a source and fetched again before they
// expire. A call finds valid credentials without waiting (a mutex and a shared_ptr copy); once
// they are due for refresh, the first call to notice starts one refresh in the background and
// keeps signing with the old ones. Only when nothing valid is left do calls wait, all for the
// same refresh. A failed refresh keeps the old credentials while they are valid and is retried
// with backoff (1 s doubling to 30 s); calls fail only when nothing valid is left.
#pragma once

#include "fetched.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace ddbcache::credentials_sources {

struct credentials_result {
    std::shared_ptr<const credentials> value; // null on failure
    error_code ec;
    std::string message; // names the source and the cause
};

class refreshing_credentials : public std::enable_shared_from_this<refreshing_credentials> {
public:
    explicit refreshing_credentials(credentials fixed, std::string source_name);
    // Refreshes start `refresh_before_expiry` ahead; calls wait for one only in the last fifth of it.
    refreshing_credentials(boost::asio::any_io_executor executor, std::string source_name, fetcher fetch,
                           wall_clock::duration refresh_before_expiry);

    // Valid credentials without waiting, or null when the caller must await current().
    std::shared_ptr<const credentials> try_current();

    // Valid credentials, waiting for a refresh when none are held.
    boost::asio::awaitable<credentials_result> current();

    const std::string& source_name() const noexcept { return source_name_; }
    std::size_t fetches() const; // how many times the source was asked (for tests and stats)

private:
    using waiter = boost::asio::any_completion_handler<void()>;

    bool usable(wall_clock::time_point now) const;       // under the lock
    bool due(wall_clock::time_point now) const;          // under the lock
    bool start_refresh_if_allowed(wall_clock::time_point now); // under the lock
    boost::asio::awaitable<void> refresh();
    template <class Token> auto wait_for_refresh(Token&& token);
    credentials_result failure_now(wall_clock::time_point now) const; // under the lock

    boost::asio::any_io_executor executor_;
    const std::string source_name_;
    const fetcher fetch_;
    const wall_clock::duration refresh_before_, must_wait_within_;

    mutable std::mutex mutex_;
    std::shared_ptr<const credentials> current_;
    std::optional<wall_clock::time_point> expiration_;
    bool refreshing_ = false;
    unsigned failures_ = 0;
    wall_clock::time_point next_attempt_{};
    std::string last_error_;
    std::size_t fetches_ = 0;
    std::vector<waiter> waiters_; // built in place, never assigned
};

} // namespace ddbcache::credentials_sources
