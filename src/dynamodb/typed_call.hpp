// The typed operations as awaitables, for the library's own layers (the cache). Same path as
// client::async_get_item and the others (the request's JSON, the call loop, the result's JSON),
// without the completion-token bridge: no extra coroutine, no type-erased handler per call, and
// the caller's cancellation state applies directly.
#pragma once

#include "../async/spawn_erased.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/awaitable.hpp>

namespace ddbcache::dynamodb {

template <class T>
using awaitable_outcome = boost::asio::awaitable<detail::outcome<T>>;

awaitable_outcome<get_item_result> call_operation(const client&, get_item_request, diagnostics*);
awaitable_outcome<write_item_result> call_operation(const client&, put_item_request, diagnostics*);
awaitable_outcome<write_item_result> call_operation(const client&, delete_item_request, diagnostics*);
awaitable_outcome<write_item_result> call_operation(const client&, update_item_request, diagnostics*);
awaitable_outcome<batch_get_item_result> call_operation(const client&, batch_get_item_request, diagnostics*);
awaitable_outcome<batch_write_item_result> call_operation(const client&, batch_write_item_request, diagnostics*);
awaitable_outcome<scan_result> call_operation(const client&, scan_request, diagnostics*);
awaitable_outcome<table_description> call_operation(const client&, create_table_request, diagnostics*);
awaitable_outcome<table_description> call_operation(const client&, describe_table_request, diagnostics*);
awaitable_outcome<time_to_live_result> call_operation(const client&, update_time_to_live_request, diagnostics*);

} // namespace ddbcache::dynamodb
