// get, has, set, add and erase: one item each.
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/typed_call.hpp"

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

// The unexpired item, or an empty one.
asio::awaitable<outcome<item>> cache::impl::get_item(std::string full, bool only_expiration, bool consistent,
                                                     diagnostics* diag) {
    get_item_request get{options.table_name, key_item(full), {}, {}, consistent};
    if (only_expiration) {
        get.projection = "#k, #e";
        get.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
    }
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(get), diag);
    if (!ec && r.found && !key_of(*r.found))
        co_return failure<item>(diag, client_errc::bad_response, no_key_attribute("GetItem"));
    if (ec || !r.found || layout::is_expired(options, *r.found, now())) co_return outcome<item>{ec, {}};
    co_return outcome<item>{{}, std::move(*r.found)};
}

asio::awaitable<outcome<cache::value>> cache::impl::run(const cache_requests::get& request, diagnostics* diag) {
    const std::string full = full_key(request.key);
    std::string why;
    if (error_code ec = check_key(request.key, full, why)) co_return failure<value>(diag, ec, why);
    const near_cache::ticket ticket = near ? near->take_ticket(request.key) : near_cache::ticket{};
    auto [ec, found] = co_await get_item(full, false, options.consistent_reads, diag);
    if (ec) co_return outcome<value>{ec, {}};
    if (layout::is_large_head(found)) {
        auto [load_ec, loaded] = co_await load_chunks(found, diag);
        if (load_ec) co_return outcome<value>{load_ec, {}};
    }
    outcome<value> out;
    if (!found.empty() && (out.ec = decode(found, out.value, why))) co_return failure<value>(diag, out.ec, why);
    fill_near(ticket, request.key, found, out.value);
    if (!found.empty() && sliding()) co_await slide_if_due(found); // tested first: a coroutine frame per get otherwise
    co_return out;
}

asio::awaitable<outcome<bool>> cache::impl::run(const cache_requests::has& request, diagnostics* diag) {
    const std::string full = full_key(request.key);
    std::string why;
    if (error_code ec = check_key(request.key, full, why)) co_return failure<bool>(diag, ec, why);
    auto [ec, found] = co_await get_item(full, true, options.consistent_reads, diag);
    co_return outcome<bool>{ec, !ec && !found.empty()};
}

asio::awaitable<outcome<bool>> cache::impl::run(const cache_requests::set& request, diagnostics* diag) {
    return put_dated(request.key, request.value, request.timeout, false, diag);
}

asio::awaitable<outcome<bool>> cache::impl::run(const cache_requests::add& request, diagnostics* diag) {
    return put_dated(request.key, request.value, request.timeout, true, diag);
}

// set or add, dated by DynamoDB's clock. A write dated before any answer told that clock, whose
// call then learned it (refused as a clock-skew error and re-signed with the same body), is
// written again with the right dates: its own item only (still the one it wrote), or, for an
// add refused by a wrongly dated condition, the add again. The arguments are references into
// the request, which run_admitted keeps alive (a value may be 400 KB).
asio::awaitable<outcome<bool>> cache::impl::put_dated(const std::string& key, const std::string& v,
                                                      timeout_option timeout, bool only_if_absent, diagnostics* diag) {
    const auto skew = dynamodb->clock_skew();
    const auto now = dynamodb->now();
    outcome<bool> r = co_await put(key, v, timeout, only_if_absent, now, {}, diag);
    if (r.ec || dynamodb->clock_skew() == skew) co_return r;
    if (only_if_absent && !r.value) co_return co_await put(key, v, timeout, true, dynamodb->now(), {}, diag);
    outcome<bool> again = co_await put(key, v, timeout, false, dynamodb->now(), layout::iso8601(now), diag);
    co_return again.ec ? again : r;
}

// set, or add when `only_if_absent`: then an unexpired item makes it false. A set with
// `replacing` overwrites only the item created at that time (and is true when another write
// replaced it since).
asio::awaitable<outcome<bool>> cache::impl::put(const std::string& key, const std::string& v, timeout_option timeout,
                                                bool only_if_absent, layout::wall_clock::time_point now,
                                                std::optional<std::string> replacing, diagnostics* diag) {
    const std::string full = full_key(key);
    std::string why;
    put_item_request put;
    put.table = options.table_name;
    if (error_code ec = check_key(key, full, why)) co_return failure<bool>(diag, ec, why);
    layout::stored_value stored;
    if (error_code ec = encode(full, v, stored, why)) co_return failure<bool>(diag, ec, why);
    if (error_code ec = layout::build_item(options, full, stored, timeout_seconds(timeout), now, put.attributes, why))
        co_return failure<bool>(diag, ec, why);
    if (layout::is_large_head(put.attributes))
        co_return co_await put_large(std::move(put.attributes), std::move(stored.bytes), only_if_absent,
                                     std::move(replacing), diag);
    if (!only_if_absent) {
        if (replacing) {
            put.write.condition = "#c = :c";
            put.write.names = {{"#c", layout::created_at_field}};
            put.write.values.set(":c", attribute_value::S(std::move(*replacing)));
        } else if (chunks_values()) {
            // With large values on, a large value's head is replaced by the slower way that deletes
            // its chunks. (A cache without them keeps today's unconditional put, and leaves such
            // chunks to expire.)
            put.write.condition = "attribute_not_exists(#n)";
            put.write.names = {{"#n", layout::chunks_field}};
        }
        auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(put), diag);
        if (ec == service_errc::conditional_check_failed) {
            if (diag) diag->aws_type.clear(), diag->message.clear();
            if (replacing) co_return outcome<bool>{{}, true};
            co_return co_await put_over_head(full, v, timeout, now, diag);
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
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(put), d);
    if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
    auto [read_ec, own] = co_await wrote_it_earlier(full, written, r.attributes, *d);
    if (read_ec) co_return outcome<bool>{read_ec, false};
    co_return outcome<bool>{{}, own};
}

// A set whose key holds a large value: one PutItem that returns the head it replaces, whose chunks
// are then deleted.
asio::awaitable<outcome<bool>> cache::impl::put_over_head(const std::string& full, const std::string& v,
                                                          timeout_option timeout, layout::wall_clock::time_point now,
                                                          diagnostics* diag) {
    std::string why;
    layout::stored_value stored;
    internal_requests::put_entry put{{}, true};
    if (error_code ec = encode(full, v, stored, why)) co_return failure<bool>(diag, ec, why);
    if (error_code ec = layout::build_item(options, full, stored, timeout_seconds(timeout), now, put.attributes, why))
        co_return failure<bool>(diag, ec, why);
    co_return co_await run(put, diag);
}

// After a conditional write failed on a retried call: whether the item that made it fail is
// the one this call wrote, in an attempt whose answer was lost. Its created_at (to the
// microsecond) and value tell it apart from another writer's. `existing` is the item the
// failure returned, when the server returns it; otherwise it is read. On true, `d` no longer
// reports the failure.
asio::awaitable<outcome<bool>> cache::impl::wrote_it_earlier(const std::string& full, const item& written,
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

// Same created_at, and the same value: its bytes, or a large value's version.
bool cache::impl::is_same_write(const item& existing, const item& written) {
    const char* value_field = layout::is_large_head(written) ? layout::version_field : layout::response_field;
    const attribute_value* a = existing.find(layout::created_at_field);
    const attribute_value* b = written.find(layout::created_at_field);
    const attribute_value* x = existing.find(value_field);
    const attribute_value* y = written.find(value_field);
    return a && b && x && y && *a == *b && *x == *y;
}

asio::awaitable<outcome<bool>> cache::impl::run(const cache_requests::erase& request, diagnostics* diag) {
    const std::string full = full_key(request.key);
    std::string why;
    if (error_code ec = check_key(request.key, full, why)) co_return failure<bool>(diag, ec, why);
    delete_item_request del{options.table_name, key_item(full), {}};
    del.write.condition = "attribute_exists(#k)";
    del.write.names = {{"#k", options.key_field}};
    // With large values on, the key may hold one, whose chunks go with it. (A cache without them
    // leaves such chunks to expire: its erases stay one plain DeleteItem.)
    if (chunks_values()) del.write.returned = return_values::all_old;
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(del), d);
    if (!ec && r.attributes && layout::is_large_head(*r.attributes)) co_await delete_chunks(*r.attributes);
    if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
    // false must mean that the table had no such item. After a retry, an absent item may be
    // this call's own work, done in an attempt whose answer was lost.
    if (d->attempts < 2) co_return outcome<bool>{{}, false};
    co_return failure<bool>(d, client_errc::outcome_unknown,
                            "DeleteItem of key '" + codec::printable(full) + "' was sent " +
                                std::to_string(d->attempts) +
                                " times and the item is gone; an attempt whose answer was lost may have deleted it");
}

// The item as stored, expired or not: get_or_set serves an expired one as stale.
asio::awaitable<outcome<std::optional<item>>> cache::impl::run(const internal_requests::read_entry& request,
                                                                diagnostics* diag) {
    get_item_request get{options.table_name, key_item(request.full), {}, {}, request.consistent};
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(get), diag);
    if (!ec && r.found && !key_of(*r.found))
        co_return failure<std::optional<item>>(diag, client_errc::bad_response, no_key_attribute("GetItem"));
    if (!ec && request.load_large && r.found && layout::is_large_head(*r.found)) {
        auto [load_ec, loaded] = co_await load_chunks(*r.found, diag);
        if (load_ec) co_return outcome<std::optional<item>>{load_ec, {}};
        if (r.found->empty()) r.found.reset();
    }
    co_return outcome<std::optional<item>>{ec, std::move(r.found)};
}

// An unconditional PutItem: overwriting is idempotent, so a retried one needs no check.
asio::awaitable<outcome<bool>> cache::impl::run(const internal_requests::put_entry& request, diagnostics* diag) {
    put_item_request put{options.table_name, request.attributes, {}};
    if (request.delete_replaced_chunks) put.write.returned = return_values::all_old;
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(put), diag);
    if (!ec && r.attributes && layout::is_large_head(*r.attributes)) co_await delete_chunks(*r.attributes);
    co_return outcome<bool>{ec, !ec};
}

// A large value's put as a step of get_or_set.
asio::awaitable<outcome<bool>> cache::impl::run(const internal_requests::put_large_entry& request, diagnostics* diag) {
    return put_large(request.head, request.stored, false, std::nullopt, diag);
}

} // namespace ddbcache
