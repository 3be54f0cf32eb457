// clear: a parallel Scan of this cache's keys, deleted in batches.
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/limits.hpp"
#include "../dynamodb/typed_call.hpp"

#include <algorithm>
#include <unordered_set>

namespace ddbcache {
namespace asio = boost::asio;

asio::awaitable<outcome<bool>> cache::impl::clear_segment(unsigned segment, unsigned segments, diagnostics* diag) {
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
        auto [ec, page] = co_await dynamodb::call_operation(*dynamodb, scan, diag);
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
        constexpr std::size_t per_batch = dynamodb::limits::batch_write_item_requests;
        for (std::size_t i = 0; i < page.items.size(); i += per_batch) {
            std::vector<write_request> deletes;
            for (std::size_t j = i; j < std::min(page.items.size(), i + per_batch); ++j)
                deletes.push_back({write_request::kind::erase, item{{options.key_field, *page.items[j].find(options.key_field)}}});
            auto [write_ec, ok] = co_await batch_write(std::move(deletes), diag);
            if (write_ec) co_return outcome<bool>{write_ec, false};
        }
        scan.exclusive_start_key = std::move(page.last_evaluated_key);
    } while (scan.exclusive_start_key);
    co_return outcome<bool>{{}, true};
}

asio::awaitable<outcome<bool>> cache::impl::run(const cache_requests::clear&, diagnostics* diag) {
    const unsigned segments = options.clear_segments;
    std::vector<asio::awaitable<outcome<bool>>> tasks;
    std::vector<diagnostics> each(segments);
    for (unsigned s = 0; s < segments; ++s) tasks.push_back(clear_segment(s, segments, &each[s]));
    const std::vector<outcome<bool>> cleared = co_await in_parallel(std::move(tasks));
    if (error_code ec = first_failure(cleared, each, diag)) co_return outcome<bool>{ec, false};
    co_return outcome<bool>{{}, true};
}

} // namespace ddbcache
