// ddbcache::lease: a distributed lock held in the cache's table (cache::async_lock), with an owner
// token and a fencing token (Kleppmann, "How to do distributed locking", 2016).
//
// Layout: one item per lock name under key_prefix + "\x1f" "lock:" + name, holding `owner` (S, a
// random 128-bit token), `lease_until` (N, DynamoDB's time in epoch milliseconds) and `fence` (N).
// User keys may not begin with "\x1f", so no key collides with a lock; a clear() of the cache's
// prefix removes its locks (and restarts their fencing tokens). Lock items carry no
// expiration_time: DynamoDB's TTL must not delete the fencing counter.
//
// Rules, each one conditional write: a grant sets owner, lease_until and fence + 1 when the item has
// no owner or its lease_until has passed; extend and release apply only while `owner` and `fence`
// are still this lease's, so nobody extends or releases another's lease, nor their own once
// someone else was granted the lock after it lapsed.
#pragma once

#include <ddbcache/client.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace ddbcache {

// Options of cache::async_lock.
struct lock_options {
    std::chrono::milliseconds ttl{30000}; // how long the lease lasts without an extend (1 ms to 1 year)
    std::chrono::milliseconds wait{0};    // how long to keep trying while another holds it (0: one attempt)
    // Extend the lease by `ttl` every ttl/3 while it is held (until release or destruction); a
    // failed extend stops the heartbeat and leaves expires_at() as it was.
    bool heartbeat = false;
    diagnostics* diag = nullptr; // as call_options::diag
};
static_assert(std::is_trivially_destructible_v<lock_options>);

class cache;

// A held (or once held) lock. Move-only; a default-constructed lease holds nothing. Destroying it
// stops its heartbeat but does not release it (a destructor cannot wait for DynamoDB): the lock
// then lapses after its ttl. Thread safety: the accessors may be called from any thread; the
// asynchronous operations of one lease must not overlap.
class lease {
public:
    lease() = default;
    lease(lease&&) noexcept = default;
    lease& operator=(lease&&) noexcept;
    ~lease();

    // The accessors below require valid().
    bool valid() const noexcept { return state_ != nullptr; }
    const std::string& name() const noexcept;
    // The random token that identifies this holder in the lock item (hex, 32 characters).
    const std::string& owner() const noexcept;
    // Grows by one with every grant of this lock: give it to the resource you protect, which
    // refuses a smaller token than it has seen (a holder whose lease lapsed while it was paused).
    std::int64_t fencing_token() const noexcept;
    // When the lease lapses unless extended, in DynamoDB's time (client::now), as last granted or
    // extended (the heartbeat moves it).
    std::chrono::system_clock::time_point expires_at() const noexcept;

    // Extends the lease to `ttl` from now. True when extended; false when it is no longer this
    // lease's (released, or granted to another after it lapsed). Errors: invalid_argument for a ttl
    // outside 1 ms to 1 year or an empty lease, and the client's errors. Cancellation: as the
    // cache's operations.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_extend(std::chrono::milliseconds ttl, CompletionToken&& token = {}) {
        return async_extend(ttl, call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_extend(std::chrono::milliseconds ttl, const call_options& o, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, bool)>(
            [s = state_](auto handler, diagnostics* d, std::chrono::milliseconds t) {
                start_extend(s, t, d, handler_type(std::move(handler)));
            },
            token, o.diag, ttl);
    }

    // Releases the lock and stops the heartbeat. True when released; false when it was no longer
    // this lease's. Errors: invalid_argument for an empty lease, and the client's errors. A released
    // lease stays valid() for its accessors.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_release(CompletionToken&& token = {}) {
        return async_release(call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_release(const call_options& o, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, bool)>(
            [s = state_](auto handler, diagnostics* d) { start_release(s, d, handler_type(std::move(handler))); },
            token, o.diag);
    }

    struct state;

private:
    friend class cache;
    explicit lease(std::shared_ptr<state> s) : state_(std::move(s)) {}

    using handler_type = boost::asio::any_completion_handler<void(error_code, bool)>;
    static void start_extend(std::shared_ptr<state> s, std::chrono::milliseconds ttl, diagnostics* diag,
                             handler_type handler);
    static void start_release(std::shared_ptr<state> s, diagnostics* diag, handler_type handler);
    static void fail_empty(diagnostics* diag, handler_type handler, const char* operation);

    std::shared_ptr<state> state_;
};

} // namespace ddbcache
