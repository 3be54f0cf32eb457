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
    update_item_request update{options.table_name, key_item(full), expiration > 0 ? "SET #e = :e" : "REMOVE #e", {}};
    update.write.condition = "attribute_exists(#k) AND (attribute_not_exists(#e) OR #e > :now)";
    update.write.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
    update.write.values.set(":now", attribute_value::N(layout::epoch_seconds(now_time)));
    if (expiration > 0) update.write.values.set(":e", attribute_value::N(expiration));
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), d);
    if (ec == service_errc::conditional_check_failed) {
        d->aws_type.clear(), d->message.clear();
        co_return outcome<bool>{{}, false};
    }
    co_return outcome<bool>{ec, !ec};
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
    update_item_request update{options.table_name, key_item(*full), "SET #e = :e", {}};
    // Only the entry as read: a concurrent writer's new entry, or another reader's slide, wins.
    update.write.condition = "#e = :seen";
    update.write.names = {{"#e", options.expiration_time_field}};
    update.write.values.set(":seen", *seen);
    update.write.values.set(":e", attribute_value::N(target));
    diagnostics d;
    const auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), &d);
    const error_code failed = ec; // a structured binding cannot be captured by the lambda (C++17 rule clang keeps)
    if (failed && failed != service_errc::conditional_check_failed)
        write_log(dynamodb->options().log, log_level::warning, "cache", [&] {
            return "sliding the expiration of key '" + codec::printable(*full) + "' failed: " + failed.message() +
                   " " + d.message;
        });
}

} // namespace ddbcache
