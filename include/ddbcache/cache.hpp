// ddbcache::cache: Python cachelib's DynamoDbCache for Asio programs, sharing its table layout
// (a Python service and a C++ service can use one table), plus atomic counters, batches and a
// prefix-aware clear. Knows nothing of sockets: it speaks through ddbcache::client.
//
// Every operation is async_*(arguments, [options,] token), completing with void(error_code, T).
// The default token is with_diagnostics(asio::deferred): `co_await cache.async_get("k")` works in an
// asio::awaitable and throws error_with_diagnostics on failure, whose what() names the operation,
// the AWS error type and message and the attempts. With asio::as_tuple(asio::use_awaitable), a
// callback or any other token, the error_code arrives as the first argument; `options.diag` then
// receives the diagnostics. Backend failures arrive as errors, never as `false` or an empty value.
//
// Errors, common to every operation: invalid_key (empty, over 2048 bytes with the prefix, or
// beginning with "\x1f", which is reserved for lock and lease items: see lease.hpp) and
// invalid_utf8 before any request; pool_exhausted / pool_wait_timeout when max_operations_in_flight are
// under way and too many wait or the wait outlasts call_timeout; the client's errors (client.hpp:
// service_errc from DynamoDB, timeout, transport failures, credentials_unavailable...);
// operation_aborted when cancelled. Each operation lists its own below.
//
// Cancellation: every operation supports the cancellation slot of its handler (terminal, partial
// and total alike). A cancelled single-key write (set, add, erase, inc, dec) may or may not have
// been applied. A cancelled batch (set_many, erase_many, clear) may have applied any part of its
// work: chunks already answered stay applied, later ones are not sent. Reads change nothing.
//
// Completion: on the handler's associated executor (a coroutine's own), else the cache's executor;
// never inside the initiating call.
//
// Thread safety: a cache may be used by any number of coroutines at once, on an io_context run by
// several threads; every member function may be called from any thread. On an io_context that one
// thread runs, construct it with concurrency hint 1 (asio::io_context io(1)): see client.hpp. Lifetime: an operation
// (deferred or started) keeps the cache's state and its client alive, so the cache object may be
// destroyed before its operations complete.
#pragma once

#include <ddbcache/client.hpp>
#include <ddbcache/lease.hpp>
#include <ddbcache/stats.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>

#include <boost/asio/co_spawn.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace ddbcache {

enum class value_codec {
    cachelib, // as cachelib's DynamoDbSerializer: '!' + pickle of bytes; counters as digits
    raw,      // the bytes as they are (for tables only C++ uses)
};

// The near cache (opt-in): values this process read kept in its memory, so that a hit costs no
// request (under a microsecond, no allocation beyond the returned value's own). Consistency: a
// value is served from memory for at most `ttl` after the read that fetched it began (so another
// process's write is seen at most `ttl` late), never past the item's own expiration_time, and never
// after this cache object's own write of the key (set, add, erase, inc, dec, touch, set_many,
// erase_many, clear and get_or_set's store drop it once they complete; other cache objects, in this
// process or not, are other processes). A read right after an own write is as consistent as
// DynamoDB's read: with consistent_reads off, it may return the previous value, which the near
// cache then keeps for up to `ttl`; set consistent_reads for read-your-writes. Used by get and
// get_or_set; has, get_many and get_dict always ask DynamoDB. With sliding expiration, a value is
// served from memory for at most a quarter of the window, so that reads keep moving its expiry.
// A hit does not run get_or_set's early refresh, and completes even when cancelled or after the
// client was closed. Eviction: SIEVE (NSDI 2024), per shard.
struct near_cache_options {
    std::size_t max_bytes = 0;   // memory budget: keys, values and about 128 bytes each; 0: off
    std::size_t max_entries = 0; // at most this many entries; 0: bounded by max_bytes alone
    std::chrono::milliseconds ttl{1000}; // the longest a value is served without asking DynamoDB (> 0)
    // How long "not in the table" is remembered (get's misses; get_or_set still computes). 0: not.
    std::chrono::milliseconds negative_ttl{0};
};

// Sizes of stored values, in bytes.
inline constexpr std::size_t single_item_value_bytes = 409'600; // DynamoDB's item limit (400 KB), key included
inline constexpr std::size_t large_value_chunk_bytes = 400'000; // one chunk item's bytes of the value
inline constexpr std::size_t max_large_value_bytes = std::size_t{1} << 30; // 1 GiB: what one read assembles at most

// Compression of stored values (opt-in; raw codec only, since cachelib reads neither): values of
// at least `min_size` bytes are stored as one zstd frame (RFC 8878, with its content checksum) when
// that is smaller. The item carries the marker attribute value_encoding = "zstd", so every reader
// decompresses, whatever its own options.
enum class value_compression { none, zstd };
struct compression_options {
    value_compression algorithm = value_compression::none;
    std::size_t min_size = 1024; // bytes; smaller values are stored as they are
    int level = 3;               // zstd's level, 1 (fastest) to 19 (smallest)
};

struct cache_options {
    std::string table_name = "python-cache"; // 3 to 255 of [A-Za-z0-9_.-]
    std::chrono::seconds default_timeout{300}; // 0: entries never expire
    std::string key_field = "cache_key";
    std::string expiration_time_field = "expiration_time";
    std::string key_prefix;
    // Create the table (PAY_PER_REQUEST, TTL on expiration_time_field) when an operation finds
    // it missing.
    bool create_table = true;
    value_codec codec = value_codec::cachelib;
    bool consistent_reads = false; // strongly consistent GetItem/BatchGetItem (twice the cost)
    unsigned clear_segments = 4;   // parallel Scan segments in async_clear (1 to 1000000, DynamoDB's limit)
    // Operations of this cache under way at once (0: twice the client's max_connections; per cache,
    // also when caches share a client). The others wait to start,
    // in order, holding only a few hundred bytes each; at most client.max_waiters of them
    // (more fail with pool_exhausted), each for at most client.call_timeout (pool_wait_timeout).
    std::size_t max_operations_in_flight = 0;
    // Sliding expiration (the idea of AWS's .NET session provider): a get or get_or_set that finds
    // an entry moves its expiration_time to now + window, capped at created_at + absolute (0: no
    // cap), by one conditional UpdateItem, skipped while less than a quarter of the window has
    // passed since the last move (so a key read constantly costs at most ~4 writes per window).
    // Entries that never expire are left alone. window 0: off.
    struct sliding_expiration {
        std::chrono::seconds window{0};
        std::chrono::seconds absolute{0};
    } sliding;
    near_cache_options near_cache;
    compression_options compression;
    // The largest value set, add, set_many and get_or_set store, in bytes (before compression). Up to
    // `single_item_value_bytes`, a value is one item, as cachelib stores it (one that does not fit
    // with its key fails with item_too_large). Above it (raw codec only, at most max_large_value_bytes),
    // a value too large for one item is stored as a head item under its key naming a version, and
    // chunks of at most large_value_chunk_bytes under key_prefix + "\x1f" "chunk:" + version + ":" + n,
    // written first; readers never see a mix of two versions (see README "Values beyond 400 KB").
    // Reads accept large values (and decompress values) up to max_large_value_bytes, whatever this is.
    // Errors: item_too_large (naming the key, the size and this limit) before any request.
    std::size_t max_value_size = single_item_value_bytes;
    // The metrics hook: called once per completed operation (near-cache hits included; batches that
    // count keys, once per outcome: see operation_event), on the thread that completed it, before the
    // caller's completion runs. It must be quick; what it throws is logged and dropped. Empty: none.
    // cache::stats() gives the same counts as a snapshot.
    std::function<void(const operation_event&)> on_operation;
    // The client the cache builds for itself (ignored by the constructor given a shared client).
    client_options client;
};

// A timeout argument: unset = default_timeout; 0 = never expires.
using timeout_option = std::optional<std::chrono::seconds>;

// Options of set, add and set_many.
struct write_options {
    timeout_option timeout = {}; // unset: default_timeout; 0: never expires; at most until 9999-12-31
    diagnostics* diag = nullptr; // as call_options::diag
};

// Options of inc and dec.
struct counter_options {
    std::int64_t delta = 1;
    diagnostics* diag = nullptr; // as call_options::diag
};

// Where get_or_set's value came from.
enum class value_source {
    hit,      // read from the table (including a value another process computed while this one waited)
    computed, // computed by this call, or by the one this call joined (single-flight), and stored
    stale,    // fail-safe: expired at most max_stale ago, served because compute or DynamoDB failed, or
              // because the lease holder stored nothing within lease_wait
};

struct get_or_set_result {
    std::optional<std::string> value; // nullopt: compute answered "no value" (or a cached one did)
    value_source source = value_source::hit;
};

// Options of get_or_set.
struct get_or_set_options {
    timeout_option timeout = {}; // lifetime of a computed value (unset: default_timeout; 0: never expires)
    // Lifetime of a "no value" answer (a negative entry, read by cachelib as None); 0: not stored.
    std::chrono::seconds negative_timeout{0};
    // Fail-safe: when compute fails, or DynamoDB fails (throttling, 5xx, timeouts) after the entry
    // was read expired, serve it if it expired at most max_stale ago. 0: off. An expired entry is
    // only there until DynamoDB's TTL deletes it (which AWS documents as within a few days).
    std::chrono::seconds max_stale{0};
    // Early refresh by probabilistic early expiration (XFetch: Vattani, Chierichetti, Lowenstein,
    // "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015): a hit refreshes in the
    // background when now - delta * beta * ln(random) >= expiry, delta being the last compute's
    // duration (stored in the item). 0: off; 1: the paper's choice; more refreshes earlier.
    double early_refresh_beta = 0;
    // Fleet-wide lease: on a miss, one process computes while it holds a lease item
    // (key_prefix + "\x1f" "lease:" + key, a lock); the others poll the value with backoff for up
    // to lease_wait, then compute themselves. A holder that crashes is taken over after lease_ttl.
    bool lease = false;
    std::chrono::milliseconds lease_ttl{10000};
    std::chrono::milliseconds lease_wait{30000};
    diagnostics* diag = nullptr; // as call_options::diag
};

// Options structs are passed as braced temporaries inside co_await expressions, which GCC 12
// destroys twice: they must stay trivially destructible.
static_assert(std::is_trivially_destructible_v<call_options> && std::is_trivially_destructible_v<write_options> &&
              std::is_trivially_destructible_v<counter_options> &&
              std::is_trivially_destructible_v<get_or_set_options>);

namespace detail {
// The one form every compute takes inside the library: an initiation given the completion
// handler, which it calls once with (null, value) or (the failure, nullopt).
using compute_handler = boost::asio::any_completion_handler<void(std::exception_ptr, std::optional<std::string>)>;
using compute_function = std::function<void(compute_handler)>;

template <class T>
struct is_awaitable_of_value : std::false_type {};
template <>
struct is_awaitable_of_value<boost::asio::awaitable<std::string>> : std::true_type {};
template <>
struct is_awaitable_of_value<boost::asio::awaitable<std::optional<std::string>>> : std::true_type {};

template <class F>
concept coroutine_compute = requires(F& f) { requires is_awaitable_of_value<decltype(f())>::value; };

// A coroutine function `() -> asio::awaitable<std::string or std::optional<std::string>>` (run
// with co_spawn on `executor`; it is kept alive until its coroutine ends), or an asynchronous
// operation `(handler)` calling handler(error_code, std::optional<std::string>) once.
template <class Compute>
compute_function erase_compute(Compute&& compute, boost::asio::any_io_executor executor) {
    using function = std::decay_t<Compute>;
    auto shared = std::make_shared<function>(std::forward<Compute>(compute));
    if constexpr (coroutine_compute<function>) {
        return [shared, executor](compute_handler handler) {
            boost::asio::co_spawn(executor, (*shared)(),
                                  [shared, handler = std::move(handler)](std::exception_ptr e, auto v) mutable {
                                      std::move(handler)(e, e ? std::nullopt : std::optional<std::string>(std::move(v)));
                                  });
        };
    } else {
        static_assert(std::is_invocable_v<function&, boost::asio::any_completion_handler<void(error_code, std::optional<std::string>)>>,
                      "compute must be a coroutine function returning asio::awaitable<std::string> or "
                      "asio::awaitable<std::optional<std::string>>, or an asynchronous operation taking a "
                      "handler void(error_code, std::optional<std::string>)");
        return [shared](compute_handler handler) {
            (*shared)(boost::asio::any_completion_handler<void(error_code, std::optional<std::string>)>(
                [handler = std::move(handler)](error_code ec, std::optional<std::string> v) mutable {
                    std::move(handler)(ec ? std::make_exception_ptr(boost::system::system_error(ec)) : nullptr,
                                       ec ? std::nullopt : std::move(v));
                }));
        };
    }
}
} // namespace detail

class cache;

// One request type per operation: its arguments and its result. The cache's public functions
// build them; the library runs each (src/cache/).
namespace cache_requests {
using value = std::optional<std::string>;
using values = std::vector<value>;
using keys = std::vector<std::string>;
using value_map = std::map<std::string, value>;
using mapping = std::vector<std::pair<std::string, std::string>>;

struct get { using result = value; std::string key; };
struct has { using result = bool; std::string key; };
struct set { using result = bool; std::string key, value; timeout_option timeout; };
struct add { using result = bool; std::string key, value; timeout_option timeout; };
struct erase { using result = bool; std::string key; };
struct inc { using result = std::int64_t; std::string key; std::int64_t delta; };
struct dec { using result = std::int64_t; std::string key; std::int64_t delta; };
struct get_many { using result = values; std::vector<std::string> keys; };
struct get_dict { using result = value_map; std::vector<std::string> keys; };
struct set_many { using result = keys; mapping pairs; timeout_option timeout; };
struct erase_many { using result = std::vector<std::string>; std::vector<std::string> keys; };
struct clear { using result = bool; };
struct touch { using result = bool; std::string key; timeout_option timeout; };
struct get_or_set {
    using result = get_or_set_result;
    std::string key;
    detail::compute_function compute;
    get_or_set_options options;
};
struct lock { using result = ddbcache::lease; std::string name; lock_options options; };

// Every cache operation, in one list.
using all = std::tuple<get, has, set, add, erase, inc, dec, get_many, get_dict, set_many, erase_many, clear, touch,
                       get_or_set, lock>;
} // namespace cache_requests

class cache {
public:
    // Builds its own client from options.client (as client's constructor does; no I/O). Throws
    // std::invalid_argument naming the field when an option is out of range: table_name not 3 to
    // 255 of [A-Za-z0-9_.-], key_field or expiration_time_field not 1 to 255 bytes, a negative
    // default_timeout, clear_segments out of 1 to 1000000, or a client option (see client).
    cache(boost::asio::any_io_executor executor, cache_options options = {});
    // Shares `dynamodb` (its pool, credentials, retry quota, clock skew) with other caches, on other
    // tables or prefixes; options.client is ignored. The cache keeps the client alive. Throws as above.
    cache(std::shared_ptr<client> dynamodb, cache_options options = {});
    ~cache();
    cache(cache&&) noexcept;
    cache& operator=(cache&&) noexcept;

    using value = cache_requests::value;
    using values = cache_requests::values;
    using keys = cache_requests::keys;
    using value_map = cache_requests::value_map;
    using mapping = cache_requests::mapping;

    // Each operation takes its arguments, then optionally its options struct (call_options,
    // write_options or counter_options), then the completion token.

    // The value, or nullopt when absent, expired, or stored as Python's None. Errors:
    // unsupported_value when the stored bytes are not what the codec writes.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_get(std::string key, CompletionToken&& token = {}) {
        return async_get(std::move(key), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get(std::string key, const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::get{std::move(key)}, o.diag, std::forward<CompletionToken>(token));
    }

    // True when an unexpired entry exists (fetches only the key and expiration attributes).
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_has(std::string key, CompletionToken&& token = {}) {
        return async_has(std::move(key), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_has(std::string key, const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::has{std::move(key)}, o.diag, std::forward<CompletionToken>(token));
    }

    // Stores (overwriting). True once stored. Errors: item_too_large (saying by how much) and
    // invalid_argument (a negative timeout, or an expiration past 9999-12-31) before any request.
    template <detail::token_other_than<write_options> CompletionToken = default_token>
    auto async_set(std::string key, std::string v, CompletionToken&& token = {}) {
        return async_set(std::move(key), std::move(v), write_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_set(std::string key, std::string v, const write_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::set{std::move(key), std::move(v), o.timeout}, o.diag,
                        std::forward<CompletionToken>(token));
    }

    // Stores only when no unexpired entry exists; false when one does. Errors: as async_set, and
    // outcome_unknown is never reported (a retried add recognises its own earlier write).
    template <detail::token_other_than<write_options> CompletionToken = default_token>
    auto async_add(std::string key, std::string v, CompletionToken&& token = {}) {
        return async_add(std::move(key), std::move(v), write_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_add(std::string key, std::string v, const write_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::add{std::move(key), std::move(v), o.timeout}, o.diag,
                        std::forward<CompletionToken>(token));
    }

    // True when the key existed and was deleted (cachelib's delete). Errors: outcome_unknown when
    // a retried delete finds the item gone (an attempt whose answer was lost may have deleted it).
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_erase(std::string key, CompletionToken&& token = {}) {
        return async_erase(std::move(key), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_erase(std::string key, const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::erase{std::move(key)}, o.diag, std::forward<CompletionToken>(token));
    }

    // Atomically adds `delta` (default 1; a missing or expired key counts as 0): the new value.
    // Compare-and-swap, atomic across processes and with Python's cachelib. Errors:
    // unsupported_value for a value that is not a 64-bit integer or a result that overflows;
    // timeout after 2000 lost races in a row.
    template <detail::token_other_than<counter_options> CompletionToken = default_token>
    auto async_inc(std::string key, CompletionToken&& token = {}) {
        return async_inc(std::move(key), counter_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_inc(std::string key, const counter_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::inc{std::move(key), o.delta}, o.diag, std::forward<CompletionToken>(token));
    }
    // Atomically subtracts `delta` (default 1): the new value. As async_inc.
    template <detail::token_other_than<counter_options> CompletionToken = default_token>
    auto async_dec(std::string key, CompletionToken&& token = {}) {
        return async_dec(std::move(key), counter_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_dec(std::string key, const counter_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::dec{std::move(key), o.delta}, o.diag, std::forward<CompletionToken>(token));
    }

    // Values in the order of `ks` (duplicates allowed), by BatchGetItem (100 keys per request, the
    // chunks in parallel, unprocessed keys sent again). Errors: as async_get; timeout when
    // BatchGetItem leaves keys unprocessed 12 rounds in a row.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_get_many(keys ks, CompletionToken&& token = {}) {
        return async_get_many(std::move(ks), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_many(keys ks, const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::get_many{std::move(ks)}, o.diag, std::forward<CompletionToken>(token));
    }
    // Key -> value (nullopt when absent). As async_get_many.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_get_dict(keys ks, CompletionToken&& token = {}) {
        return async_get_dict(std::move(ks), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_get_dict(keys ks, const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::get_dict{std::move(ks)}, o.diag, std::forward<CompletionToken>(token));
    }

    // Stores every pair (the last wins for a repeated key), by BatchWriteItem (25 items per
    // request, in parallel); completes with the keys stored. Every item is checked before the
    // first request, so bad input stores nothing. Errors: as async_set; timeout when
    // BatchWriteItem leaves items unprocessed 12 rounds in a row. On any error, some chunks may
    // have been stored.
    template <detail::token_other_than<write_options> CompletionToken = default_token>
    auto async_set_many(mapping pairs, CompletionToken&& token = {}) {
        return async_set_many(std::move(pairs), write_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_set_many(mapping pairs, const write_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::set_many{std::move(pairs), o.timeout}, o.diag,
                        std::forward<CompletionToken>(token));
    }

    // Completes with exactly the keys that existed and were deleted (conditional deletes, 64 at a
    // time). Errors: as async_erase; on an error, other keys (before it, or in its window of 64) may
    // have been deleted.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_erase_many(keys ks, CompletionToken&& token = {}) {
        return async_erase_many(std::move(ks), call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_erase_many(keys ks, const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::erase_many{std::move(ks)}, o.diag, std::forward<CompletionToken>(token));
    }

    // Removes this cache's entries: those under key_prefix, or every item when it is empty (a
    // parallel Scan in clear_segments segments, BatchWriteItem deletes). Errors: bad_response when
    // the Scan repeats a LastEvaluatedKey or answers items without their key. On an error, part of
    // the entries may have been removed.
    template <detail::token_other_than<call_options> CompletionToken = default_token>
    auto async_clear(CompletionToken&& token = {}) {
        return async_clear(call_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_clear(const call_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::clear{}, o.diag, std::forward<CompletionToken>(token));
    }

    // Extends an unexpired entry's expiry to `timeout` from now (unset: default_timeout; 0: never
    // expires) without rewriting its value: one conditional UpdateItem. False for a missing or
    // expired key, and then nothing is created. Errors: as async_set (before any request).
    template <detail::token_other_than<write_options> CompletionToken = default_token>
    auto async_touch(std::string key, CompletionToken&& token = {}) {
        return async_touch(std::move(key), write_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_touch(std::string key, const write_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::touch{std::move(key), o.timeout}, o.diag, std::forward<CompletionToken>(token));
    }

    // Cache-aside: the stored value, or else the value `compute` produces, stored for the next
    // callers. `compute` is a coroutine function `() -> asio::awaitable<std::string>` (or
    // `std::optional<std::string>`, nullopt meaning "no value"), run on the cache's executor; or
    // an asynchronous operation `(handler)` that calls handler(error_code, std::optional<std::string>)
    // once. A call computes at most once, and not on a hit, except that with early_refresh_beta a
    // hit may start a background refresh that calls it after the call has completed: what it
    // captures must then outlive the call (or be owned by it).
    //
    // Single-flight: concurrent callers of one key in this process share one read and one
    // computation: the first caller's compute and options (a caller joining it gets that result,
    // stale included, whatever its own options say); the others' computes are never called. Name
    // the compute before the co_await that passes it when it captures anything with a destructor
    // (GCC 12 destroys temporaries inside co_await twice: see the README). A cancelled caller
    // completes with operation_aborted at once; the shared work goes on for the others and is
    // stored. See get_or_set_options for the fleet-wide lease, early refresh, fail-safe and negative
    // caching.
    //
    // Errors: as async_get and async_set; compute's failure (its error_code, the code of a
    // system_error it throws, or compute_failed with what() as the message) when no stale value may
    // be served. A failed store of a computed value is logged at error level (client_options::log) and the value
    // still returned.
    template <class Compute, detail::token_other_than<get_or_set_options> CompletionToken = default_token>
    auto async_get_or_set(std::string key, Compute&& compute, CompletionToken&& token = {}) {
        return async_get_or_set(std::move(key), std::forward<Compute>(compute), get_or_set_options{},
                                std::forward<CompletionToken>(token));
    }
    template <class Compute, class CompletionToken = default_token>
    auto async_get_or_set(std::string key, Compute&& compute, const get_or_set_options& o, CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, get_or_set_result)>(
            [self = impl_](auto handler, diagnostics* d, std::string k, auto f, get_or_set_options opts) {
                value v; // a near-cache hit costs no type erasure of compute or handler
                if (near_hit(*self, k, cache_operation::get_or_set, v))
                    return complete_at_once(*self, std::move(handler), d,
                                            get_or_set_result{std::move(v), value_source::hit});
                cache_requests::get_or_set r{std::move(k), detail::erase_compute(std::move(f), executor_of(*self)), opts};
                start<cache_requests::get_or_set>(self, std::move(r), d, handler_for<get_or_set_result>(std::move(handler)));
            },
            token, o.diag, std::move(key), std::forward<Compute>(compute), o);
    }

    // Takes the lock `name` (any non-empty UTF-8 string; see lease.hpp for the layout and rules),
    // trying again with backoff while another holds it, for up to options.wait. Errors:
    // lock_not_acquired when still held by another at the end of the wait; invalid_key,
    // invalid_utf8 or invalid_argument (a ttl outside 1 ms to 1 year, a negative wait) before any
    // request; the client's errors. A cancelled lock may have been granted: it then lapses after ttl.
    template <detail::token_other_than<lock_options> CompletionToken = default_token>
    auto async_lock(std::string name, CompletionToken&& token = {}) {
        return async_lock(std::move(name), lock_options{}, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = default_token>
    auto async_lock(std::string name, const lock_options& o, CompletionToken&& token = {}) {
        return initiate(cache_requests::lock{std::move(name), o}, o.diag, std::forward<CompletionToken>(token));
    }

    const cache_options& options() const noexcept;
    // What this cache did since it was built (see stats.hpp), with its client's stats. Any thread.
    cache_stats stats() const;
    // stats() for exporters registered apart from the cache (ddbcache/prometheus.hpp): a function
    // that follows the cache's state, not the object (a move keeps it working), without keeping it
    // alive: it answers nullopt once the cache and its operations are gone. Any thread.
    std::function<std::optional<cache_stats>()> stats_source() const;
    // The underlying client (stats, raw calls), shared or the cache's own. Its close() affects every
    // cache sharing it.
    client& dynamodb() noexcept;
    boost::asio::any_io_executor get_executor() const noexcept;

    struct impl;

private:
    template <class T>
    using handler_for = boost::asio::any_completion_handler<void(error_code, T)>;

    template <class Request, class CompletionToken>
    auto initiate(Request request, diagnostics* diag, CompletionToken&& token) {
        using result = typename Request::result;
        return boost::asio::async_initiate<CompletionToken, void(error_code, result)>(
            [self = impl_](auto handler, diagnostics* d, Request r) {
                if constexpr (std::is_same_v<Request, cache_requests::get>) {
                    value v;
                    if (near_hit(*self, r.key, cache_operation::get, v))
                        return complete_at_once(*self, std::move(handler), d, std::move(v));
                }
                start<Request>(self, std::move(r), d, handler_for<result>(std::move(handler)));
            },
            token, diag, std::move(request));
    }

    // The near cache's answer, when it has one for `key` (false when it is off): counts the hit and
    // calls the metrics hook.
    static bool near_hit(impl& c, const std::string& key, cache_operation op, value& out);
    static boost::asio::any_io_executor executor_of(const impl& c) noexcept;

    // Completes a near-cache hit: posted to the handler's executor (never inside the initiating
    // call), with no allocation beyond Asio's recycled operation memory.
    template <class Handler, class Result>
    static void complete_at_once(const impl& c, Handler handler, diagnostics* d, Result result) {
        if (d) d->clear();
        auto ex = boost::asio::get_associated_executor(handler, executor_of(c));
        boost::asio::post(ex, boost::asio::append(std::move(handler), error_code{}, std::move(result)));
    }

    // Defined in the library for every request type of cache_requests.
    template <class Request>
    static void start(std::shared_ptr<impl> self, Request request, diagnostics* diag,
                      handler_for<typename Request::result> handler);

    std::shared_ptr<impl> impl_;
};

} // namespace ddbcache
