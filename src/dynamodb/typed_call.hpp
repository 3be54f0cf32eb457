// The typed operations as awaitables, for the library's own layers (the cache). Same path as
// client::async_execute (the request's JSON, the call loop, the result's JSON), without the
// completion-token bridge: no extra coroutine, no type-erased handler per call, and the caller's
// cancellation state applies directly.
#pragma once

#include "../async/spawn_erased.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/awaitable.hpp>

namespace ddbcache::dynamodb {

template <class T>
using awaitable_outcome = boost::asio::awaitable<detail::outcome<T>>;

// Defined in operations.cpp for every request of operation_requests.
template <class Request>
    requires is_operation_request<Request>
awaitable_outcome<typename Request::result> call_operation(const client&, Request, diagnostics*);

} // namespace ddbcache::dynamodb
