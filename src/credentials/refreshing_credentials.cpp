#include "refreshing_credentials.hpp"

#include "../async/completion.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ddbcache::credentials_sources {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

wall_clock::duration backoff_after(unsigned failures) {
    const auto delay = 1s * (1u << std::min(failures - 1, 5u));
    return std::min<wall_clock::duration>(delay, 30s);
}

using waiter_handler = detail::waiter_queue<>::handler_type;

// Unbounded: every waiter waits for the same refresh, and holds no resource while it waits. A
// function, not a namespace-scope constant: its error_code needs a category, which a client made
// during another translation unit's static initialisation could see still zeroed.
detail::waiter_queue_limits refresh_waits() {
    return {std::numeric_limits<std::size_t>::max(), {}, client_errc::timeout};
}

} // namespace

refreshing_credentials::refreshing_credentials(credentials fixed, std::string source_name)
    : source_name_(std::move(source_name)), refresh_before_(0), must_wait_within_(0), now_(wall_clock::now),
      current_(std::make_shared<const credentials>(std::move(fixed))), waiters_(executor_, mutex_, refresh_waits()) {}

refreshing_credentials::refreshing_credentials(asio::any_io_executor executor, std::string source_name, fetcher fetch,
                                               wall_clock::duration refresh_before_expiry, wall_now now)
    : executor_(std::move(executor)), source_name_(std::move(source_name)), fetch_(std::move(fetch)),
      refresh_before_(refresh_before_expiry), must_wait_within_(refresh_before_expiry / 5), now_(std::move(now)),
      waiters_(executor_, mutex_, refresh_waits()) {}

bool refreshing_credentials::usable(wall_clock::time_point now) const {
    return current_ && (!expiration_ || now < *expiration_ - must_wait_within_);
}

bool refreshing_credentials::due(wall_clock::time_point now) const {
    return expiration_ && now >= *expiration_ - refresh_before_;
}

bool refreshing_credentials::start_refresh_if_allowed(wall_clock::time_point now) {
    if (refreshing_ || !fetch_ || now < next_attempt_) return refreshing_;
    refreshing_ = true;
    ++fetches_;
    // Posted: co_spawn may start the coroutine inline, and a source that fails at once would
    // then take the lock this caller holds.
    asio::post(executor_, [self = shared_from_this()] {
        asio::co_spawn(self->executor_, [self]() { return self->refresh(); }, asio::detached);
    });
    return true;
}

std::shared_ptr<const credentials> refreshing_credentials::try_current() {
    std::lock_guard guard(mutex_);
    const auto now = now_();
    if (!usable(now)) return nullptr;
    if (due(now)) start_refresh_if_allowed(now);
    return current_;
}

asio::awaitable<void> refreshing_credentials::refresh() {
    fetched f;
    try {
        f = co_await fetch_();
    } catch (const std::exception& e) {
        f = fetch_failure(source_name_, e.what());
    }
    if (const char* field = f.ec ? nullptr : unsafe_credentials_field(f.value))
        f = fetch_failure(source_name_, std::string("the ") + field + " it gave holds a control character");
    {
        std::lock_guard guard(mutex_);
        refreshing_ = false;
        const auto now = now_();
        if (!f.ec) {
            current_ = std::make_shared<const credentials>(std::move(f.value));
            expiration_ = f.expiration;
            failures_ = 0;
            last_error_.clear();
            next_attempt_ = now + 1s; // even credentials due at once are not fetched again at every call
        } else {
            ++failures_;
            last_error_ = std::move(f.message);
            next_attempt_ = now + backoff_after(failures_);
        }
        waiters_.wake_all({});
    }
}

// Completes with nothing when the refresh under way ends, client_errc::timeout at `give_up_at`,
// operation_aborted when the caller cancels (as the pool's waiters do).
template <class Token>
auto refreshing_credentials::wait_for_refresh(steady_time give_up_at, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [this, give_up_at](auto handler) {
            std::lock_guard guard(mutex_);
            if (!refreshing_) return detail::post_completion(executor_, waiter_handler(std::move(handler)), error_code());
            waiters_.push(give_up_at, waiter_handler(std::move(handler)), shared_from_this());
        },
        token);
}

error_code refreshing_credentials::failure_now(wall_clock::time_point now, std::string& why) const {
    std::string cause = last_error_.empty() ? source_name_ + ": the credentials it gave expire too soon to use"
                                            : last_error_;
    if (now < next_attempt_) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
        cause += " (next attempt in " + std::to_string(wait.count()) + " ms)";
    }
    why = "no valid credentials: " + cause;
    return client_errc::credentials_unavailable;
}

asio::awaitable<refreshing_credentials::result> refreshing_credentials::current(std::string& why,
                                                                                steady_time give_up_at) {
    for (int round = 0;; ++round) {
        {
            std::lock_guard guard(mutex_);
            const auto now = now_();
            if (usable(now)) {
                if (due(now)) start_refresh_if_allowed(now);
                co_return result{{}, current_};
            }
            // Nothing valid: wait for a refresh (once), unless the source is in its backoff.
            if (round > 0 || !start_refresh_if_allowed(now)) co_return result{failure_now(now, why), nullptr};
        }
        auto [ec] = co_await wait_for_refresh(give_up_at, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            why = ec == client_errc::timeout
                      ? "no valid credentials within the call's time: " + source_name_ + " had not answered yet"
                      : "cancelled while waiting for credentials from " + source_name_;
            co_return result{ec, nullptr};
        }
    }
}

bool refreshing_credentials::expire(const std::shared_ptr<const credentials>& used) {
    std::lock_guard guard(mutex_);
    if (!fetch_) return false;
    if (current_ == used) {
        current_.reset();
        expiration_.reset();
        next_attempt_ = {}; // the answer is news: no backoff
    }
    return true;
}

bool refreshing_credentials::refreshing() const {
    std::lock_guard guard(mutex_);
    return refreshing_;
}

std::size_t refreshing_credentials::fetches() const {
    std::lock_guard guard(mutex_);
    return fetches_;
}

} // namespace ddbcache::credentials_sources
