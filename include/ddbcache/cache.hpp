// ddbcache::cache: Python cachelib's DynamoDbCache for Asio programs, sharing its table layout
// (a Python service and a C++ service can use one table), plus atomic counters, batches and a
// prefix-aware clear. Knows nothing of sockets: it speaks through ddbcache::client.
//
// Every operation is async_*(..., token), completion signature void(error_code, T); the default
// token is asio::deferred, so `co_await cache.async_get("k")` works in an asio::awaitable.
// Backend failures arrive as the error_code (never as `false`); overloads taking a diagnostics&
// also receive the AWS error type and message. Per-operation cancellation is supported.
#pragma once

#include <ddbcache/client.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

namespace ddbcache {

enum class value_codec {
    cachelib, // as cachelib's DynamoDbSerializer: '!' + pickle of bytes; counters as digits
    raw,      // the bytes as they are (for tables only C++ uses)
};

struct cache_options {
    std::string table_name = "python-cache";
    std::chrono::seconds default_timeout{300}; // 0: entries never expire
    std::string key_field = "cache_key";
    std::string expiration_time_field = "expiration_time";
    std::string key_prefix;
    // Create the table (PAY_PER_REQUEST, TTL on expiration_time_field) when an operation finds
    // it missing.
    bool create_table = true;
    value_codec codec = value_codec::cachelib;
    bool consistent_reads = false; // strongly consistent GetItem/BatchGetItem (twice the cost)
    unsigned clear_segments = 4;   // parallel Scan segments in async_clear
    // Operations under way at once (0: twice client.max_connections). The others wait to start,
    // in order, holding only a few hundred bytes each; at most client.max_waiters of them
    // (more fail with pool_exhausted), each for at most client.call_timeout (pool_wait_timeout).
    std::size_t max_operations_in_flight = 0;
    client_options client;
};

// A timeout argument: unset = default_timeout; 0 = never expires.
using timeout_option = std::optional<std::chrono::seconds>;

namespace detail {
template <class T>
inline constexpr bool is_diagnostics = std::is_same_v<std::decay_t<T>, diagnostics>;
} // namespace detail

class cache {
public:
    // Resolves endpoint, region and credentials (throws as client's constructor does). No I/O.
    // Throws boost::system::system_error (client_errc::invalid_name) naming the option, the value
    // and the rule when table_name is not 3 to 255 of [A-Za-z0-9_.-], or key_field or
    // expiration_time_field is not 1 to 255 bytes.
    cache(boost::asio::any_io_executor executor, cache_options options = {});
    ~cache();
    cache(cache&&) noexcept;
    cache& operator=(cache&&) noexcept;

    using value = std::optional<std::string>;
    using values = std::vector<value>;
    using keys = std::vector<std::string>;
    using value_map = std::map<std::string, value>;
    using mapping = std::vector<std::pair<std::string, std::string>>;

    // Overloads: (args, token), (args, diagnostics&, token), and where there is an optional
    // argument, (args, optional, token) and (args, optional, diagnostics&, token). The optional
    // argument is the timeout (unset: default_timeout) or the delta (1). The diagnostics object
    // receives the AWS error type and message; it must outlive the operation.
    // The value, or nullopt when absent, expired, or stored as Python's None.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_get(std::string key, CompletionToken&& token = {}) {
        return initiate<value>(op{.kind = op_kind::get, .key = std::move(key)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get(std::string key, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<value>(op{.kind = op_kind::get, .key = std::move(key)}, &diag, std::forward<CompletionToken>(token));
    }
    // Stores (overwriting). True once stored.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::is_convertible_v<CompletionToken, timeout_option> && !detail::is_diagnostics<CompletionToken>)
    auto async_set(std::string key, std::string v, CompletionToken&& token = {}) {
        const timeout_option timeout = timeout_option{};
        return initiate<bool>(op{.kind = op_kind::set, .key = std::move(key), .value = std::move(v), .timeout = timeout}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set(std::string key, std::string v, diagnostics& diag, CompletionToken&& token = {}) {
        const timeout_option timeout = timeout_option{};
        return initiate<bool>(op{.kind = op_kind::set, .key = std::move(key), .value = std::move(v), .timeout = timeout}, &diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set(std::string key, std::string v, timeout_option timeout, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::set, .key = std::move(key), .value = std::move(v), .timeout = timeout}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set(std::string key, std::string v, timeout_option timeout, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::set, .key = std::move(key), .value = std::move(v), .timeout = timeout}, &diag, std::forward<CompletionToken>(token));
    }
    // Stores only when no unexpired entry exists; false when one does.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::is_convertible_v<CompletionToken, timeout_option> && !detail::is_diagnostics<CompletionToken>)
    auto async_add(std::string key, std::string v, CompletionToken&& token = {}) {
        const timeout_option timeout = timeout_option{};
        return initiate<bool>(op{.kind = op_kind::add, .key = std::move(key), .value = std::move(v), .timeout = timeout}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_add(std::string key, std::string v, diagnostics& diag, CompletionToken&& token = {}) {
        const timeout_option timeout = timeout_option{};
        return initiate<bool>(op{.kind = op_kind::add, .key = std::move(key), .value = std::move(v), .timeout = timeout}, &diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_add(std::string key, std::string v, timeout_option timeout, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::add, .key = std::move(key), .value = std::move(v), .timeout = timeout}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_add(std::string key, std::string v, timeout_option timeout, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::add, .key = std::move(key), .value = std::move(v), .timeout = timeout}, &diag, std::forward<CompletionToken>(token));
    }
    // True when the key existed and was deleted (cachelib's delete).
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_erase(std::string key, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::erase, .key = std::move(key)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_erase(std::string key, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::erase, .key = std::move(key)}, &diag, std::forward<CompletionToken>(token));
    }
    // True when an unexpired entry exists (fetches only the key and expiration attributes).
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_has(std::string key, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::has, .key = std::move(key)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_has(std::string key, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::has, .key = std::move(key)}, &diag, std::forward<CompletionToken>(token));
    }
    // Removes this cache's entries: those under key_prefix, or every item when it is empty.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_clear(CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::clear}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_clear(diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<bool>(op{.kind = op_kind::clear}, &diag, std::forward<CompletionToken>(token));
    }
    // Values in the order of `ks` (duplicates allowed).
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_get_many(keys ks, CompletionToken&& token = {}) {
        return initiate<values>(op{.kind = op_kind::get_many, .many_keys = std::move(ks)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_many(keys ks, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<values>(op{.kind = op_kind::get_many, .many_keys = std::move(ks)}, &diag, std::forward<CompletionToken>(token));
    }
    // Key -> value (nullopt when absent).
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_get_dict(keys ks, CompletionToken&& token = {}) {
        return initiate<value_map>(op{.kind = op_kind::get_dict, .many_keys = std::move(ks)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_get_dict(keys ks, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<value_map>(op{.kind = op_kind::get_dict, .many_keys = std::move(ks)}, &diag, std::forward<CompletionToken>(token));
    }
    // Stores every pair (the last wins for a repeated key); completes with the keys stored.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::is_convertible_v<CompletionToken, timeout_option> && !detail::is_diagnostics<CompletionToken>)
    auto async_set_many(mapping pairs, CompletionToken&& token = {}) {
        const timeout_option timeout = timeout_option{};
        return initiate<keys>(op{.kind = op_kind::set_many, .timeout = timeout, .pairs = std::move(pairs)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set_many(mapping pairs, diagnostics& diag, CompletionToken&& token = {}) {
        const timeout_option timeout = timeout_option{};
        return initiate<keys>(op{.kind = op_kind::set_many, .timeout = timeout, .pairs = std::move(pairs)}, &diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set_many(mapping pairs, timeout_option timeout, CompletionToken&& token = {}) {
        return initiate<keys>(op{.kind = op_kind::set_many, .timeout = timeout, .pairs = std::move(pairs)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_set_many(mapping pairs, timeout_option timeout, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<keys>(op{.kind = op_kind::set_many, .timeout = timeout, .pairs = std::move(pairs)}, &diag, std::forward<CompletionToken>(token));
    }
    // Completes with exactly the keys that existed and were deleted.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!detail::is_diagnostics<CompletionToken>)
    auto async_erase_many(keys ks, CompletionToken&& token = {}) {
        return initiate<keys>(op{.kind = op_kind::erase_many, .many_keys = std::move(ks)}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_erase_many(keys ks, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<keys>(op{.kind = op_kind::erase_many, .many_keys = std::move(ks)}, &diag, std::forward<CompletionToken>(token));
    }
    // Atomically adds `delta` (default 1; a missing or expired key counts as 0): the new value.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::is_convertible_v<CompletionToken, std::int64_t> && !detail::is_diagnostics<CompletionToken>)
    auto async_inc(std::string key, CompletionToken&& token = {}) {
        const std::int64_t delta = std::int64_t{1};
        return initiate<std::int64_t>(op{.kind = op_kind::inc, .key = std::move(key), .delta = delta}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_inc(std::string key, diagnostics& diag, CompletionToken&& token = {}) {
        const std::int64_t delta = std::int64_t{1};
        return initiate<std::int64_t>(op{.kind = op_kind::inc, .key = std::move(key), .delta = delta}, &diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_inc(std::string key, std::int64_t delta, CompletionToken&& token = {}) {
        return initiate<std::int64_t>(op{.kind = op_kind::inc, .key = std::move(key), .delta = delta}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_inc(std::string key, std::int64_t delta, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<std::int64_t>(op{.kind = op_kind::inc, .key = std::move(key), .delta = delta}, &diag, std::forward<CompletionToken>(token));
    }
    // Atomically subtracts `delta` (default 1): the new value.
    template <class CompletionToken = boost::asio::deferred_t>
        requires(!std::is_convertible_v<CompletionToken, std::int64_t> && !detail::is_diagnostics<CompletionToken>)
    auto async_dec(std::string key, CompletionToken&& token = {}) {
        const std::int64_t delta = std::int64_t{1};
        return initiate<std::int64_t>(op{.kind = op_kind::dec, .key = std::move(key), .delta = delta}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_dec(std::string key, diagnostics& diag, CompletionToken&& token = {}) {
        const std::int64_t delta = std::int64_t{1};
        return initiate<std::int64_t>(op{.kind = op_kind::dec, .key = std::move(key), .delta = delta}, &diag, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_dec(std::string key, std::int64_t delta, CompletionToken&& token = {}) {
        return initiate<std::int64_t>(op{.kind = op_kind::dec, .key = std::move(key), .delta = delta}, nullptr, std::forward<CompletionToken>(token));
    }
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_dec(std::string key, std::int64_t delta, diagnostics& diag, CompletionToken&& token = {}) {
        return initiate<std::int64_t>(op{.kind = op_kind::dec, .key = std::move(key), .delta = delta}, &diag, std::forward<CompletionToken>(token));
    }

    const cache_options& options() const noexcept;
    client& dynamodb() noexcept; // the underlying client (stats, raw calls)

    struct impl;

private:
    enum class op_kind { get, set, add, erase, has, clear, get_many, get_dict, set_many, erase_many, inc, dec };
    // One operation's arguments (the fields an operation does not use stay empty).
    struct op {
        op_kind kind = op_kind::get;
        std::string key = {};
        std::string value = {};
        timeout_option timeout = {};
        std::int64_t delta = 0;
        keys many_keys = {};
        mapping pairs = {};
    };

    template <class T>
    using handler_for = boost::asio::any_completion_handler<void(error_code, T)>;

    template <class T, class CompletionToken>
    auto initiate(op o, diagnostics* diag, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, T)>(
            [this](auto handler, op o2, diagnostics* d) { start(std::move(o2), d, handler_for<T>(std::move(handler))); },
            token, std::move(o), diag);
    }

    void start(op, diagnostics*, handler_for<value>);
    void start(op, diagnostics*, handler_for<bool>);
    void start(op, diagnostics*, handler_for<values>);
    void start(op, diagnostics*, handler_for<value_map>);
    void start(op, diagnostics*, handler_for<keys>);
    void start(op, diagnostics*, handler_for<std::int64_t>);

    std::shared_ptr<impl> impl_;
};

} // namespace ddbcache
