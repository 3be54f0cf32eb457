// The typed operations: request JSON, the shared call loop, result JSON.
#include "client_impl.hpp"
#include "operations_json.hpp"
#include "typed_call.hpp"

namespace ddbcache {
namespace asio = boost::asio;
namespace {

template <class Result>
asio::awaitable<detail::outcome<Result>> call_typed(std::shared_ptr<client::impl> self, std::string operation,
                                                    std::string body, diagnostics* diag) {
    auto [ec, res] = co_await self->call_with_retries(operation, std::move(body), diag);
    Result result;
    // Only a failed condition brings a result worth reading (the existing item).
    const bool readable = !ec || (std::is_same_v<Result, write_item_result> &&
                                  ec == service_errc::conditional_check_failed && !res.body.empty());
    if (!readable) co_return detail::outcome<Result>{ec, {}};
    if (error_code parse_ec = dynamodb::read_result(res.body, result)) {
        record(diag, {}, operation + (parse_ec == client_errc::nesting_too_deep
                                           ? ": the response nests attribute values deeper than DynamoDB's 32 levels"
                                           : ": the response is not the JSON DynamoDB sends"),
               200, res.attempts);
        co_return detail::outcome<Result>{parse_ec, {}};
    }
    co_return detail::outcome<Result>{ec, std::move(result)};
}

// Writes the request (refusing it before sending anything when it cannot be written), calls,
// and reads the result.
template <class Request>
asio::awaitable<detail::outcome<typename Request::result>> run_typed(std::shared_ptr<client::impl> self,
                                                                      Request request, diagnostics* diag) {
    using result = typename Request::result;
    const std::string operation(Request::operation_name);
    std::string body, why;
    body.reserve(512); // small requests in one allocation; large ones grow from there
    if (error_code ec = dynamodb::write_json(request, body, why)) {
        record(diag, {}, operation + " refused before sending: " + why, 0, 0);
        co_return detail::outcome<result>{ec, {}};
    }
    co_return co_await call_typed<result>(std::move(self), operation, std::move(body), diag);
}

} // namespace

namespace dynamodb {

template <class Request>
    requires is_operation_request<Request>
awaitable_outcome<typename Request::result> call_operation(const client& c, Request r, diagnostics* d) {
    return run_typed(detail::client_access::impl_of(c), std::move(r), d);
}

} // namespace dynamodb

template <class Request>
void client::execute_erased(std::shared_ptr<impl> self, Request r, diagnostics* d,
                            handler_for<typename Request::result> h) {
    auto executor = self->executor;
    detail::spawn_erased<typename Request::result>(executor, run_typed(std::move(self), std::move(r), d), std::move(h));
}

// Both entry points of every listed operation, instantiated from the list itself: this exported
// table of their addresses makes the compiler emit each one for the other translation units.
template <class... Requests>
struct detail::client_access::operation_table<std::tuple<Requests...>> {
    static constexpr auto entries = std::tuple{std::pair{&dynamodb::call_operation<Requests>,
                                                         &client::execute_erased<Requests>}...};
};
extern const decltype(detail::client_access::operation_table<operation_requests>::entries) operation_entry_points;
const decltype(detail::client_access::operation_table<operation_requests>::entries) operation_entry_points =
    detail::client_access::operation_table<operation_requests>::entries;

} // namespace ddbcache
