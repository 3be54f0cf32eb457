// get_many, get_dict, set_many and erase_many.
#include "cache_impl.hpp"

#include "../dynamodb/limits.hpp"
#include "../dynamodb/retry_policy.hpp"
#include "../dynamodb/typed_call.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;
namespace limits = dynamodb::limits;

namespace {

// Full-jitter pauses (the client's own backoff) between rounds of unprocessed batch items.
const retry_options batch_backoff{0, std::chrono::milliseconds(25), std::chrono::milliseconds(1000), 0, {}};

template <class Tables>
std::size_t count_entries(const Tables& tables) {
    std::size_t n = 0;
    for (const auto& t : tables) {
        if constexpr (requires { t.keys; }) n += t.keys.size();
        else n += t.writes.size();
    }
    return n;
}

// Sends a batch request until nothing is left unprocessed. A batch answer may leave part undone
// (DynamoDB answers at most 16 MB, and 1 MB per partition). A round that leaves fewer undone is
// progress and goes on at once; only rounds without progress count towards the limit, with backoff
// between them. `on_answer` takes each answer's results.
template <class Request, class OnAnswer>
asio::awaitable<outcome<bool>> until_processed(const client& dynamodb, Request request, const char* what,
                                               diagnostics* diag, OnAnswer on_answer) {
    for (int stalled = 0; !request.tables.empty();) {
        const std::size_t asked = count_entries(request.tables);
        auto [ec, r] = co_await dynamodb::call_operation(dynamodb, std::move(request), diag);
        if (ec) co_return outcome<bool>{ec, false};
        on_answer(r);
        const std::size_t left = count_entries(r.unprocessed);
        request = Request{std::move(r.unprocessed)}; // the request was moved into the call
        if (left < asked) {
            stalled = 0;
            continue;
        }
        if (++stalled == cache_limits::batch_rounds_without_progress)
            co_return failure<bool>(diag, client_errc::timeout,
                                    std::string(Request::operation_name) + " left " + std::to_string(left) + " " +
                                        what + " unprocessed " +
                                        std::to_string(cache_limits::batch_rounds_without_progress) + " rounds in a row");
        co_await sleep_for(dynamodb::backoff_delay(batch_backoff, static_cast<unsigned>(stalled)));
    }
    co_return outcome<bool>{{}, true};
}

std::vector<std::string> unique_in_order(const std::vector<std::string>& all) {
    std::unordered_set<std::string> seen;
    std::vector<std::string> out;
    for (const std::string& k : all)
        if (seen.insert(k).second) out.push_back(k);
    return out;
}

} // namespace

asio::awaitable<outcome<std::vector<item>>> cache::impl::batch_get(std::vector<item> keys, diagnostics* diag) {
    batch_get_item_request get{{{options.table_name, std::move(keys), {}, {}, options.consistent_reads}}};
    std::vector<item> found;
    auto [ec, done] = co_await until_processed(*dynamodb, std::move(get), "keys", diag,
                                               [&found](batch_get_item_result& r) {
                                                   for (table_items& t : r.found)
                                                       for (item& it : t.items) found.push_back(std::move(it));
                                               });
    if (ec) co_return outcome<std::vector<item>>{ec, {}};
    co_return outcome<std::vector<item>>{{}, std::move(found)};
}

asio::awaitable<outcome<bool>> cache::impl::batch_write(std::vector<write_request> writes, diagnostics* diag) {
    batch_write_item_request w{{{options.table_name, std::move(writes)}}};
    return until_processed(*dynamodb, std::move(w), "items", diag, [](batch_write_item_result&) {});
}

error_code cache::impl::full_keys(const keys& ks, std::vector<std::string>& out, std::string& why) const {
    out.clear();
    for (const std::string& k : ks) {
        out.push_back(full_key(k));
        if (error_code ec = check_key(k, out.back(), why)) return ec;
    }
    return {};
}

asio::awaitable<outcome<cache::values>> cache::impl::run(const cache_requests::get_many& request, diagnostics* diag) {
    std::vector<std::string> fulls;
    std::string why;
    if (error_code ec = full_keys(request.keys, fulls, why)) co_return failure<values>(diag, ec, why);
    const std::vector<std::string> unique = unique_in_order(fulls);
    std::vector<asio::awaitable<outcome<std::vector<item>>>> chunks;
    std::vector<diagnostics> each((unique.size() + limits::batch_get_item_keys - 1) / limits::batch_get_item_keys);
    for (std::size_t i = 0; i < unique.size(); i += limits::batch_get_item_keys) {
        std::vector<item> chunk_keys;
        for (std::size_t j = i; j < std::min(unique.size(), i + limits::batch_get_item_keys); ++j)
            chunk_keys.push_back(key_item(unique[j]));
        chunks.push_back(batch_get(std::move(chunk_keys), &each[i / limits::batch_get_item_keys]));
    }
    std::vector<outcome<std::vector<item>>> answered = co_await in_parallel(std::move(chunks));
    if (error_code ec = first_failure(answered, each, diag)) co_return outcome<values>{ec, {}};
    std::unordered_map<std::string, value> by_key;
    const auto now = this->now();
    for (outcome<std::vector<item>>& chunk : answered) {
        for (item& it : chunk.value) {
            if (layout::is_expired(options, it, now)) continue;
            const std::string* k = key_of(it);
            if (!k) co_return failure<values>(diag, client_errc::bad_response, no_key_attribute("BatchGetItem"));
            if (layout::is_large_head(it)) {
                auto [load_ec, loaded] = co_await load_chunks(it, diag);
                if (load_ec) co_return outcome<values>{load_ec, {}};
                if (it.empty()) continue; // gone while read
                k = key_of(it);
            }
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

asio::awaitable<outcome<cache::value_map>> cache::impl::run(const cache_requests::get_dict& request,
                                                            diagnostics* diag) {
    const cache_requests::get_many many{request.keys}; // named: GCC 12 mishandles temporaries across co_await
    auto [ec, vs] = co_await run(many, diag);
    value_map out;
    for (std::size_t i = 0; !ec && i < request.keys.size(); ++i) out[request.keys[i]] = std::move(vs[i]);
    co_return outcome<value_map>{ec, std::move(out)};
}

asio::awaitable<outcome<cache::keys>> cache::impl::run(const cache_requests::set_many& request, diagnostics* diag) {
    // Every item is built (and checked) before the first request: nothing is half-stored.
    std::unordered_map<std::string, std::size_t> slot_of;
    std::vector<write_request> writes;
    // Large values (heads and their bytes) are put one by one after the batches.
    std::vector<std::optional<internal_requests::put_large_entry>> large;
    keys stored;
    const auto now = this->now();
    std::string why;
    for (const auto& [key, v] : request.pairs) {
        const std::string full = full_key(key);
        write_request w{write_request::kind::put, {}};
        layout::stored_value bytes;
        if (error_code ec = check_key(key, full, why)) co_return failure<keys>(diag, ec, why);
        if (error_code ec = encode(full, v, bytes, why)) co_return failure<keys>(diag, ec, why);
        if (error_code ec = layout::build_item(options, full, bytes, timeout_seconds(request.timeout), now,
                                               w.attributes, why))
            co_return failure<keys>(diag, ec, why);
        std::optional<internal_requests::put_large_entry> large_value;
        if (layout::is_large_head(w.attributes))
            large_value = internal_requests::put_large_entry{std::move(w.attributes), std::move(bytes.bytes)};
        auto [it, inserted] = slot_of.emplace(full, writes.size());
        if (inserted) {
            writes.push_back(std::move(w));
            large.push_back(std::move(large_value));
            stored.push_back(key);
        } else {
            writes[it->second] = std::move(w); // the last value wins, as in a dict
            large[it->second] = std::move(large_value);
        }
    }
    for (std::size_t i = 0; i < large.size(); ++i) {
        if (!large[i]) continue;
        auto [ec, put] = co_await run(*large[i], diag);
        if (ec) co_return outcome<keys>{ec, {}};
    }
    // What is left for the batches: the small values.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < writes.size(); ++i)
        if (!large[i] && kept++ != i) writes[kept - 1] = std::move(writes[i]);
    writes.resize(kept);
    std::vector<asio::awaitable<outcome<bool>>> chunks;
    std::vector<diagnostics> each((writes.size() + limits::batch_write_item_requests - 1) / limits::batch_write_item_requests);
    for (std::size_t i = 0; i < writes.size(); i += limits::batch_write_item_requests) {
        const auto first = writes.begin() + static_cast<std::ptrdiff_t>(i);
        const auto last = writes.begin() + static_cast<std::ptrdiff_t>(std::min(writes.size(), i + limits::batch_write_item_requests));
        chunks.push_back(batch_write({std::make_move_iterator(first), std::make_move_iterator(last)},
                                     &each[i / limits::batch_write_item_requests]));
    }
    const std::vector<outcome<bool>> written = co_await in_parallel(std::move(chunks));
    if (error_code ec = first_failure(written, each, diag)) co_return outcome<keys>{ec, {}};
    co_return outcome<keys>{{}, std::move(stored)};
}

// Conditional deletes, erase_window at a time: exact about which keys existed.
asio::awaitable<outcome<cache::keys>> cache::impl::run(const cache_requests::erase_many& request, diagnostics* diag) {
    std::vector<std::string> fulls;
    std::string why;
    if (error_code ec = full_keys(request.keys, fulls, why)) co_return failure<keys>(diag, ec, why);
    const keys unique_keys = unique_in_order(request.keys);
    keys deleted;
    for (std::size_t i = 0; i < unique_keys.size(); i += cache_limits::erase_window) {
        const std::size_t end = std::min(unique_keys.size(), i + cache_limits::erase_window);
        // One diagnostics each: erase reads its own attempt count, and the erases may run on
        // several threads at once. The requests live in `erases` while the window runs.
        std::vector<diagnostics> each(end - i);
        std::vector<cache_requests::erase> erases;
        for (std::size_t j = i; j < end; ++j) erases.push_back({unique_keys[j]});
        std::vector<asio::awaitable<outcome<bool>>> window;
        for (std::size_t j = 0; j < erases.size(); ++j) window.push_back(run(erases[j], &each[j]));
        const std::vector<outcome<bool>> results = co_await in_parallel(std::move(window));
        if (error_code ec = first_failure(results, each, diag)) co_return outcome<keys>{ec, {}};
        for (std::size_t j = i; j < end; ++j)
            if (results[j - i].value) deleted.push_back(unique_keys[j]);
    }
    co_return outcome<keys>{{}, std::move(deleted)};
}

} // namespace ddbcache
