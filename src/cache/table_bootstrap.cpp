// Creating the table when an operation finds it missing (cache_options::create_table).
#include "cache_impl.hpp"

#include "../dynamodb/typed_call.hpp"
#include "../logging.hpp"

namespace ddbcache {
namespace asio = boost::asio;

// PAY_PER_REQUEST, hash key key_field (S), then TTL on expiration_time_field. Another caller
// creating it at the same time (ResourceInUseException) is waited for.
asio::awaitable<error_code> cache::impl::create_table(diagnostics* diag) {
    create_table_request create{options.table_name, {options.key_field, 'S'}, {}, {}};
    auto [ec, table] = co_await dynamodb::call_operation(*dynamodb, create, diag);
    const bool created_here = !ec;
    if (ec && ec != service_errc::resource_in_use) co_return ec;
    describe_table_request describe{options.table_name};
    for (int i = 0; table.status != "ACTIVE"; ++i) {
        if (i == cache_limits::table_status_polls) co_return client_errc::timeout;
        co_await sleep_for(std::chrono::milliseconds(i < 10 ? 20 : 100));
        auto described = co_await dynamodb::call_operation(*dynamodb, describe, diag);
        ec = described.ec;
        table = std::move(described.value);
        if (ec) co_return ec;
    }
    if (!created_here) co_return error_code{};
    const logger& log = dynamodb->options().log;
    write_log(log, log_level::info, "cache", [&] { return "created table '" + options.table_name + "'"; });
    update_time_to_live_request ttl{options.table_name, options.expiration_time_field, true};
    diagnostics ttl_diag;
    auto [ttl_ec, ttl_result] = co_await dynamodb::call_operation(*dynamodb, ttl, &ttl_diag);
    if (ttl_ec)
        write_log(log, log_level::warning, "cache", [&] {
            return "table '" + options.table_name + "' created without TTL (" + ttl_diag.message +
                   "): expired entries are not served but stay in the table";
        });
    co_return error_code{};
}

} // namespace ddbcache
