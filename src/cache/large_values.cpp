// Values too large for one item: a head item under the key names a version, whose chunks live
// under reserved keys. Chunks are written before the head and never change, and the head is
// switched by one PutItem, so a reader sees one whole version or none (see cache_options::max_value_size).
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/crc32.hpp"
#include "../dynamodb/limits.hpp"
#include "../dynamodb/typed_call.hpp"
#include "../logging.hpp"

#include <charconv>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

namespace {

// What a head says of its chunks.
struct head_fields {
    std::string version;
    std::size_t chunks = 0, stored_size = 0;
    std::uint32_t crc32 = 0;
};

template <class T>
bool number_of(const item& it, const char* name, T& out) {
    const attribute_value* v = it.find(name);
    const std::string* digits = v ? v->if_N() : nullptr;
    if (!digits) return false;
    const auto [end, ec] = std::from_chars(digits->data(), digits->data() + digits->size(), out);
    return ec == std::errc() && end == digits->data() + digits->size();
}

// The head's fields, checked against each other and the limits: a head written by another
// program (or a hostile table) must not make a reader allocate or ask without bound.
bool parse_head(const item& head, head_fields& out, std::string& why) {
    const attribute_value* version = head.find(layout::version_field);
    if (!version || !version->if_S() || version->if_S()->empty() || version->if_S()->size() > 64) {
        why = "its version is missing or not a string of 1 to 64 characters";
        return false;
    }
    out.version = *version->if_S();
    if (!number_of(head, layout::chunks_field, out.chunks) ||
        !number_of(head, layout::stored_size_field, out.stored_size) ||
        !number_of(head, layout::stored_crc32_field, out.crc32)) {
        why = "its chunks, stored_size or stored_crc32 is missing or not a whole number in range";
        return false;
    }
    if (out.stored_size > max_large_value_bytes || out.chunks != layout::chunks_for(out.stored_size)) {
        why = std::to_string(out.chunks) + " chunks of " + std::to_string(out.stored_size) +
              " bytes do not add up (at most " + std::to_string(max_large_value_bytes) + " bytes, in chunks of " +
              std::to_string(large_value_chunk_bytes) + ")";
        return false;
    }
    return true;
}

// Chunks are sent and read this many at a time (each up to 400 KB, about 530 KB as JSON).
constexpr std::size_t chunk_window = 8;
// Rounds of a read that finds chunks gone because the head moved on, before it gives up.
constexpr int load_rounds = 4;

} // namespace

// Puts the chunks of `stored` under the head's version, chunk_window at a time. Idempotent: the
// same keys and bytes each time.
asio::awaitable<outcome<bool>> cache::impl::put_chunks(const item& head, const std::string& stored, diagnostics* diag) {
    const std::string& version = *head.find(layout::version_field)->if_S();
    const attribute_value* expiration = head.find(options.expiration_time_field);
    const std::size_t chunks = layout::chunks_for(stored.size());
    for (std::size_t first = 0; first < chunks; first += chunk_window) {
        const std::size_t end = std::min(chunks, first + chunk_window);
        std::vector<internal_requests::put_entry> puts(end - first); // alive while the window runs
        std::vector<diagnostics> each(end - first);
        std::vector<awaitable_outcome<bool>> window;
        for (std::size_t i = first; i < end; ++i) {
            item& chunk = puts[i - first].attributes;
            chunk.set(options.key_field, attribute_value::S(layout::chunk_key(options.key_prefix, version, i)));
            chunk.set(layout::response_field,
                      attribute_value::B(stored.substr(i * large_value_chunk_bytes, large_value_chunk_bytes)));
            if (expiration) chunk.set(options.expiration_time_field, *expiration);
            window.push_back(run(puts[i - first], &each[i - first]));
        }
        const std::vector<outcome<bool>> written = co_await in_parallel(std::move(window));
        if (error_code ec = first_failure(written, each, diag)) co_return outcome<bool>{ec, false};
    }
    co_return outcome<bool>{{}, true};
}

asio::awaitable<outcome<bool>> cache::impl::put_large(item head, std::string stored, bool only_if_absent,
                                                      std::optional<std::string> replacing, diagnostics* diag) {
    const std::string full = *key_of(head);
    head.set(layout::version_field, attribute_value::S(new_owner_token()));
    if (auto [ec, written] = co_await put_chunks(head, stored, diag); ec) {
        co_await delete_chunks(head); // no head names them
        co_return outcome<bool>{ec, false};
    }
    put_item_request put{options.table_name, std::move(head), {}};
    put.write.returned = return_values::all_old; // the replaced version, whose chunks go
    if (only_if_absent) {
        put.write.condition = "attribute_not_exists(#k) OR #e <= :now";
        put.write.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
        put.write.values.set(":now", attribute_value::N(layout::epoch_seconds(now())));
        put.write.return_item_on_condition_failure = true;
    } else if (replacing) {
        put.write.condition = "#c = :c";
        put.write.names = {{"#c", layout::created_at_field}};
        put.write.values.set(":c", attribute_value::S(std::move(*replacing)));
    }
    const item written = put.attributes; // small: a head holds no value
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(put), d);
    if (!ec) {
        const attribute_value* old_version = r.attributes ? r.attributes->find(layout::version_field) : nullptr;
        if (r.attributes && layout::is_large_head(*r.attributes) &&
            !(old_version && *old_version == *written.find(layout::version_field)))
            co_await delete_chunks(*r.attributes);
        // A retried head may have landed twice, another writer's replace or erase between the two
        // deleting this version's chunks: they are put again (idempotent), so the head stays whole.
        if (d->attempts >= 2) {
            diagnostics again;
            if (auto [chunks_ec, chunks_put] = co_await put_chunks(written, stored, &again); chunks_ec)
                co_return outcome<bool>{chunks_ec, false};
        }
        co_return outcome<bool>{{}, true};
    }
    // Any other failure may have stored the head after all: its chunks stay, and expire with it.
    if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, false};
    // A retried call may have stored this very head in an attempt whose answer was lost.
    auto [read_ec, own] = co_await wrote_it_earlier(full, written, r.attributes, *d);
    if (read_ec) co_return outcome<bool>{read_ec, false};
    if (replacing) d->aws_type.clear(), d->message.clear(); // another write replaced the one re-dated
    if (!own) co_await delete_chunks(written);
    co_return outcome<bool>{{}, own || replacing.has_value()};
}

asio::awaitable<void> cache::impl::delete_chunks(const item& head) {
    head_fields fields;
    std::string why;
    const std::string* full = key_of(head);
    if (!full || !parse_head(head, fields, why)) co_return; // nothing this library wrote
    std::vector<write_request> deletes;
    for (std::size_t i = 0; i < fields.chunks; ++i)
        deletes.push_back(
            {write_request::kind::erase, key_item(layout::chunk_key(options.key_prefix, fields.version, i))});
    diagnostics d;
    for (std::size_t i = 0; i < deletes.size(); i += dynamodb::limits::batch_write_item_requests) {
        const auto first = deletes.begin() + static_cast<std::ptrdiff_t>(i);
        const auto last = deletes.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                deletes.size(), i + dynamodb::limits::batch_write_item_requests));
        std::vector<write_request> batch(first, last); // named: GCC 12 destroys braced temporaries in co_await twice
        auto [ec, done] = co_await batch_write(std::move(batch), &d);
        const error_code failed = ec;
        if (failed) {
            write_log(dynamodb->options().log, log_level::warning, "cache", [&] {
                return "deleting the chunks of a replaced value of key '" + codec::printable(*full) +
                       "' failed (they expire with it): " + failed.message() + " " + d.message;
            });
            co_return;
        }
    }
}

asio::awaitable<outcome<bool>> cache::impl::load_chunks(item& found, diagnostics* diag) {
    const std::string full = key_of(found) ? *key_of(found) : std::string();
    for (int round = 0; round < load_rounds; ++round) {
        head_fields fields;
        std::string why;
        if (!parse_head(found, fields, why))
            co_return failure<bool>(diag, client_errc::unsupported_value,
                                    "the large value of key '" + codec::printable(full) + "' has a head item that " +
                                        "cannot be read: " + why);
        // Chunks never change once written, but an eventually consistent read may not see one yet:
        // a second round reads them strongly consistent.
        const bool consistent = options.consistent_reads || round > 0;
        std::string stored; // grown as chunks arrive: a head's stored_size is not trusted with an allocation
        stored.reserve(std::min(fields.stored_size, chunk_window * large_value_chunk_bytes));
        bool missing = false;
        for (std::size_t first = 0; first < fields.chunks && !missing; first += chunk_window) {
            const std::size_t end = std::min(fields.chunks, first + chunk_window);
            std::vector<internal_requests::read_entry> reads;
            for (std::size_t i = first; i < end; ++i)
                reads.push_back({layout::chunk_key(options.key_prefix, fields.version, i), consistent, false});
            std::vector<diagnostics> each(end - first);
            std::vector<awaitable_outcome<std::optional<item>>> window;
            for (std::size_t i = 0; i < reads.size(); ++i) window.push_back(run(reads[i], &each[i]));
            const auto chunks = co_await in_parallel(std::move(window));
            if (error_code ec = first_failure(chunks, each, diag)) co_return outcome<bool>{ec, false};
            for (const auto& chunk : chunks) {
                const attribute_value* bytes = chunk.value ? chunk.value->find(layout::response_field) : nullptr;
                if (!bytes || !bytes->if_B()) {
                    missing = true;
                    break;
                }
                stored += *bytes->if_B();
            }
        }
        if (!missing) {
            if (stored.size() != fields.stored_size || dynamodb::crc32(stored) != fields.crc32)
                co_return failure<bool>(
                    diag, client_errc::unsupported_value,
                    "the large value of key '" + codec::printable(full) + "' (version " + fields.version +
                        ") does not match its head's size and CRC-32: " + std::to_string(stored.size()) +
                        " bytes read, " + std::to_string(fields.stored_size) + " expected");
            found.set(layout::response_field, attribute_value::B(std::move(stored)));
            co_return outcome<bool>{{}, true};
        }
        // A chunk is gone: the head was replaced (or erased, or expired) since it was read.
        auto [ec, now_stored] = co_await get_item(full, false, true, diag);
        if (ec) co_return outcome<bool>{ec, false};
        const attribute_value* version = now_stored.find(layout::version_field);
        const bool same = version && version->if_S() && *version->if_S() == fields.version;
        if (now_stored.empty()) {
            found = item{};
            co_return outcome<bool>{{}, false};
        }
        if (same && round > 0) { // its chunks deleted under it (clear, or a writer's lost race): the head goes too
            delete_item_request del{options.table_name, key_item(full), {}};
            del.write.condition = "#v = :v";
            del.write.names = {{"#v", layout::version_field}};
            del.write.values.set(":v", *version);
            diagnostics ignored; // a failure leaves a head that reads as a miss, as now
            co_await dynamodb::call_operation(*dynamodb, std::move(del), &ignored);
            found = item{};
            co_return outcome<bool>{{}, false};
        }
        found = std::move(now_stored);
        if (!layout::is_large_head(found)) co_return outcome<bool>{{}, true};
    }
    co_return failure<bool>(diag, client_errc::timeout,
                            "the large value of key '" + codec::printable(full) + "' was replaced " +
                                std::to_string(load_rounds) + " times while it was read");
}

asio::awaitable<outcome<bool>> cache::impl::move_chunk_expiration(const item& head, std::int64_t expiration,
                                                                  diagnostics* diag) {
    head_fields fields;
    std::string why;
    if (!parse_head(head, fields, why)) {
        const std::string* full = key_of(head);
        co_return failure<bool>(diag, client_errc::unsupported_value,
                                "the large value of key '" + codec::printable(full ? *full : std::string()) +
                                    "' has a head item that cannot be read: " + why);
    }
    for (std::size_t first = 0; first < fields.chunks; first += chunk_window) {
        const std::size_t end = std::min(fields.chunks, first + chunk_window);
        std::vector<update_item_request> updates;
        for (std::size_t i = first; i < end; ++i) {
            update_item_request& u = updates.emplace_back();
            u.table = options.table_name;
            u.key = key_item(layout::chunk_key(options.key_prefix, fields.version, i));
            u.update = expiration > 0 ? "SET #e = :e" : "REMOVE #e";
            // A chunk deleted meanwhile is not created again, and a chunk's expiry only ever moves later
            // (a concurrent touch or slide to a later time wins): a head never outlives its chunks.
            u.write.condition = expiration > 0 ? "attribute_exists(#k) AND (attribute_not_exists(#e) OR #e < :e)"
                                               : "attribute_exists(#k)";
            u.write.names = {{"#k", options.key_field}, {"#e", options.expiration_time_field}};
            if (expiration > 0) u.write.values.set(":e", attribute_value::N(expiration));
        }
        std::vector<diagnostics> each(updates.size());
        std::vector<awaitable_outcome<bool>> window;
        for (std::size_t i = 0; i < updates.size(); ++i)
            window.push_back(update_chunk(std::move(updates[i]), &each[i]));
        const std::vector<outcome<bool>> moved = co_await in_parallel(std::move(window));
        if (error_code ec = first_failure(moved, each, diag)) co_return outcome<bool>{ec, false};
    }
    co_return outcome<bool>{{}, true};
}

// One chunk's UpdateItem; a chunk already gone is no failure (its value is being replaced).
asio::awaitable<outcome<bool>> cache::impl::update_chunk(update_item_request update, diagnostics* diag) {
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), diag);
    if (ec == service_errc::conditional_check_failed) {
        if (diag) diag->aws_type.clear(), diag->message.clear();
        co_return outcome<bool>{{}, false};
    }
    co_return outcome<bool>{ec, !ec};
}

} // namespace ddbcache
