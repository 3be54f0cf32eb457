// touch and sliding expiration: moving an entry's expiration_time without rewriting its value,
// each by one conditional UpdateItem.
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/typed_call.hpp"
#include "../logging.hpp"

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

// The condition makes touch create nothing and leave expired entries alone; a retried touch whose
// first attempt landed meets it again (the entry is still unexpired), so it is idempotent.
asio::awaitable<outcome<bool>> cache::impl::run(const cache_requests::touch& request, diagnostics* diag) {
    const std::string full = full_key(request.key);
    std::string why;
    if (error_code ec = check_key(request.key, full, why)) co_return failure<bool>(diag, ec, why);
    const auto now_time = now();
    std::int64_t expiration = 0;
    if (error_code ec = layout::expiration_for(full, timeout_seconds(request.timeout), now_time, expiration, why))
        co_return failure<bool>(diag, ec, why);
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    // With the raw codec the key may hold a large value (whatever this cache's max_value_size): its
    // chunks are moved first, then its head (only the version whose chunks were moved), so that the
    // value never outlives them.
    std::optional<item> head;
    for (int round = 0; round < 2; ++round) {
        update_item_request update{options.table_name, key_item(full), expiration > 0 ? "SET #e = :e" : "REMOVE #e",
                                   {}};
        update.write.condition = "attribute_exists(#k) AND (attribute_not_exists(#e) OR #e > :now)";
        update.write.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
        update.write.values.set(":now", attribute_value::N(layout::epoch_seconds(now_time)));
        if (expiration > 0) update.write.values.set(":e", attribute_value::N(expiration));
        if (head) {
            update.write.condition += " AND #v = :v";
            update.write.names.emplace_back("#v", layout::version_field);
            update.write.values.set(":v", *head->find(layout::version_field));
        } else if (options.codec == value_codec::raw) {
            update.write.condition += " AND attribute_not_exists(#n)";
            update.write.names.emplace_back("#n", layout::chunks_field);
        }
        auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), d);
        if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
        d->aws_type.clear(), d->message.clear();
        if (head || options.codec != value_codec::raw) break;
        // Absent, expired, or a large value's head: a strongly consistent read of its attributes tells.
        get_item_request get{options.table_name, key_item(full), "#k, #e, #n, #v, #s, #c",
                             {{"#k", options.key_field}, {"#e", options.expiration_time_field},
                              {"#n", layout::chunks_field}, {"#v", layout::version_field},
                              {"#s", layout::stored_size_field}, {"#c", layout::stored_crc32_field}},
                             true};
        auto [read_ec, read] = co_await dynamodb::call_operation(*dynamodb, std::move(get), d);
        if (read_ec) co_return outcome<bool>{read_ec, false};
        if (!read.found || !layout::is_large_head(*read.found) || layout::is_expired(options, *read.found, now_time))
            break;
        head = std::move(read.found);
        auto [move_ec, moved] = co_await move_chunk_expiration(*head, expiration, d);
        if (move_ec) co_return outcome<bool>{move_ec, false};
    }
    co_return outcome<bool>{{}, false};
}

asio::awaitable<void> cache::impl::slide_if_due(const item& found) {
    const auto& sliding = options.sliding;
    const auto expiration = layout::expiration_seconds(options, found);
    const attribute_value* seen = found.find(options.expiration_time_field);
    const std::string* full = key_of(found);
    if (!expiration || !full) co_return; // never expires (or not a time this library writes)
    const std::int64_t now_seconds = layout::epoch_seconds(now());
    std::int64_t target = now_seconds + sliding.window.count();
    if (sliding.absolute.count() > 0) {
        const attribute_value* created = found.find(layout::created_at_field);
        const auto created_at =
            created && created->if_S() ? layout::parse_iso8601_seconds(*created->if_S()) : std::nullopt;
        if (!created_at) co_return; // the cap cannot be honoured without knowing when the entry began
        target = std::min(target, *created_at + sliding.absolute.count());
    }
    // Skipped while less than a quarter of the window has passed since the last move: a hot key
    // costs a few writes per window, not one per read.
    if (target - *expiration < std::max<std::int64_t>(1, sliding.window.count() / 4)) co_return;
    if (target > layout::max_expiration_seconds) co_return; // past what cachelib can read
    diagnostics d;
    if (layout::is_large_head(found)) {
        auto [move_ec, moved] = co_await move_chunk_expiration(found, target, &d);
        if (move_ec) co_return; // the head keeps its expiry: the value never outlives its chunks
    }
    update_item_request update{options.table_name, key_item(*full), "SET #e = :e", {}};
    // Only the entry as read: a concurrent writer's new entry, or another reader's slide, wins (for a
    // large value, only the version whose chunks were moved).
    update.write.condition = "#e = :seen";
    update.write.names = {{"#e", options.expiration_time_field}};
    update.write.values.set(":seen", *seen);
    if (const attribute_value* version = found.find(layout::version_field); layout::is_large_head(found) && version) {
        update.write.condition += " AND #v = :v";
        update.write.names.emplace_back("#v", layout::version_field);
        update.write.values.set(":v", *version);
    } else if (options.codec == value_codec::raw) {
        update.write.condition += " AND attribute_not_exists(#n)"; // not a large value that replaced it
        update.write.names.emplace_back("#n", layout::chunks_field);
    }
    update.write.values.set(":e", attribute_value::N(target));
    const auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), &d);
    const error_code failed = ec; // a structured binding cannot be captured by the lambda (C++17 rule clang keeps)
    if (failed && failed != service_errc::conditional_check_failed)
        write_log(dynamodb->options().log, log_level::warning, "cache", [&] {
            return "sliding the expiration of key '" + codec::printable(*full) + "' failed: " + failed.message() +
                   " " + d.message;
        });
}

} // namespace ddbcache
