// Construction, admission and dispatch: each request type runs through the gate and the table's
// bootstrap, then its own function (see cache_impl.hpp for where each lives).
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/limits.hpp"
#include "../logging.hpp"
#include "cachelib_codec.hpp"
#include "value_compression.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>

#include <stdexcept>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

namespace {

// Option values out of range are the caller's mistake: std::invalid_argument, naming the field,
// before the client is built and long before a request.
cache_options checked_options(cache_options o) {
    std::string why;
    if (layout::check_names(o, why)) throw std::invalid_argument("ddbcache: " + why);
    if (o.default_timeout.count() < 0)
        throw std::invalid_argument("ddbcache: cache_options::default_timeout is " +
                                    std::to_string(o.default_timeout.count()) +
                                    " s; it must be 0 (never expires) or more");
    if (o.clear_segments < 1 || o.clear_segments > dynamodb::limits::scan_total_segments)
        throw std::invalid_argument("ddbcache: cache_options::clear_segments is " + std::to_string(o.clear_segments) +
                                    "; it must be from 1 to " +
                                    std::to_string(dynamodb::limits::scan_total_segments) +
                                    " (DynamoDB's limit on Scan segments)");
    const auto window = o.sliding.window.count(), absolute = o.sliding.absolute.count();
    if (window < 0 || absolute < 0 || window > layout::max_expiration_seconds || absolute > layout::max_expiration_seconds)
        throw std::invalid_argument("ddbcache: cache_options::sliding: window and absolute must be from 0 to " +
                                    std::to_string(layout::max_expiration_seconds) + " s");
    const near_cache_options& near = o.near_cache;
    if (near.max_bytes == 0 && near.max_entries != 0)
        throw std::invalid_argument("ddbcache: cache_options::near_cache::max_entries is set but max_bytes is 0 "
                                    "(the near cache is off); set max_bytes to turn it on");
    if (near.max_bytes != 0 && (near.ttl.count() <= 0 || near.negative_ttl.count() < 0))
        throw std::invalid_argument("ddbcache: cache_options::near_cache: ttl must be more than 0 ms and "
                                    "negative_ttl not negative");
    if (o.compression.algorithm != value_compression::none && o.codec == value_codec::cachelib)
        throw std::invalid_argument("ddbcache: cache_options::compression needs value_codec::raw: Python cachelib "
                                    "cannot read compressed values");
    if (o.max_value_size > single_item_value_bytes) {
        if (o.codec == value_codec::cachelib)
            throw std::invalid_argument("ddbcache: cache_options::max_value_size above " +
                                        std::to_string(single_item_value_bytes) +
                                        " bytes needs value_codec::raw: Python cachelib cannot read values stored "
                                        "across several items");
        if (o.max_value_size > max_large_value_bytes)
            throw std::invalid_argument("ddbcache: cache_options::max_value_size is " +
                                        std::to_string(o.max_value_size) + " bytes; at most " +
                                        std::to_string(max_large_value_bytes));
        if (o.key_prefix.size() + layout::max_chunk_key_suffix_bytes > layout::max_key_bytes)
            throw std::invalid_argument("ddbcache: cache_options::key_prefix is " + std::to_string(o.key_prefix.size()) +
                                        " bytes; large values' chunk keys need it at most " +
                                        std::to_string(layout::max_key_bytes - layout::max_chunk_key_suffix_bytes));
    }
    return o;
}

// The near cache's options as the cache applies them: with sliding expiration, a value is served
// from memory for at most a quarter of the window, so that reads keep reaching DynamoDB often
// enough to move its expiry (see cache_options::sliding).
std::unique_ptr<near_cache> make_near_cache(const cache_options& o) {
    if (o.near_cache.max_bytes == 0) return nullptr;
    near_cache_options applied = o.near_cache;
    if (o.sliding.window.count() > 0)
        applied.ttl = std::min(applied.ttl, std::chrono::duration_cast<std::chrono::milliseconds>(o.sliding.window) / 4);
    if (applied.ttl.count() <= 0) return nullptr; // a window under 4 ms: nothing may be served from memory
    return std::make_unique<near_cache>(applied);
}

// The operation each request type counts as in the stats: its position in cache_requests::all.
template <class Request, std::size_t I = 0>
constexpr cache_operation operation_of() {
    if constexpr (std::is_same_v<Request, std::tuple_element_t<I, cache_requests::all>>)
        return static_cast<cache_operation>(I);
    else
        return operation_of<Request, I + 1>();
}
static_assert(std::tuple_size_v<cache_requests::all> == cache_operation_count);
static_assert(operation_of<cache_requests::lock>() == cache_operation::lock);

// The keys a write makes the near cache forget.
template <class Request>
near_writes writes_of(const Request& r) {
    using namespace cache_requests;
    near_writes w;
    if constexpr (std::is_same_v<Request, set> || std::is_same_v<Request, add> || std::is_same_v<Request, erase> ||
                  std::is_same_v<Request, inc> || std::is_same_v<Request, dec> || std::is_same_v<Request, touch>)
        w.keys.push_back(r.key);
    else if constexpr (std::is_same_v<Request, set_many>)
        for (const auto& [k, v] : r.pairs) w.keys.push_back(k);
    else if constexpr (std::is_same_v<Request, erase_many>)
        w.keys = r.keys;
    else if constexpr (std::is_same_v<Request, clear>)
        w.everything = true;
    return w;
}

// Counts a completed operation by its outcome.
template <class Request>
void record_result(cache::impl& c, const outcome<typename Request::result>& r, std::size_t requested,
                   std::chrono::nanoseconds took) {
    using namespace cache_requests;
    constexpr cache_operation op = operation_of<Request>();
    using enum operation_outcome;
    // Each instantiation keeps one branch of the constexpr chain, which the check reads as clones.
    if (r.ec) {
        c.record(op, r.ec == client_errc::lock_not_acquired ? not_stored : outcome_of_error(r.ec), 1, took);
    } else if constexpr (std::is_same_v<Request, get> || std::is_same_v<Request, has> ||
                         std::is_same_v<Request, erase> || std::is_same_v<Request, touch>) { // NOLINT(bugprone-branch-clone)
        c.record(op, r.value ? hit : miss, 1, took);
    } else if constexpr (std::is_same_v<Request, add> || std::is_same_v<Request, set>) {
        c.record(op, r.value ? stored : not_stored, 1, took);
    } else if constexpr (std::is_same_v<Request, get_many> || std::is_same_v<Request, get_dict>) {
        std::uint64_t found = 0;
        for (const auto& v : r.value) {
            if constexpr (std::is_same_v<Request, get_many>) found += v.has_value();
            else found += v.second.has_value();
        }
        c.record(op, hit, found, took);
        c.record(op, miss, r.value.size() - found, std::nullopt);
    } else if constexpr (std::is_same_v<Request, erase_many>) {
        c.record(op, hit, r.value.size(), took);
        c.record(op, miss, requested - std::min(requested, r.value.size()), std::nullopt);
    } else if constexpr (std::is_same_v<Request, cache_requests::get_or_set>) {
        if (r.value.source == value_source::stale) c.metrics->stale_served.add();
        c.record(op, r.value.source == value_source::computed ? miss : hit, 1, took);
    } else {
        c.record(op, stored, 1, took);
    }
}

// The operation, counted in the stats when it completes, and forgotten by the near cache when it
// wrote.
template <class Request>
asio::awaitable<outcome<typename Request::result>> observed(std::shared_ptr<cache::impl> self,
                                                            asio::awaitable<outcome<typename Request::result>> op,
                                                            near_writes writes, std::size_t requested) {
    const auto started = std::chrono::steady_clock::now();
    try {
        auto r = co_await std::move(op);
        self->forget(writes);
        record_result<Request>(*self, r, requested, std::chrono::steady_clock::now() - started);
        co_return r;
    } catch (const boost::system::system_error& e) {
        self->forget(writes);
        self->record(operation_of<Request>(), outcome_of_error(e.code()), 1, std::chrono::steady_clock::now() - started);
        throw;
    } catch (...) {
        self->forget(writes); // a write may have landed
        throw;
    }
}

} // namespace

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

cache::impl::impl(std::shared_ptr<client> c, cache_options o)
    : options(std::move(o)), dynamodb(std::move(c)),
      gate(std::make_shared<detail::admission_gate>(
          dynamodb->get_executor(),
          options.max_operations_in_flight ? options.max_operations_in_flight
                                           : 2 * dynamodb->options().max_connections,
          dynamodb->options().max_waiters)),
      near(make_near_cache(options)) {}

// Waits for a place among the operations under way (at once when there is room).
asio::awaitable<outcome<bool>> cache::impl::wait_at_gate(diagnostics* diag) {
    const client_options& limits = dynamodb->options();
    auto [ec] = co_await gate->async_enter(detail::admission_gate::clock::now() + limits.call_timeout,
                                           asio::as_tuple(asio::use_awaitable));
    if (ec == client_errc::pool_exhausted)
        co_return failure<bool>(diag, ec, std::to_string(limits.max_waiters) + " operations already wait to start");
    if (ec == client_errc::pool_wait_timeout)
        co_return failure<bool>(diag, ec, "no room to start within call_timeout (" + std::to_string(gate->limit()) +
                                              " operations under way)");
    co_return outcome<bool>{ec, !ec};
}

template <class Request>
void cache::start(std::shared_ptr<impl> self, Request request, diagnostics* diag,
                  handler_for<typename Request::result> handler) {
    if (diag) diag->clear(); // a reused object must not report an earlier call (say, when this one is cancelled)
    auto executor = self->dynamodb->get_executor();
    constexpr bool composed = std::is_same_v<Request, cache_requests::get_or_set> ||
                              std::is_same_v<Request, cache_requests::lock>;
    near_writes writes = self->near ? writes_of(request) : near_writes{};
    std::size_t requested = 0;
    if constexpr (std::is_same_v<Request, cache_requests::erase_many>) requested = request.keys.size();
    auto observer = self;
    auto op = composed ? impl::run_composed(std::move(self), std::move(request), diag)
                       : impl::run_admitted(std::move(self), std::move(request), diag);
    detail::spawn_erased<typename Request::result>(
        executor, observed<Request>(std::move(observer), std::move(op), std::move(writes), requested),
        std::move(handler));
}

// The entry point of every request type, explicitly instantiated (the public header only declares it).
#define DDBCACHE_INSTANTIATE_START(Request)                                                   \
    template void cache::start<cache_requests::Request>(std::shared_ptr<impl>, cache_requests::Request, \
                                                        diagnostics*, handler_for<cache_requests::Request::result>);
DDBCACHE_INSTANTIATE_START(get)
DDBCACHE_INSTANTIATE_START(has)
DDBCACHE_INSTANTIATE_START(set)
DDBCACHE_INSTANTIATE_START(add)
DDBCACHE_INSTANTIATE_START(erase)
DDBCACHE_INSTANTIATE_START(inc)
DDBCACHE_INSTANTIATE_START(dec)
DDBCACHE_INSTANTIATE_START(get_many)
DDBCACHE_INSTANTIATE_START(get_dict)
DDBCACHE_INSTANTIATE_START(set_many)
DDBCACHE_INSTANTIATE_START(erase_many)
DDBCACHE_INSTANTIATE_START(clear)
DDBCACHE_INSTANTIATE_START(touch)
DDBCACHE_INSTANTIATE_START(get_or_set)
DDBCACHE_INSTANTIATE_START(lock)
#undef DDBCACHE_INSTANTIATE_START
static_assert(std::tuple_size_v<cache_requests::all> == 15, "instantiate every request of cache_requests::all above");

cache::cache(asio::any_io_executor executor, cache_options options) {
    options = checked_options(std::move(options)); // before the client: no environment is read for bad options
    auto dynamodb = std::make_shared<client>(std::move(executor), options.client);
    impl_ = std::make_shared<impl>(std::move(dynamodb), std::move(options));
}
cache::cache(std::shared_ptr<client> dynamodb, cache_options options) {
    if (!dynamodb) throw std::invalid_argument("ddbcache: cache given a null client");
    impl_ = std::make_shared<impl>(std::move(dynamodb), checked_options(std::move(options)));
}
cache::~cache() = default;
cache::cache(cache&&) noexcept = default;
cache& cache::operator=(cache&&) noexcept = default;

const cache_options& cache::options() const noexcept { return impl_->options; }
asio::any_io_executor cache::executor_of(const impl& c) noexcept { return c.dynamodb->get_executor(); }
client& cache::dynamodb() noexcept { return *impl_->dynamodb; }
asio::any_io_executor cache::get_executor() const noexcept { return impl_->dynamodb->get_executor(); }

// ---- keys, items and values ----

error_code cache::impl::check_key(const std::string& key, const std::string& full, std::string& why) {
    if (key.empty()) {
        why = "the key is empty";
        return client_errc::invalid_key;
    }
    if (key.front() == layout::reserved_key_lead) {
        why = "key '" + codec::printable(key) + "' begins with \\x1f, which is reserved for lock and lease items";
        return client_errc::invalid_key;
    }
    return layout::check_key(full, why);
}

error_code cache::impl::encode(const std::string& full, std::string_view v, layout::stored_value& out,
                               std::string& why) const {
    // At the default (one item), build_item's refusal says more: by how much the item is over.
    if (v.size() > options.max_value_size && options.max_value_size != single_item_value_bytes) {
        why = "the value for key '" + codec::printable(full) + "' is " + std::to_string(v.size()) +
              " bytes, over cache_options::max_value_size (" + std::to_string(options.max_value_size) + ")" +
              layout::larger_values_hint(options);
        return client_errc::item_too_large;
    }
    out.zstd = false;
    if (options.codec == value_codec::cachelib) {
        out.bytes.clear();
        cache_codec::encode_cachelib(v, out.bytes);
        return {};
    }
    const compression_options& c = options.compression;
    if (c.algorithm == value_compression::zstd && v.size() >= c.min_size) {
        if (auto frame = value_compression_codec::compress_zstd(v, c.level)) {
            out.bytes = std::move(*frame);
            out.zstd = true;
            return {};
        }
    }
    out.bytes.assign(v);
    return {};
}

error_code cache::impl::decode(const item& it, std::optional<std::string>& out, std::string& why) const {
    error_code ec = decode_value(it, out, why);
    if (ec) {
        const std::string* key = key_of(it);
        why = "key '" + codec::printable(key ? *key : std::string()) + "': " + why;
    }
    return ec;
}

error_code cache::impl::decode_value(const item& it, std::optional<std::string>& out, std::string& why) const {
    out.reset();
    if (const attribute_value* negative = it.find(layout::no_value_field); negative && negative->if_BOOL() &&
                                                                             *negative->if_BOOL())
        return {}; // a cached "no value"
    const attribute_value* response = it.find(layout::response_field);
    const std::string* stored = response ? response->if_B() : nullptr;
    if (!stored && layout::is_large_head(it)) { // load_chunks gives a head its response
        why = "the value is a large one, stored across several items";
        return client_errc::unsupported_value;
    }
    if (!stored) {
        why = "the item has no binary '" + std::string(layout::response_field) + "' attribute";
        return client_errc::unsupported_value;
    }
    std::string decompressed;
    if (const attribute_value* encoding = it.find(layout::value_encoding_field)) {
        const std::string* name = encoding->if_S();
        if (!name || *name != value_compression_codec::zstd_marker) {
            why = "the stored value's " + std::string(layout::value_encoding_field) + " is " +
                  (name ? "'" + codec::printable(*name) + "'" : std::string("not a string")) +
                  "; this version reads 'zstd' only";
            return client_errc::unsupported_value;
        }
        if (error_code ec = value_compression_codec::decompress_zstd(*stored, max_large_value_bytes, decompressed, why))
            return ec;
        stored = &decompressed;
    }
    if (options.codec == value_codec::raw) {
        if (stored == &decompressed) out = std::move(decompressed);
        else out = *stored;
        return {};
    }
    cache_codec::decoded d = cache_codec::decode_cachelib(*stored);
    if (d.what == cache_codec::decoded::kind::unsupported) {
        why = "the stored value is " + d.reason;
        return client_errc::unsupported_value;
    }
    if (d.what == cache_codec::decoded::kind::value) out = std::move(d.text);
    return {};
}

const std::string* cache::impl::key_of(const item& it) const {
    const attribute_value* k = it.find(options.key_field);
    return k ? k->if_S() : nullptr;
}

std::string cache::impl::no_key_attribute(const char* operation) const {
    return std::string(operation) + " answered an item without its string key attribute '" +
           codec::printable(options.key_field) + "'";
}

} // namespace ddbcache
