// inc and dec: compare-and-swap on the stored bytes, atomic across coroutines, threads and
// processes, and stored as cachelib stores ints (digits in `response`), so Python reads an int.
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/retry_policy.hpp"
#include "../dynamodb/typed_call.hpp"
#include "cachelib_codec.hpp"

#include <charconv>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

namespace {
// Full-jitter pauses (the client's own backoff) between attempts of a counter that lost a race.
const retry_options contention_backoff{0, std::chrono::milliseconds(1), std::chrono::milliseconds(64), 0, {}};
} // namespace

asio::awaitable<outcome<std::int64_t>> cache::impl::run(const cache_requests::inc& request, diagnostics* diag) {
    return add_to_counter(request.key, request.delta, false, diag);
}

// dec negates `delta` inside add_to_counter, where INT64_MIN's overflow can be reported.
asio::awaitable<outcome<std::int64_t>> cache::impl::run(const cache_requests::dec& request, diagnostics* diag) {
    return add_to_counter(request.key, request.delta, true, diag);
}

asio::awaitable<outcome<std::int64_t>> cache::impl::add_to_counter(const std::string& key, std::int64_t delta,
                                                                   bool subtract, diagnostics* diag) {
    const std::string full = full_key(key);
    std::string why;
    if (error_code ec = check_key(key, full, why)) co_return failure<std::int64_t>(diag, ec, why);
    std::optional<item> current;
    bool fresh = false; // `current` came with the last failed condition
    for (int round = 0; round < cache_limits::counter_rounds; ++round) {
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
        layout::stored_value digits{cache_codec::encode_integer(next)};
        if (error_code ec = layout::build_item(options, full, digits,
                                               options.default_timeout.count(), now(), put.attributes, why))
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
        auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(put), d);
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
                                    "incrementing key '" + codec::printable(full) + "' lost " +
                                        std::to_string(cache_limits::counter_rounds) + " races in a row");
}

error_code cache::impl::integer_value(const std::string& full, const item& it, std::int64_t& out,
                                      std::string& why) const {
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

} // namespace ddbcache
