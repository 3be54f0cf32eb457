// The cache's shared state and its operations, one file per concern:
//   cache.cpp           construction, admission, dispatch of each request type
//   table_bootstrap.cpp creating the table when it is missing
//   single_key.cpp      get, has, set, add, erase
//   counters.cpp        inc, dec
//   batches.cpp         get_many, get_dict, set_many, erase_many
//   clear.cpp           clear
//   expiration.cpp      touch, sliding expiration
//   locks.cpp           lock, lease extend and release, the heartbeat
//   cache_aside.cpp     get_or_set: single-flight, fleet-wide lease, early refresh, fail-safe
//   large_values.cpp    values across several items: chunks, the versioned head, clean-up
//   value_compression.cpp zstd frames of stored values
//   near_cache.cpp      the near cache (SIEVE, sharded)
//   observability.cpp   stats, the metrics hook, outcomes of operations
#pragma once

#include "../async/admission_gate.hpp"
#include "../async/spawn_erased.hpp"
#include "../metrics/recorders.hpp"
#include "item_layout.hpp"
#include "near_cache.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ddbcache {

namespace cache_limits {
// Our own bounds (DynamoDB's are in dynamodb/limits.hpp).
inline constexpr std::size_t erase_window = 64;      // conditional deletes of one erase_many in flight at once
inline constexpr int counter_rounds = 2000;          // compare-and-swap rounds of one inc before it gives up
inline constexpr int table_status_polls = 600;       // DescribeTable polls while a new table is CREATING (about a minute)
inline constexpr int batch_rounds_without_progress = 12; // batch rounds in a row that leave as much unprocessed
inline constexpr std::chrono::milliseconds max_lease_ttl = std::chrono::hours(24 * 365); // lock and lease ttl
// Pauses between attempts to take a held lock or lease, or to read the value its holder computes.
inline constexpr retry_options contention_backoff{0, std::chrono::milliseconds(25), std::chrono::milliseconds(1000), 0, {}};
} // namespace cache_limits

// The outcome of one attempt to take a lock.
struct lock_grant {
    bool granted = false;
    std::int64_t fence = 0;
    std::int64_t until_ms = 0; // the lease_until written (DynamoDB's time, epoch ms)
};

// now + d, clamped to a century so that "wait forever" (milliseconds::max()) does not overflow.
inline std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds d) {
    constexpr std::chrono::milliseconds century = std::chrono::hours(24 * 365 * 100);
    return std::chrono::steady_clock::now() + std::min(d, century);
}

// 128 random bits in hex, naming the holder of a lock or lease (locks.cpp).
std::string new_owner_token();

// Steps of the composed operations (get_or_set, lock, a lease's extend and release), each run
// through admission like a public request.
namespace internal_requests {
// The item, expired or not (nullopt when absent).
// With load_large, a large value's head comes with its chunks read into its response.
struct read_entry { using result = std::optional<item>; std::string full; bool consistent; bool load_large = true; };
// One conditional PutItem of an item built for get_or_set.
// With delete_replaced_chunks (the raw codec), a large value's head it replaces loses its chunks.
struct put_entry { using result = bool; item attributes; bool delete_replaced_chunks = false; };
// A large value (a head from build_item, and its bytes), stored as set stores it.
struct put_large_entry { using result = bool; item head; std::string stored; };
struct grant { using result = lock_grant; std::string full, owner; std::chrono::milliseconds ttl; };
// Sets lease_until to until_ms, which the caller computes before sending: the holder's belief
// must not outlast what is stored.
struct extend { using result = bool; std::string full, owner; std::int64_t fence; std::int64_t until_ms; };
struct release { using result = bool; std::string full, owner; std::int64_t fence; };
} // namespace internal_requests

using detail::outcome;

// Fills `diag` with a library-side failure (no AWS type) and returns the outcome.
template <class T>
outcome<T> failure(diagnostics* diag, error_code ec, std::string why) {
    if (diag) {
        diag->clear();
        diag->message = std::move(why);
    }
    return {ec, {}};
}

boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

// Runs `task`, then resumes on `group` however it ended, by a post: even a task that completed
// without suspending, during the launch, reaches in_parallel's group only once the launch is over.
template <class T>
boost::asio::awaitable<outcome<T>> finishing_on(boost::asio::strand<boost::asio::any_io_executor> group,
                                              boost::asio::awaitable<outcome<T>> task) {
    namespace asio = boost::asio;
    std::exception_ptr failure;
    outcome<T> result;
    try {
        result = co_await std::move(task);
    } catch (...) {
        failure = std::current_exception();
    }
    co_await asio::this_coro::throw_if_cancelled(false); // the hop must happen, and keeps the task's own outcome
    co_await asio::post(asio::bind_executor(group, asio::use_awaitable));
    if (failure) std::rethrow_exception(failure);
    co_return result;
}

// Runs the tasks at once on the caller's executor; their outcomes in the tasks' order. Boost
// 1.81's parallel_group registers its cancellation handler in the caller's slot only after
// launching the operations (asio issue #1630): on an io_context run by several threads, the group
// could complete and the caller move on before that write into its slot, which then corrupted
// memory (a crash in the large-values fault test). So the group is launched from a strand of its
// own and each task's completion is posted to it: none runs before the launch is over.
template <class T>
boost::asio::awaitable<std::vector<outcome<T>>> in_parallel(std::vector<boost::asio::awaitable<outcome<T>>> tasks) {
    namespace asio = boost::asio;
    std::vector<outcome<T>> results;
    if (tasks.empty()) co_return results;
    const auto ex = co_await asio::this_coro::executor;
    const auto group = asio::make_strand(ex);
    using task_op = decltype(asio::co_spawn(ex, finishing_on<T>(group, std::move(tasks.front())), asio::deferred));
    std::vector<task_op> ops;
    ops.reserve(tasks.size());
    for (auto& t : tasks) ops.push_back(asio::co_spawn(ex, finishing_on<T>(group, std::move(t)), asio::deferred));
    co_await asio::dispatch(asio::bind_executor(group, asio::use_awaitable));
    auto [order, exceptions, values] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                           .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    for (auto& e : exceptions)
        if (e) std::rethrow_exception(e);
    co_return std::move(values);
}

// Tasks run in parallel each write their own diagnostics (they may run on several threads, and a
// later success would clear an earlier failure's): the first failure's go to the caller's `diag`.
template <class T>
error_code first_failure(const std::vector<outcome<T>>& results, std::vector<diagnostics>& each, diagnostics* diag) {
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (!results[i].ec) continue;
        if (diag) *diag = std::move(each[i]);
        return results[i].ec;
    }
    return {};
}

// What the near cache must forget once a write of this process completes (done or not).
struct near_writes {
    bool everything = false;        // clear
    std::vector<std::string> keys;  // the caller's keys (the near cache is keyed without the prefix)
};

// The counters behind cache::stats() (observability.cpp).
struct operation_metrics {
    std::array<std::array<metrics::counter, operation_outcome_count>, cache_operation_count> outcomes;
    std::array<metrics::histogram_recorder, cache_operation_count> latency;
    metrics::counter stale_served, lease_waits;
    // Near-cache hits, apart: they come from every thread at once, at millions per second.
    metrics::striped_counter near_get_hits, near_get_misses, near_get_or_set_hits;
};

// How an error ends an operation, for the stats.
operation_outcome outcome_of_error(error_code ec) noexcept;

struct cache::impl : std::enable_shared_from_this<cache::impl> {
    impl(std::shared_ptr<client> dynamodb, cache_options o);

    cache_options options;
    std::shared_ptr<client> dynamodb;
    std::shared_ptr<detail::admission_gate> gate;
    std::unique_ptr<near_cache> near; // null when off
    std::unique_ptr<operation_metrics> metrics = std::make_unique<operation_metrics>();

    // get_or_set's computations under way in this process, by full key (cache_aside.cpp).
    struct flight;
    std::mutex flights_mutex;
    std::unordered_map<std::string, std::shared_ptr<flight>> flights;
    std::unordered_set<std::string> refreshing; // keys being refreshed early

    template <class T>
    using awaitable_outcome = boost::asio::awaitable<outcome<T>>;

    // Admission, the table's bootstrap, then the operation (cache.cpp). Static, with the owner as a
    // parameter: the coroutine frame keeps the cache's state alive.
    template <class Request>
    static awaitable_outcome<typename Request::result> run_admitted(std::shared_ptr<impl> self, Request request,
                                                                    diagnostics* diag) {
        using result = typename Request::result;
        impl& c = *self; // `self` in this frame keeps the cache's state alive
        if (!c.gate->try_enter()) { // the common case enters without a coroutine of its own
            const outcome<bool> entered = co_await c.wait_at_gate(diag);
            if (entered.ec) co_return outcome<result>{entered.ec, {}};
        }
        detail::admission leave_when_done(c.gate);
        outcome<result> r = co_await c.run(request, diag);
        // A missing table is created (when the options allow) and the operation runs again.
        if (r.ec != service_errc::resource_not_found || !c.options.create_table) co_return r;
        if (error_code ec = co_await c.create_table(diag)) co_return outcome<result>{ec, {}};
        co_return co_await c.run(request, diag);
    }

    // Waits for room under max_in_flight (up to call_timeout, behind at most max_waiters others).
    awaitable_outcome<bool> wait_at_gate(diagnostics* diag);

    // Composed operations (get_or_set, lock) run without holding a place themselves: each of their
    // DynamoDB steps is admitted on its own, so that waiting for a lease or a computation never
    // keeps other operations out.
    template <class Request>
    static awaitable_outcome<typename Request::result> run_composed(std::shared_ptr<impl> self, Request request,
                                                                    diagnostics* diag) {
        co_return co_await self->run(request, diag);
    }

    // ---- one function per request type ----
    awaitable_outcome<value> run(const cache_requests::get&, diagnostics*);
    awaitable_outcome<bool> run(const cache_requests::has&, diagnostics*);
    awaitable_outcome<bool> run(const cache_requests::set&, diagnostics*);
    awaitable_outcome<bool> run(const cache_requests::add&, diagnostics*);
    awaitable_outcome<bool> run(const cache_requests::erase&, diagnostics*);
    awaitable_outcome<std::int64_t> run(const cache_requests::inc&, diagnostics*);
    awaitable_outcome<std::int64_t> run(const cache_requests::dec&, diagnostics*);
    awaitable_outcome<values> run(const cache_requests::get_many&, diagnostics*);
    awaitable_outcome<value_map> run(const cache_requests::get_dict&, diagnostics*);
    awaitable_outcome<keys> run(const cache_requests::set_many&, diagnostics*);
    awaitable_outcome<keys> run(const cache_requests::erase_many&, diagnostics*);
    awaitable_outcome<bool> run(const cache_requests::clear&, diagnostics*);
    awaitable_outcome<bool> run(const cache_requests::touch&, diagnostics*);
    awaitable_outcome<get_or_set_result> run(const cache_requests::get_or_set&, diagnostics*);
    awaitable_outcome<lease> run(const cache_requests::lock&, diagnostics*);
    awaitable_outcome<std::optional<item>> run(const internal_requests::read_entry&, diagnostics*);
    awaitable_outcome<bool> run(const internal_requests::put_entry&, diagnostics*);
    awaitable_outcome<bool> run(const internal_requests::put_large_entry&, diagnostics*);
    awaitable_outcome<lock_grant> run(const internal_requests::grant&, diagnostics*);
    awaitable_outcome<bool> run(const internal_requests::extend&, diagnostics*);
    awaitable_outcome<bool> run(const internal_requests::release&, diagnostics*);

    // ---- keys, items and values (cache.cpp) ----
    std::string full_key(const std::string& key) const { return options.key_prefix + key; }
    // The item of get_or_set's fleet-wide lease on a full key.
    std::string lease_key_of(const std::string& full) const {
        return cache_layout::reserved_key(options.key_prefix, "lease",
                                          std::string_view(full).substr(options.key_prefix.size()));
    }
    // Checks a caller's key (empty is refused even with a prefix) and its prefixed form.
    static error_code check_key(const std::string& key, const std::string& full, std::string& why);
    item key_item(const std::string& full) const { return item{{options.key_field, attribute_value::S(full)}}; }
    std::int64_t timeout_seconds(timeout_option t) const { return (t ? *t : options.default_timeout).count(); }
    // The value as stored: the codec's bytes, compressed when the options say so. Fails with
    // item_too_large over max_value_size (when large values are on).
    error_code encode(const std::string& full, std::string_view v, cache_layout::stored_value& out,
                      std::string& why) const;
    // The stored value of an item: nullopt for a stored None; unsupported_value for what the
    // codec cannot read.
    error_code decode(const item& it, std::optional<std::string>& out, std::string& why) const; // `why` names the key
    error_code decode_value(const item& it, std::optional<std::string>& out, std::string& why) const;
    // DynamoDB's time, not this host's (see client::now): entries last as long on any host.
    cache_layout::wall_clock::time_point now() const { return dynamodb->now(); }
    // The key of an item from the table, or null: a misbehaving server may leave it out.
    const std::string* key_of(const item& it) const;
    std::string no_key_attribute(const char* operation) const;

    // ---- the table (table_bootstrap.cpp) ----
    // Creates the table (or waits for the one another caller is creating) and enables TTL.
    boost::asio::awaitable<error_code> create_table(diagnostics* diag);

    // ---- single keys (single_key.cpp) ----
    awaitable_outcome<item> get_item(std::string full, bool only_expiration, bool consistent, diagnostics* diag);
    awaitable_outcome<bool> put_dated(const std::string& key, const std::string& v, timeout_option timeout,
                                      bool only_if_absent, diagnostics* diag);
    awaitable_outcome<bool> put(const std::string& key, const std::string& v, timeout_option timeout,
                                bool only_if_absent, cache_layout::wall_clock::time_point now,
                                std::optional<std::string> replacing, diagnostics* diag);
    awaitable_outcome<bool> put_over_head(const std::string& full, const std::string& v, timeout_option timeout,
                                          cache_layout::wall_clock::time_point now, diagnostics* diag);
    awaitable_outcome<bool> wrote_it_earlier(const std::string& full, const item& written, std::optional<item> existing,
                                             diagnostics& d);
    static bool is_same_write(const item& existing, const item& written);

    // ---- counters (counters.cpp) ----
    awaitable_outcome<std::int64_t> add_to_counter(const std::string& key, std::int64_t delta, bool subtract,
                                                   diagnostics* diag);
    error_code integer_value(const std::string& full, const item& it, std::int64_t& out, std::string& why) const;

    // ---- batches (batches.cpp) ----
    awaitable_outcome<std::vector<item>> batch_get(std::vector<item> keys, diagnostics* diag);
    awaitable_outcome<bool> batch_write(std::vector<write_request> writes, diagnostics* diag);
    // Full keys of `ks`, each checked; duplicates kept (callers dedupe as they need).
    error_code full_keys(const keys& ks, std::vector<std::string>& out, std::string& why) const;

    // ---- expiration (expiration.cpp) ----
    bool sliding() const { return options.sliding.window.count() > 0; }
    // Sliding expiration of an entry just read unexpired, when sliding(): moves its expiration_time
    // when due (see cache_options::sliding). Failures are logged, never reported: the read succeeded.
    boost::asio::awaitable<void> slide_if_due(const item& found);

    // ---- get_or_set (cache_aside.cpp) ----
    // The flight's work. Sets `expires_at` (epoch seconds, 0: never) when the result is what the
    // table holds now: a hit, or a computed value stored.
    awaitable_outcome<get_or_set_result> resolve(const cache_requests::get_or_set& request, const std::string& full,
                                                 diagnostics& diag, std::optional<std::int64_t>& expires_at);
    awaitable_outcome<std::optional<std::string>> compute(const cache_requests::get_or_set& request,
                                                           const std::string& full, diagnostics& diag);
    // compute, then store_computed with how long it took (XFetch's delta); `stored` says whether
    // the table now holds it.
    awaitable_outcome<std::optional<std::string>> compute_and_store(const cache_requests::get_or_set& request,
                                                                     const std::string& full, diagnostics& diag,
                                                                     bool* stored = nullptr);
    awaitable_outcome<bool> store_computed(const cache_requests::get_or_set& request, const std::string& full,
                                           const std::optional<std::string>& value, std::chrono::milliseconds took);
    awaitable_outcome<std::optional<item>> lock_item_after_retry(const std::string& full, std::optional<item> returned,
                                                                 diagnostics& d);
    boost::asio::awaitable<void> release_lease(internal_requests::release holding, const std::string& full);
    void refresh_early_if_due(const cache_requests::get_or_set& request, const std::string& full, const item& found);

    // ---- observability (observability.cpp) ----
    // Counts `n` outcomes of `op` (one latency sample when `took` is set) and calls the hook.
    void record(cache_operation op, operation_outcome o, std::uint64_t n, std::optional<std::chrono::nanoseconds> took);
    void forget(const near_writes& w);
    void call_hook(const operation_event& e) const noexcept;
    cache_stats stats() const;
    // DynamoDB's time in epoch seconds and the steady clock, for the near cache.
    std::int64_t wall_seconds() const { return cache_layout::epoch_seconds(now()); }
    // Stores what a read found in the near cache (when on): `found` empty means absent.
    void fill_near(const near_cache::ticket& t, const std::string& key, const item& found,
                   const std::optional<std::string>& decoded);

    // ---- large values (large_values.cpp) ----
    bool chunks_values() const {
        return options.codec == value_codec::raw && options.max_value_size > single_item_value_bytes;
    }
    // Puts a large value's head built by build_item: its chunks under a new version first, then the
    // head (conditions as put's), then the replaced version's chunks are deleted (best effort). When
    // the head is not stored, its chunks are deleted.
    awaitable_outcome<bool> put_large(item head, std::string stored, bool only_if_absent,
                                      std::optional<std::string> replacing, diagnostics* diag);
    awaitable_outcome<bool> put_chunks(const item& head, const std::string& stored, diagnostics* diag);
    // Reads a large value's chunks into `found`'s response, making it a plain item; clears `found`
    // when the value is gone (its chunks expired or deleted). Errors: unsupported_value for a head
    // or chunks that do not add up (naming the key and what is wrong); the client's.
    awaitable_outcome<bool> load_chunks(item& found, diagnostics* diag);
    // Deletes the chunks of a large value's head that was replaced or erased; failures are logged.
    boost::asio::awaitable<void> delete_chunks(const item& head);
    // Moves the expiration_time of a large value's chunks to `expiration` (0: never), before its head's.
    awaitable_outcome<bool> move_chunk_expiration(const item& head, std::int64_t expiration, diagnostics* diag);
    awaitable_outcome<bool> update_chunk(update_item_request update, diagnostics* diag);

    // ---- clear (clear.cpp) ----
    awaitable_outcome<bool> clear_segment(unsigned segment, unsigned segments, diagnostics* diag);
};

} // namespace ddbcache
