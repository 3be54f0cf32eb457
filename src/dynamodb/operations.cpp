// The typed operations: request JSON, the shared call loop, result JSON.
#include "client_impl.hpp"
#include "operations_json.hpp"
#include "typed_call.hpp"

namespace ddbcache {
namespace asio = boost::asio;
namespace {

// The typed result of a call: read from the answer, or the call's error.
template <class Result>
detail::outcome<Result> read_typed(const std::string& operation, error_code ec, response& res, diagnostics* diag,
                                   dynamodb::operation_recorder& recorder) {
    Result result;
    // Only a failed condition brings a result worth reading (the existing item).
    const bool readable = !ec || (std::is_same_v<Result, write_item_result> &&
                                  ec == service_errc::conditional_check_failed && !res.body.empty());
    if (!readable) return {ec, {}};
    double capacity_units = 0;
    if (error_code parse_ec = dynamodb::read_result(res.body, result, &capacity_units)) {
        record(diag, {}, operation + (parse_ec == client_errc::nesting_too_deep
                                           ? ": the response nests attribute values deeper than DynamoDB's 32 levels"
                                           : ": the response is not the JSON DynamoDB sends"),
               200, res.attempts);
        return {parse_ec, {}};
    }
    recorder.add_capacity(capacity_units);
    return {ec, std::move(result)};
}

// Writes the request (refusing it before sending anything when it cannot be written), calls,
// and reads the result; counts the call, refused or not, in the client's metrics.
template <class Request>
asio::awaitable<detail::outcome<typename Request::result>> run_typed(std::shared_ptr<client::impl> self,
                                                                      Request request, diagnostics* diag) {
    using result = typename Request::result;
    const std::string operation(Request::operation_name);
    const dynamodb::call_meter meter(self->metrics.of(dynamodb::operation_named(operation)));
    std::string body, why;
    body.reserve(512); // small requests in one allocation; large ones grow from there
    if (error_code ec = dynamodb::write_json(request, body, why)) {
        record(diag, {}, operation + " refused before sending: " + why, 0, 0);
        meter.finish(ec);
        co_return detail::outcome<result>{ec, {}};
    }
    if constexpr (dynamodb::accepts_return_consumed_capacity<Request>)
        if (self->options.return_consumed_capacity) dynamodb::add_return_consumed_capacity(body);
    // `self` stays here: it keeps the meter's recorder alive until finish().
    auto [ec, res] = co_await self->call_with_retries(operation, std::move(body), diag, meter.recorder());
    auto outcome = read_typed<result>(operation, ec, res, diag, meter.recorder());
    meter.finish(outcome.ec);
    co_return outcome;
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
    if (d) d->clear(); // a reused object must not report an earlier call (say, when this one is cancelled)
    auto executor = self->executor;
    detail::spawn_erased<typename Request::result>(executor, run_typed(std::move(self), std::move(r), d), std::move(h));
}

// Both entry points of every listed operation, explicitly instantiated (the public headers only
// declare them).
#define DDBCACHE_INSTANTIATE_OPERATION(Request)                                                                \
    template dynamodb::awaitable_outcome<Request::result> dynamodb::call_operation<Request>(const client&, Request, \
                                                                                          diagnostics*);      \
    template void client::execute_erased<Request>(std::shared_ptr<client::impl>, Request, diagnostics*,          \
                                                  client::handler_for<Request::result>);
DDBCACHE_INSTANTIATE_OPERATION(get_item_request)
DDBCACHE_INSTANTIATE_OPERATION(put_item_request)
DDBCACHE_INSTANTIATE_OPERATION(delete_item_request)
DDBCACHE_INSTANTIATE_OPERATION(update_item_request)
DDBCACHE_INSTANTIATE_OPERATION(batch_get_item_request)
DDBCACHE_INSTANTIATE_OPERATION(batch_write_item_request)
DDBCACHE_INSTANTIATE_OPERATION(scan_request)
DDBCACHE_INSTANTIATE_OPERATION(create_table_request)
DDBCACHE_INSTANTIATE_OPERATION(describe_table_request)
DDBCACHE_INSTANTIATE_OPERATION(update_time_to_live_request)
#undef DDBCACHE_INSTANTIATE_OPERATION
static_assert(std::tuple_size_v<operation_requests> == 10, "instantiate every request of operation_requests above");

} // namespace ddbcache
