#include "connection_pool.hpp"

#include "../async/completion.hpp"
#include "../async/waiter_queue.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <mutex>
#include <vector>

namespace ddbcache::http {
namespace asio = boost::asio;

namespace {

// Waiters get a connection, or (when null) the right to open one.
using connection_waiters = detail::waiter_queue<std::unique_ptr<connection>>;
using acquire_signature = void(error_code, std::unique_ptr<connection>);
using acquire_handler = connection_waiters::handler_type;

void append_head(std::string& head, const endpoint& ep, const std::optional<proxy>& via, const request& req) {
    head.clear();
    const std::string_view target = req.target.empty() ? std::string_view(ep.target) : req.target;
    // Through a proxy, plain HTTP names the whole URL (absolute form); a CONNECT tunnel does not.
    const bool absolute_form = via && !ep.tls;
    std::size_t size = 64 + target.size() + 2 * ep.host_header.size(); // request line, Host, Content-Length
    if (absolute_form) size += via->authorization.size() + 32;
    for (const header_field& h : req.headers) size += h.name.size() + h.value.size() + 4;
    head.reserve(size); // one allocation, not one per doubling
    head.append(req.method).append(" ");
    if (absolute_form) head.append("http://").append(ep.host_header);
    head.append(target).append(" HTTP/1.1\r\nHost: ");
    head.append(ep.host_header).append("\r\n");
    if (absolute_form && !via->authorization.empty())
        head.append("Proxy-Authorization: ").append(via->authorization).append("\r\n");
    for (const header_field& h : req.headers) head.append(h.name).append(": ").append(h.value).append("\r\n");
    head.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n\r\n");
}

// What in the request head would break its framing (a CR or LF starts a header of the text's
// choosing), or null. Checked at the last step before sending, whatever the text came from.
const char* unsafe_head_part(const endpoint& ep, const request& req) {
    const std::string_view target = req.target.empty() ? std::string_view(ep.target) : req.target;
    const auto has_space = [](std::string_view t) { return t.find_first_of(" \t") != std::string_view::npos; };
    if (!fits_header_value(req.method) || has_space(req.method)) return "in the method";
    if (!fits_header_value(target) || has_space(target)) return "in the request target";
    for (const header_field& h : req.headers) {
        if (h.name.empty() || !fits_header_value(h.name) || has_space(h.name) ||
            h.name.find(':') != std::string_view::npos)
            return "in a header name";
        if (!fits_header_value(h.value)) return "in a header value";
    }
    return nullptr;
}

bool is_stale_connection_failure(const exchange_result& r) {
    if (r.ec == asio::error::operation_aborted || r.ec == client_errc::timeout) return false;
    return r.stage == failure_stage::send || r.stage == failure_stage::receive_before_response;
}

error_code map_transport_error(error_code ec) {
    if (ec == boost::beast::error::timeout) return client_errc::timeout;
    return ec;
}

} // namespace

// The pool's state sits behind a mutex rather than on a strand: taking an idle connection, or the
// right to open one, then happens inline, with no post and no handler (a strand would cost two
// hops per acquire and one per release). Only waiting for a connection goes through a handler.
struct connection_pool::state : std::enable_shared_from_this<state> {
    state(asio::any_io_executor ex, endpoint e, pool_options o)
        : executor(ex), ep(std::move(e)), options(std::move(o)),
          tls(ep.tls ? std::make_unique<tls_context>(options.tls) : nullptr),
          waiters(ex, mutex, {options.max_waiters, client_errc::pool_exhausted, client_errc::pool_wait_timeout}),
          reaper(ex), watchdog(std::make_shared<deadline_watchdog>(ex, options.deadline_tick)) {}

    asio::any_io_executor executor;
    endpoint ep;
    pool_options options;
    std::unique_ptr<tls_context> tls;

    std::mutex mutex; // guards what follows, up to the mirrors
    std::vector<std::unique_ptr<connection>> idle; // back = most recently used
    connection_waiters waiters;
    std::size_t open = 0;                           // open, opening or in use
    bool closed = false;
    bool reaper_running = false;
    asio::steady_timer reaper;
    std::shared_ptr<deadline_watchdog> watchdog; // has its own lock

    // Mirrors for stats(), readable from any thread.
    std::atomic<std::size_t> open_mirror{0}, idle_mirror{0}, opened_total{0}, resumed_total{0}, requests_total{0};

    using lock = std::lock_guard<std::mutex>;

    // What an acquire got: a connection (or, when null, the right to open one), an error, or nothing
    // yet (the caller must wait).
    enum class outcome { granted, failed, must_wait };

    // Under the lock.
    outcome try_acquire(std::unique_ptr<connection>& granted, error_code& ec) {
        if (closed) return ec = client_errc::client_closed, outcome::failed;
        drop_expired_idle();
        if (!idle.empty()) {
            granted = std::move(idle.back());
            idle.pop_back();
            publish();
            return outcome::granted;
        }
        if (open < options.max_connections) {
            ++open;
            ++opened_total;
            publish();
            return outcome::granted;
        }
        if (waiters.full()) return ec = client_errc::pool_exhausted, outcome::failed;
        return outcome::must_wait;
    }

    // Takes a connection without waiting when one (or room for one) is free.
    outcome acquire_now(std::unique_ptr<connection>& granted, error_code& ec) {
        lock guard(mutex);
        return try_acquire(granted, ec);
    }

    // Checks again and enqueues under one lock, so that a release in between is never missed.
    void acquire_or_wait(clock::time_point deadline, acquire_handler h) {
        lock guard(mutex);
        std::unique_ptr<connection> granted;
        error_code ec;
        if (try_acquire(granted, ec) == outcome::must_wait) return waiters.push(deadline, std::move(h), shared_from_this());
        complete(std::move(h), ec, std::move(granted));
    }

    // Never runs the caller's code under the lock: posts, then dispatches to the caller's executor.
    void complete(acquire_handler h, error_code ec, std::unique_ptr<connection> c) {
        asio::get_associated_cancellation_slot(h).clear();
        detail::post_completion(executor, std::move(h), ec, std::move(c));
    }

    void publish() {
        open_mirror = open;
        idle_mirror = idle.size();
    }

    void drop_expired_idle() {
        const auto cutoff = clock::now() - options.idle_timeout;
        std::size_t expired = 0;
        while (expired < idle.size() && idle[expired]->idle_since() <= cutoff) ++expired;
        idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(expired));
        open -= expired;
    }

    void start_reaper() {
        if (reaper_running || closed || idle.empty()) return;
        reaper_running = true;
        reaper.expires_after(std::max<clock::duration>(options.idle_timeout / 2, std::chrono::milliseconds(100)));
        reaper.async_wait([self = shared_from_this()](error_code ec) {
            lock guard(self->mutex);
            self->reaper_running = false;
            if (ec) return;
            self->drop_expired_idle();
            self->publish();
            self->start_reaper();
        });
    }

    // A null or unusable connection frees its place for a waiter.
    void release(std::unique_ptr<connection> c) {
        lock guard(mutex);
        if (c && c->reusable() && !closed) {
            if (waiters.wake_one({}, std::move(c))) return publish();
            // wake_one moves `c` only when it returns true (a waiter took it).
            c->mark_idle(); // NOLINT(bugprone-use-after-move)
            idle.push_back(std::move(c));
            start_reaper();
        } else {
            if (closed || !waiters.wake_one({}, nullptr)) --open; // else the waiter's own to open
        }
        publish();
    }

    void close() {
        std::vector<std::unique_ptr<connection>> closing;
        lock guard(mutex);
        closed = true;
        open -= idle.size();
        closing.swap(idle); // closed after the lock is released
        reaper.cancel();
        watchdog->stop();
        waiters.wake_all(client_errc::client_closed);
        publish();
    }
};

namespace {

// Holds a place in the pool; gives it back (connection or not) however the exchange ends.
class lease {
public:
    explicit lease(std::shared_ptr<connection_pool::state> s) : state_(std::move(s)) {}
    ~lease() {
        if (held_) state_->release(std::move(conn));
    }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

    void hold(std::unique_ptr<connection> c) {
        conn = std::move(c);
        held_ = true;
    }
    std::unique_ptr<connection> conn;

private:
    std::shared_ptr<connection_pool::state> state_;
    bool held_ = false;
};

// Waits for a connection (or the right to open one), up to `deadline`; cancellable.
template <class Token>
auto async_wait_for_connection(std::shared_ptr<connection_pool::state> s, clock::time_point deadline, Token&& token) {
    return asio::async_initiate<Token, acquire_signature>(
        [](auto handler, const std::shared_ptr<connection_pool::state>& pool, clock::time_point until) {
            pool->acquire_or_wait(until, acquire_handler(std::move(handler)));
        },
        token, std::move(s), deadline);
}

} // namespace

connection_pool::connection_pool(asio::any_io_executor executor, endpoint ep, pool_options options)
    : state_(std::make_shared<state>(executor, std::move(ep), std::move(options))) {}

connection_pool::~connection_pool() { close(); }

void connection_pool::close() {
    state_->close();
}

pool_stats connection_pool::stats() const {
    return {state_->open_mirror.load(), state_->idle_mirror.load(), state_->waiters.size(),
            state_->opened_total.load(), state_->resumed_total.load(), state_->requests_total.load()};
}

const endpoint& connection_pool::target() const noexcept { return state_->ep; }
const pool_options& connection_pool::options() const noexcept { return state_->options; }

asio::awaitable<exchange_result> connection_pool::exchange(const request& req, response& out,
                                                           clock::time_point give_up_at,
                                                           clock::duration exchange_timeout) {
    auto s = state_;
    if (const char* unsafe = unsafe_head_part(s->ep, req))
        co_return exchange_result{client_errc::invalid_header_value, failure_stage::none, unsafe};
    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<connection> reused;
        error_code acquire_ec;
        if (s->acquire_now(reused, acquire_ec) == state::outcome::must_wait)
            std::tie(acquire_ec, reused) =
                co_await async_wait_for_connection(s, give_up_at, asio::as_tuple(asio::use_awaitable));
        if (acquire_ec) co_return exchange_result{acquire_ec, failure_stage::acquire};
        const auto deadline = std::min(give_up_at, clock::now() + exchange_timeout);
        lease place(s);
        const bool fresh = !reused;
        place.hold(fresh ? std::make_unique<connection>(s->executor, s->tls.get()) : std::move(reused));
        if (fresh) {
            const auto connect_deadline = std::min(deadline, clock::now() + s->options.connect_timeout);
            if (exchange_result opened = co_await place.conn->open(s->ep, s->options.via ? &*s->options.via : nullptr, connect_deadline); opened.ec) {
                opened.ec = map_transport_error(opened.ec);
                co_return opened;
            }
            if (place.conn->resumed_tls_session()) ++s->resumed_total;
        }
        std::string& head = place.conn->head_buffer();
        append_head(head, s->ep, s->options.via, req);
        s->requests_total.fetch_add(1, std::memory_order_relaxed);
        exchange_result r =
            co_await place.conn->exchange(head, req.body, s->options.max_response_body, out, deadline, *s->watchdog);
        r.ec = map_transport_error(r.ec);
        r.sends = static_cast<unsigned>(attempt) + 1;
        // Plain HTTP through a proxy: a 407 is the proxy's answer, not the server's (tinyproxy
        // resets the connection after its head, so the body may be cut).
        if (s->options.via && !s->ep.tls && out.status == 407 &&
            (!r.ec || r.stage == failure_stage::receive_after_response)) {
            r = exchange_result{client_errc::proxy_failure, failure_stage::receive_after_response, proxy_refusal(407),
                                r.sends, 407};
        }
        // A kept-alive connection the server closed in the meantime: once, on a fresh one.
        if (r.ec && !fresh && attempt == 0 && is_stale_connection_failure(r)) continue;
        co_return r;
    }
}

} // namespace ddbcache::http
