// The cache operations, as coroutines over the typed DynamoDB client.
#include "../async/admission_gate.hpp"
#include "../async/spawn_erased.hpp"
#include "../codec/printable.hpp"
#include "../dynamodb/retry_policy.hpp"
#include "../dynamodb/typed_call.hpp"
#include "cachelib_codec.hpp"
#include "item_layout.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <iostream>
#include <unordered_map>
#include <unordered_set>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;
using detail::outcome;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

template <class T>
outcome<T> failure(diagnostics* diag, error_code ec, std::string why) {
    if (diag) {
        diag->clear();
        diag->message = std::move(why);
    }
    return {ec, {}};
}

// Full-jitter pauses (the client's own backoff): between rounds of unprocessed batch items, and
// between compare-and-swap attempts of a counter that lost a race.
const retry_options batch_backoff{0, std::chrono::milliseconds(25), std::chrono::milliseconds(1000), 0};
const retry_options contention_backoff{0, std::chrono::milliseconds(1), std::chrono::milliseconds(64), 0};

// Refuses names DynamoDB would refuse, before the client is built and long before a request.
cache_options with_checked_names(cache_options o) {
    std::string why;
    if (error_code ec = layout::check_names(o, why)) throw boost::system::system_error(ec, "ddbcache: " + why);
    return o;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(tuple_awaitable);
}

} // namespace

struct cache::impl : std::enable_shared_from_this<cache::impl> {
    impl(asio::any_io_executor ex, cache_options o)
        : options(with_checked_names(std::move(o))), dynamodb(ex, options.client),
          gate(std::make_shared<detail::admission_gate>(
              ex, options.max_operations_in_flight ? options.max_operations_in_flight : 2 * options.client.max_connections,
              options.client.max_waiters)) {
        if (options.default_timeout.count() < 0)
            throw boost::system::system_error(client_errc::invalid_argument,
                                              "ddbcache: cache_options::default_timeout is " +
                                                  std::to_string(options.default_timeout.count()) +
                                                  " s; it must be 0 (never expires) or more");
        if (options.clear_segments > max_scan_segments)
            throw boost::system::system_error(client_errc::invalid_argument,
                                              "ddbcache: cache_options::clear_segments is " +
                                                  std::to_string(options.clear_segments) + "; DynamoDB allows at most " +
                                                  std::to_string(max_scan_segments) + " Scan segments");
    }

    static constexpr unsigned max_scan_segments = 1'000'000; // DynamoDB's limit on TotalSegments

    cache_options options;
    client dynamodb;
    std::shared_ptr<detail::admission_gate> gate;

    // Waits for a place among the operations under way (at once when there is room).
    asio::awaitable<outcome<bool>> enter_gate(diagnostics* diag) {
        if (gate->try_enter()) co_return outcome<bool>{{}, true};
        auto [ec] = co_await gate->async_enter(detail::admission_gate::clock::now() + options.client.call_timeout,
                                               tuple_awaitable);
        if (ec == client_errc::pool_exhausted)
            co_return failure<bool>(diag, ec, std::to_string(options.client.max_waiters) + " operations already wait to start");
        if (ec == client_errc::pool_wait_timeout)
            co_return failure<bool>(diag, ec, "no room to start within call_timeout (" + std::to_string(gate->limit()) +
                                                  " operations under way)");
        co_return outcome<bool>{ec, !ec};
    }

    // ---- keys, items and values ----

    std::string full_key(const std::string& key) const { return options.key_prefix + key; }

    // Checks a caller's key (empty is refused even with a prefix) and its prefixed form.
    static error_code check_key(const std::string& key, const std::string& full, std::string& why) {
        if (key.empty()) {
            why = "the key is empty";
            return client_errc::invalid_key;
        }
        return layout::check_key(full, why);
    }
    item key_item(const std::string& full) const { return item{{options.key_field, attribute_value::S(full)}}; }

    std::int64_t timeout_seconds(timeout_option t) const { return (t ? *t : options.default_timeout).count(); }

    std::string encode(std::string_view v) const {
        if (options.codec == value_codec::raw) return std::string(v);
        std::string out;
        cache_codec::encode_cachelib(v, out);
        return out;
    }

    // The stored value of an item: nullopt for a stored None; unsupported_value for what the
    // codec cannot read.
    error_code decode(const item& it, std::optional<std::string>& out, std::string& why) const {
        out.reset();
        const attribute_value* response = it.find(layout::response_field);
        const std::string* bytes = response ? response->if_B() : nullptr;
        if (!bytes) {
            why = "the item has no binary '" + std::string(layout::response_field) + "' attribute";
            return client_errc::unsupported_value;
        }
        if (options.codec == value_codec::raw) {
            out = *bytes;
            return {};
        }
        cache_codec::decoded d = cache_codec::decode_cachelib(*bytes);
        if (d.what == cache_codec::decoded::kind::unsupported) {
            why = "the stored value is " + d.reason;
            return client_errc::unsupported_value;
        }
        if (d.what == cache_codec::decoded::kind::value) out = std::move(d.text);
        return {};
    }

    // DynamoDB's time, not this host's (see client::now): entries last as long on any host.
    layout::wall_clock::time_point now() const { return dynamodb.now(); }

    // The key of an item from the table, or null: a misbehaving server may leave it out.
    const std::string* key_of(const item& it) const {
        const attribute_value* k = it.find(options.key_field);
        return k ? k->if_S() : nullptr;
    }
    std::string no_key_attribute(const char* operation) const {
        return std::string(operation) + " answered an item without its string key attribute '" +
               codec::printable(options.key_field) + "'";
    }

    // ---- the table ----

    // Creates the table (or waits for the one another caller is creating) and enables TTL.
    asio::awaitable<error_code> create_table(diagnostics* diag) {
        create_table_request create{options.table_name, {options.key_field, 'S'}, {}, {}};
        auto [ec, table] = co_await dynamodb::call_operation(dynamodb, create, diag);
        const bool created_here = !ec;
        if (ec && ec != service_errc::resource_in_use) co_return ec;
        describe_table_request describe{options.table_name};
        for (int i = 0; table.status != "ACTIVE"; ++i) {
            if (i == 600) co_return client_errc::timeout;
            co_await sleep_for(std::chrono::milliseconds(i < 10 ? 20 : 100));
            auto described = co_await dynamodb::call_operation(dynamodb, describe, diag);
            ec = described.ec;
            table = std::move(described.value);
            if (ec) co_return ec;
        }
        if (created_here) {
            update_time_to_live_request ttl{options.table_name, options.expiration_time_field, true};
            diagnostics ttl_diag;
            auto [ttl_ec, ttl_result] = co_await dynamodb::call_operation(dynamodb, ttl, &ttl_diag);
            if (ttl_ec)
                std::clog << "ddbcache: table '" << options.table_name << "' created without TTL ("
                          << ttl_diag.message << ")\n";
        }
        co_return error_code{};
    }

    // Runs `operation`; when the table is missing and may be created, creates it and runs again.
    template <class T, class Operation>
    asio::awaitable<outcome<T>> with_table(Operation operation, diagnostics* diag) {
        outcome<T> r = co_await operation();
        if (r.ec != service_errc::resource_not_found || !options.create_table) co_return r;
        if (error_code ec = co_await create_table(diag)) co_return outcome<T>{ec, {}};
        co_return co_await operation();
    }

    // ---- single-key operations ----

    // The unexpired item, or an empty one.
    asio::awaitable<outcome<item>> get_item(std::string full, bool only_expiration, bool consistent, diagnostics* diag) {
        get_item_request get{options.table_name, key_item(full), {}, {}, consistent};
        if (only_expiration) {
            get.projection = "#k, #e";
            get.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
        }
        auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(get), diag);
        if (!ec && r.found && !key_of(*r.found))
            co_return failure<item>(diag, client_errc::bad_response, no_key_attribute("GetItem"));
        if (ec || !r.found || layout::is_expired(options, *r.found, now())) co_return outcome<item>{ec, {}};
        co_return outcome<item>{{}, std::move(*r.found)};
    }

    asio::awaitable<outcome<value>> get(std::string key, diagnostics* diag) {
        const std::string full = full_key(key);
        std::string why;
        if (error_code ec = check_key(key, full, why)) co_return failure<value>(diag, ec, why);
        auto [ec, found] = co_await get_item(full, false, options.consistent_reads, diag);
        if (ec || found.empty()) co_return outcome<value>{ec, {}};
        outcome<value> out;
        if ((out.ec = decode(found, out.value, why))) co_return failure<value>(diag, out.ec, why);
        co_return out;
    }

    asio::awaitable<outcome<bool>> has(std::string key, diagnostics* diag) {
        const std::string full = full_key(key);
        std::string why;
        if (error_code ec = check_key(key, full, why)) co_return failure<bool>(diag, ec, why);
        auto [ec, found] = co_await get_item(full, true, options.consistent_reads, diag);
        co_return outcome<bool>{ec, !ec && !found.empty()};
    }

    // set or add, dated by DynamoDB's clock. A write dated before any answer told that clock, whose
    // call then learned it (refused as a clock-skew error and re-signed with the same body), is
    // written again with the right dates: its own item only (still the one it wrote), or, for an
    // add refused by a wrongly dated condition, the add again.
    asio::awaitable<outcome<bool>> put_dated(std::string key, const std::string& v, timeout_option timeout,
                                             bool only_if_absent, diagnostics* diag) {
        const auto skew = dynamodb.clock_skew();
        const auto now = dynamodb.now();
        outcome<bool> r = co_await put(key, v, timeout, only_if_absent, now, {}, diag);
        if (r.ec || dynamodb.clock_skew() == skew) co_return r;
        if (only_if_absent && !r.value) co_return co_await put(std::move(key), v, timeout, true, dynamodb.now(), {}, diag);
        outcome<bool> again = co_await put(std::move(key), v, timeout, false, dynamodb.now(), layout::iso8601(now), diag);
        co_return again.ec ? again : r;
    }

    // set, or add when `only_if_absent`: then an unexpired item makes it false. A set with
    // `replacing` overwrites only the item created at that time (and is true when another write
    // replaced it since). `v` by reference (it may be 400 KB): run() keeps the operation's
    // arguments alive meanwhile.
    asio::awaitable<outcome<bool>> put(std::string key, const std::string& v, timeout_option timeout,
                                       bool only_if_absent, layout::wall_clock::time_point now,
                                       std::optional<std::string> replacing, diagnostics* diag) {
        const std::string full = full_key(key);
        std::string why;
        put_item_request put;
        put.table = options.table_name;
        if (error_code ec = check_key(key, full, why)) co_return failure<bool>(diag, ec, why);
        if (error_code ec = layout::build_item(options, full, encode(v), timeout_seconds(timeout), now, put.attributes, why))
            co_return failure<bool>(diag, ec, why);
        if (!only_if_absent) {
            if (replacing) {
                put.write.condition = "#c = :c";
                put.write.names = {{"#c", layout::created_at_field}};
                put.write.values.set(":c", attribute_value::S(std::move(*replacing)));
            }
            auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(put), diag);
            if (replacing && ec == service_errc::conditional_check_failed) {
                if (diag) diag->aws_type.clear(), diag->message.clear();
                co_return outcome<bool>{{}, true};
            }
            co_return outcome<bool>{ec, !ec};
        }
        put.write.condition = "attribute_not_exists(#k) OR #e <= :now";
        put.write.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
        put.write.values.set(":now", attribute_value::N(layout::epoch_seconds(now)));
        put.write.return_item_on_condition_failure = true;
        const item written = put.attributes;
        diagnostics local;
        diagnostics* d = diag ? diag : &local;
        auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(put), d);
        if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
        auto [read_ec, own] = co_await wrote_it_earlier(full, written, r.attributes, *d);
        if (read_ec) co_return outcome<bool>{read_ec, false};
        co_return outcome<bool>{{}, own};
    }

    // After a conditional write failed on a retried call: whether the item that made it fail is
    // the one this call wrote, in an attempt whose answer was lost. Its created_at (to the
    // microsecond) and value tell it apart from another writer's. `existing` is the item the
    // failure returned, when the server returns it; otherwise it is read. On true, `d` no longer
    // reports the failure.
    asio::awaitable<outcome<bool>> wrote_it_earlier(const std::string& full, const item& written,
                                                    std::optional<item> existing, diagnostics& d) {
        if (d.attempts < 2) co_return outcome<bool>{{}, false};
        // The item in a failure's body is not always checksummed (DynamoDB Local sends no
        // x-amz-crc32 on errors): when it does not match, a strongly consistent read decides.
        if (!existing || !is_same_write(*existing, written)) {
            auto [ec, found] = co_await get_item(full, false, true, &d);
            if (ec) co_return outcome<bool>{ec, false};
            existing.reset();
            if (!found.empty()) existing = std::move(found);
        }
        const bool own = existing && is_same_write(*existing, written);
        if (own) d.aws_type.clear(), d.message.clear();
        co_return outcome<bool>{{}, own};
    }

    static bool is_same_write(const item& existing, const item& written) {
        const attribute_value* a = existing.find(layout::created_at_field);
        const attribute_value* b = written.find(layout::created_at_field);
        const attribute_value* x = existing.find(layout::response_field);
        const attribute_value* y = written.find(layout::response_field);
        return a && b && x && y && *a == *b && *x == *y;
    }

    asio::awaitable<outcome<bool>> erase(std::string key, diagnostics* diag) {
        const std::string full = full_key(key);
        std::string why;
        if (error_code ec = check_key(key, full, why)) co_return failure<bool>(diag, ec, why);
        delete_item_request del{options.table_name, key_item(full), {}};
        del.write.condition = "attribute_exists(#k)";
        del.write.names = {{"#k", options.key_field}};
        diagnostics local;
        diagnostics* d = diag ? diag : &local;
        auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(del), d);
        if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
        // false must mean that the table had no such item. After a retry, an absent item may be
        // this call's own work, done in an attempt whose answer was lost.
        if (d->attempts < 2) co_return outcome<bool>{{}, false};
        co_return failure<bool>(d, client_errc::outcome_unknown,
                                "DeleteItem of key '" + codec::printable(full) + "' was sent " +
                                    std::to_string(d->attempts) +
                                    " times and the item is gone; an attempt whose answer was lost may have deleted it");
    }

    // ---- counters ----

    // Compare-and-swap on the stored bytes: atomic across coroutines, threads and processes, and
    // stored as cachelib stores ints (digits in `response`), so Python reads an int.
    // `subtract`: dec, which negates `delta` here, where INT64_MIN's overflow can be reported.
    asio::awaitable<outcome<std::int64_t>> inc(std::string key, std::int64_t delta, bool subtract, diagnostics* diag) {
        const std::string full = full_key(key);
        std::string why;
        if (error_code ec = check_key(key, full, why)) co_return failure<std::int64_t>(diag, ec, why);
        std::optional<item> current;
        bool fresh = false; // `current` came with the last failed condition
        for (int round = 0; round < 2000; ++round) {
            if (!fresh) {
                auto [ec, found] = co_await get_item(full, false, true, diag);
                if (ec) co_return outcome<std::int64_t>{ec, {}};
                current = found.empty() ? std::nullopt : std::optional<item>(std::move(found));
            }
            std::int64_t base = 0;
            if (current) {
                if (error_code ec = integer_value(full, *current, base, why)) co_return failure<std::int64_t>(diag, ec, why);
            }
            std::int64_t next = 0;
            if (subtract ? __builtin_sub_overflow(base, delta, &next) : __builtin_add_overflow(base, delta, &next))
                co_return failure<std::int64_t>(diag, client_errc::unsupported_value,
                                                std::string(subtract ? "decrementing" : "incrementing") + " key '" +
                                                    codec::printable(full) + "' (" + std::to_string(base) + ") by " +
                                                    std::to_string(delta) + " overflows 64 bits");
            put_item_request put;
            put.table = options.table_name;
            if (error_code ec = layout::build_item(options, full, cache_codec::encode_integer(next),
                                                   options.default_timeout.count(), now(),
                                                   put.attributes, why))
                co_return failure<std::int64_t>(diag, ec, why);
            if (current) {
                put.write.condition = "#r = :old";
                put.write.names = {{"#r", layout::response_field}};
                put.write.values.set(":old", *current->find(layout::response_field));
            } else {
                put.write.condition = "attribute_not_exists(#k) OR #e <= :now";
                put.write.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
                put.write.values.set(":now", attribute_value::N(layout::epoch_seconds(now())));
            }
            put.write.return_item_on_condition_failure = true;
            const item written = put.attributes;
            diagnostics local;
            diagnostics* d = diag ? diag : &local;
            auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(put), d);
            if (!ec) co_return outcome<std::int64_t>{{}, next};
            if (ec != service_errc::conditional_check_failed) co_return outcome<std::int64_t>{ec, {}};
            // A retried call may have applied the delta in an attempt whose answer was lost.
            auto [read_ec, own] = co_await wrote_it_earlier(full, written, r.attributes, *d);
            if (read_ec) co_return outcome<std::int64_t>{read_ec, {}};
            if (own) co_return outcome<std::int64_t>{{}, next};
            // Lost the race: start again from what won it (or read it, on servers that do not
            // return it), after a short random pause that spreads the contenders out.
            fresh = r.attributes.has_value();
            if (fresh) current = layout::is_expired(options, *r.attributes, now()) ? std::nullopt : r.attributes;
            co_await sleep_for(dynamodb::backoff_delay(contention_backoff, static_cast<unsigned>(round) + 1));
        }
        co_return failure<std::int64_t>(diag, client_errc::timeout,
                                        "incrementing key '" + codec::printable(full) + "' lost 2000 races in a row");
    }

    error_code integer_value(const std::string& full, const item& it, std::int64_t& out, std::string& why) const {
        std::optional<std::string> text;
        if (error_code ec = decode(it, text, why)) return ec;
        if (!text) return {}; // a stored None counts as absent
        auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
        if (ec != std::errc{} || ptr != text->data() + text->size() || !cache_codec::is_integer_text(*text)) {
            why = "the value of key '" + codec::printable(full) + "' is not an integer that fits 64 bits";
            return client_errc::unsupported_value;
        }
        return {};
    }

    // ---- batches ----

    template <class T>
    static asio::awaitable<std::vector<outcome<T>>> in_parallel(std::vector<asio::awaitable<outcome<T>>> tasks) {
        std::vector<outcome<T>> results;
        if (tasks.empty()) co_return results;
        auto ex = co_await asio::this_coro::executor;
        using task_op = decltype(asio::co_spawn(ex, std::move(tasks.front()), asio::deferred));
        std::vector<task_op> ops;
        ops.reserve(tasks.size());
        for (auto& t : tasks) ops.push_back(asio::co_spawn(ex, std::move(t), asio::deferred));
        auto [order, exceptions, values] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                                .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
        for (auto& e : exceptions)
            if (e) std::rethrow_exception(e);
        co_return std::move(values);
    }

    // A batch answer may leave part undone (DynamoDB answers at most 16 MB, and 1 MB per
    // partition). A round that leaves fewer undone is progress and goes on at once; only rounds
    // without progress count towards this limit, with backoff between them.
    static constexpr int max_rounds_without_progress = 12;

    static std::size_t count_keys(const std::vector<table_keys>& tables) {
        std::size_t n = 0;
        for (const table_keys& t : tables) n += t.keys.size();
        return n;
    }
    static std::size_t count_writes(const std::vector<table_writes>& tables) {
        std::size_t n = 0;
        for (const table_writes& t : tables) n += t.writes.size();
        return n;
    }

    asio::awaitable<outcome<std::vector<item>>> batch_get(std::vector<item> keys, diagnostics* diag) {
        batch_get_item_request get{{{options.table_name, std::move(keys), {}, {}, options.consistent_reads}}};
        std::vector<item> found;
        for (int stalled = 0; !get.tables.empty();) {
            const std::size_t asked = count_keys(get.tables);
            auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(get), diag);
            if (ec) co_return outcome<std::vector<item>>{ec, {}};
            for (table_items& t : r.found)
                for (item& it : t.items) found.push_back(std::move(it));
            const std::size_t left = count_keys(r.unprocessed);
            get = batch_get_item_request{std::move(r.unprocessed)}; // the request was moved into the call
            if (left < asked) {
                stalled = 0;
                continue;
            }
            if (++stalled == max_rounds_without_progress)
                co_return failure<std::vector<item>>(diag, client_errc::timeout,
                                                     "BatchGetItem left " + std::to_string(left) + " keys unprocessed " +
                                                         std::to_string(max_rounds_without_progress) + " rounds in a row");
            co_await sleep_for(dynamodb::backoff_delay(batch_backoff, static_cast<unsigned>(stalled)));
        }
        co_return outcome<std::vector<item>>{{}, std::move(found)};
    }

    asio::awaitable<outcome<bool>> batch_write(std::vector<write_request> writes, diagnostics* diag) {
        batch_write_item_request w{{{options.table_name, std::move(writes)}}};
        for (int stalled = 0; !w.tables.empty();) {
            const std::size_t asked = count_writes(w.tables);
            auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(w), diag);
            if (ec) co_return outcome<bool>{ec, false};
            const std::size_t left = count_writes(r.unprocessed);
            w = batch_write_item_request{std::move(r.unprocessed)}; // the request was moved into the call
            if (left < asked) {
                stalled = 0;
                continue;
            }
            if (++stalled == max_rounds_without_progress)
                co_return failure<bool>(diag, client_errc::timeout,
                                        "BatchWriteItem left " + std::to_string(left) + " items unprocessed " +
                                            std::to_string(max_rounds_without_progress) + " rounds in a row");
            co_await sleep_for(dynamodb::backoff_delay(batch_backoff, static_cast<unsigned>(stalled)));
        }
        co_return outcome<bool>{{}, true};
    }

    // Full keys of `ks`, each checked; duplicates kept (callers dedupe as they need).
    error_code full_keys(const keys& ks, std::vector<std::string>& out, std::string& why) const {
        out.clear();
        for (const std::string& k : ks) {
            out.push_back(full_key(k));
            if (error_code ec = check_key(k, out.back(), why)) return ec;
        }
        return {};
    }

    static std::vector<std::string> unique_in_order(const std::vector<std::string>& all) {
        std::unordered_set<std::string> seen;
        std::vector<std::string> out;
        for (const std::string& k : all)
            if (seen.insert(k).second) out.push_back(k);
        return out;
    }

    asio::awaitable<outcome<values>> get_many(keys ks, diagnostics* diag) {
        std::vector<std::string> fulls;
        std::string why;
        if (error_code ec = full_keys(ks, fulls, why)) co_return failure<values>(diag, ec, why);
        const std::vector<std::string> unique = unique_in_order(fulls);
        std::vector<asio::awaitable<outcome<std::vector<item>>>> chunks;
        for (std::size_t i = 0; i < unique.size(); i += 100) {
            std::vector<item> chunk_keys;
            for (std::size_t j = i; j < std::min(unique.size(), i + 100); ++j) chunk_keys.push_back(key_item(unique[j]));
            chunks.push_back(batch_get(std::move(chunk_keys), diag));
        }
        std::unordered_map<std::string, value> by_key;
        const auto now = this->now();
        for (outcome<std::vector<item>>& chunk : co_await in_parallel(std::move(chunks))) {
            if (chunk.ec) co_return outcome<values>{chunk.ec, {}};
            for (const item& it : chunk.value) {
                if (layout::is_expired(options, it, now)) continue;
                const std::string* k = key_of(it);
                if (!k) co_return failure<values>(diag, client_errc::bad_response, no_key_attribute("BatchGetItem"));
                value v;
                if (error_code ec = decode(it, v, why)) co_return failure<values>(diag, ec, why);
                by_key[*k] = std::move(v);
            }
        }
        values out;
        for (const std::string& full : fulls) {
            auto found = by_key.find(full);
            out.push_back(found == by_key.end() ? value{} : found->second);
        }
        co_return outcome<values>{{}, std::move(out)};
    }

    asio::awaitable<outcome<value_map>> get_dict(keys ks, diagnostics* diag) {
        auto [ec, vs] = co_await get_many(ks, diag);
        value_map out;
        for (std::size_t i = 0; !ec && i < ks.size(); ++i) out[ks[i]] = std::move(vs[i]);
        co_return outcome<value_map>{ec, std::move(out)};
    }

    asio::awaitable<outcome<keys>> set_many(mapping pairs, timeout_option timeout, diagnostics* diag) {
        // Every item is built (and checked) before the first request: nothing is half-stored.
        std::unordered_map<std::string, std::size_t> slot_of;
        std::vector<write_request> writes;
        keys stored;
        const auto now = this->now();
        std::string why;
        for (auto& [key, v] : pairs) {
            const std::string full = full_key(key);
            write_request w{write_request::kind::put, {}};
            if (error_code ec = check_key(key, full, why)) co_return failure<keys>(diag, ec, why);
            if (error_code ec = layout::build_item(options, full, encode(v), timeout_seconds(timeout), now, w.attributes, why))
                co_return failure<keys>(diag, ec, why);
            auto [it, inserted] = slot_of.emplace(full, writes.size());
            if (inserted) {
                writes.push_back(std::move(w));
                stored.push_back(key);
            } else {
                writes[it->second] = std::move(w); // the last value wins, as in a dict
            }
        }
        std::vector<asio::awaitable<outcome<bool>>> chunks;
        for (std::size_t i = 0; i < writes.size(); i += 25) {
            std::vector<write_request> chunk(std::make_move_iterator(writes.begin() + static_cast<std::ptrdiff_t>(i)),
                                             std::make_move_iterator(writes.begin() + static_cast<std::ptrdiff_t>(std::min(writes.size(), i + 25))));
            chunks.push_back(batch_write(std::move(chunk), diag));
        }
        for (outcome<bool>& r : co_await in_parallel(std::move(chunks)))
            if (r.ec) co_return outcome<keys>{r.ec, {}};
        co_return outcome<keys>{{}, std::move(stored)};
    }

    // Conditional deletes, 64 at a time: exact about which keys existed.
    asio::awaitable<outcome<keys>> erase_many(keys ks, diagnostics* diag) {
        std::vector<std::string> fulls;
        std::string why;
        if (error_code ec = full_keys(ks, fulls, why)) co_return failure<keys>(diag, ec, why);
        std::unordered_set<std::string> seen;
        keys unique_keys;
        for (const std::string& k : ks)
            if (seen.insert(k).second) unique_keys.push_back(k);
        keys deleted;
        for (std::size_t i = 0; i < unique_keys.size(); i += 64) {
            std::vector<asio::awaitable<outcome<bool>>> window;
            const std::size_t end = std::min(unique_keys.size(), i + 64);
            // One diagnostics each: erase reads its own attempt count, and the erases may run on
            // several threads at once.
            std::vector<diagnostics> each(end - i);
            for (std::size_t j = i; j < end; ++j) window.push_back(erase(unique_keys[j], &each[j - i]));
            std::vector<outcome<bool>> results = co_await in_parallel(std::move(window));
            for (std::size_t j = i; j < end; ++j) {
                if (results[j - i].ec) {
                    if (diag) *diag = std::move(each[j - i]);
                    co_return outcome<keys>{results[j - i].ec, {}};
                }
                if (results[j - i].value) deleted.push_back(unique_keys[j]);
            }
        }
        co_return outcome<keys>{{}, std::move(deleted)};
    }

    asio::awaitable<outcome<bool>> clear_segment(unsigned segment, unsigned segments, diagnostics* diag) {
        scan_request scan{options.table_name};
        scan.projection = "#k";
        scan.names = {{"#k", options.key_field}};
        if (!options.key_prefix.empty()) {
            scan.filter = "begins_with(#k, :prefix)";
            scan.values.set(":prefix", attribute_value::S(options.key_prefix));
        }
        scan.segment = segment;
        scan.total_segments = segments;
        // Pages continue from a key past the last one: a key seen before means a server that
        // would make this loop forever.
        std::unordered_set<std::string> start_keys;
        do {
            auto [ec, page] = co_await dynamodb::call_operation(dynamodb, scan, diag);
            if (ec) co_return outcome<bool>{ec, false};
            for (const item& it : page.items)
                if (!key_of(it)) co_return failure<bool>(diag, client_errc::bad_response, no_key_attribute("Scan"));
            if (page.last_evaluated_key) {
                const std::string* k = key_of(*page.last_evaluated_key);
                if (!k) co_return failure<bool>(diag, client_errc::bad_response, no_key_attribute("Scan's LastEvaluatedKey"));
                if (!start_keys.insert(*k).second)
                    co_return failure<bool>(diag, client_errc::bad_response,
                                            "Scan answered LastEvaluatedKey '" + codec::printable(*k) +
                                                "' a second time: the scan would never end");
            }
            for (std::size_t i = 0; i < page.items.size(); i += 25) {
                std::vector<write_request> deletes;
                for (std::size_t j = i; j < std::min(page.items.size(), i + 25); ++j)
                    deletes.push_back({write_request::kind::erase, item{{options.key_field, *page.items[j].find(options.key_field)}}});
                auto [write_ec, ok] = co_await batch_write(std::move(deletes), diag);
                if (write_ec) co_return outcome<bool>{write_ec, false};
            }
            scan.exclusive_start_key = std::move(page.last_evaluated_key);
        } while (scan.exclusive_start_key);
        co_return outcome<bool>{{}, true};
    }

    asio::awaitable<outcome<bool>> clear(diagnostics* diag) {
        const unsigned segments = std::max(1u, options.clear_segments);
        std::vector<asio::awaitable<outcome<bool>>> tasks;
        for (unsigned s = 0; s < segments; ++s) tasks.push_back(clear_segment(s, segments, diag));
        for (outcome<bool>& r : co_await in_parallel(std::move(tasks)))
            if (r.ec) co_return r;
        co_return outcome<bool>{{}, true};
    }

    // ---- dispatch ----

    template <class T>
    static asio::awaitable<outcome<T>> run(std::shared_ptr<impl> self, cache::op o, diagnostics* diag);
};

template <class T>
asio::awaitable<outcome<T>> cache::impl::run(std::shared_ptr<impl> self, cache::op o, diagnostics* diag) {
    using kind = cache::op_kind;
    impl& c = *self; // `self` in this frame keeps the cache's state alive
    const outcome<bool> entered = co_await c.enter_gate(diag);
    if (entered.ec) co_return outcome<T>{entered.ec, {}};
    detail::admission leave_when_done(c.gate);
    auto operation = [&c, &o, diag]() -> asio::awaitable<outcome<T>> {
        if constexpr (std::is_same_v<T, value>) {
            co_return co_await c.get(o.key, diag);
        } else if constexpr (std::is_same_v<T, bool>) {
            switch (o.kind) {
            case kind::set: co_return co_await c.put_dated(o.key, o.value, o.timeout, false, diag);
            case kind::add: co_return co_await c.put_dated(o.key, o.value, o.timeout, true, diag);
            case kind::erase: co_return co_await c.erase(o.key, diag);
            case kind::has: co_return co_await c.has(o.key, diag);
            default: co_return co_await c.clear(diag);
            }
        } else if constexpr (std::is_same_v<T, values>) {
            co_return co_await c.get_many(o.many_keys, diag);
        } else if constexpr (std::is_same_v<T, value_map>) {
            co_return co_await c.get_dict(o.many_keys, diag);
        } else if constexpr (std::is_same_v<T, keys>) {
            if (o.kind == kind::set_many) co_return co_await c.set_many(o.pairs, o.timeout, diag);
            co_return co_await c.erase_many(o.many_keys, diag);
        } else {
            co_return co_await c.inc(o.key, o.delta, o.kind == kind::dec, diag);
        }
    };
    co_return co_await c.with_table<T>(operation, diag);
}

cache::cache(asio::any_io_executor executor, cache_options options)
    : impl_(std::make_shared<impl>(executor, std::move(options))) {}
cache::~cache() = default;
cache::cache(cache&&) noexcept = default;
cache& cache::operator=(cache&&) noexcept = default;

const cache_options& cache::options() const noexcept { return impl_->options; }
client& cache::dynamodb() noexcept { return impl_->dynamodb; }

#define DDBCACHE_CACHE_START(T)                                                                     \
    void cache::start(op o, diagnostics* diag, handler_for<T> handler) {                           \
        detail::spawn_erased<T>(impl_->dynamodb.get_executor(), impl::run<T>(impl_, std::move(o), diag), \
                                std::move(handler));                                               \
    }
DDBCACHE_CACHE_START(cache::value)
DDBCACHE_CACHE_START(bool)
DDBCACHE_CACHE_START(cache::values)
DDBCACHE_CACHE_START(cache::value_map)
DDBCACHE_CACHE_START(cache::keys)
DDBCACHE_CACHE_START(std::int64_t)
#undef DDBCACHE_CACHE_START

} // namespace ddbcache
