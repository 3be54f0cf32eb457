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
template <class Result, class Request>
asio::awaitable<detail::outcome<Result>> run_typed(std::shared_ptr<client::impl> self, const char* operation,
                                                   Request request, diagnostics* diag) {
    std::string body, why;
    body.reserve(512); // small requests in one allocation; large ones grow from there
    if (error_code ec = dynamodb::write_json(request, body, why)) {
        record(diag, {}, std::string(operation) + " refused before sending: " + why, 0, 0);
        co_return detail::outcome<Result>{ec, {}};
    }
    co_return co_await call_typed<Result>(std::move(self), operation, std::move(body), diag);
}

} // namespace

namespace dynamodb {
using detail::client_access;

awaitable_outcome<get_item_result> call_operation(const client& c, get_item_request r, diagnostics* d) {
    return run_typed<get_item_result>(client_access::impl_of(c), "GetItem", std::move(r), d);
}
awaitable_outcome<write_item_result> call_operation(const client& c, put_item_request r, diagnostics* d) {
    return run_typed<write_item_result>(client_access::impl_of(c), "PutItem", std::move(r), d);
}
awaitable_outcome<write_item_result> call_operation(const client& c, delete_item_request r, diagnostics* d) {
    return run_typed<write_item_result>(client_access::impl_of(c), "DeleteItem", std::move(r), d);
}
awaitable_outcome<write_item_result> call_operation(const client& c, update_item_request r, diagnostics* d) {
    return run_typed<write_item_result>(client_access::impl_of(c), "UpdateItem", std::move(r), d);
}
awaitable_outcome<batch_get_item_result> call_operation(const client& c, batch_get_item_request r, diagnostics* d) {
    return run_typed<batch_get_item_result>(client_access::impl_of(c), "BatchGetItem", std::move(r), d);
}
awaitable_outcome<batch_write_item_result> call_operation(const client& c, batch_write_item_request r, diagnostics* d) {
    return run_typed<batch_write_item_result>(client_access::impl_of(c), "BatchWriteItem", std::move(r), d);
}
awaitable_outcome<scan_result> call_operation(const client& c, scan_request r, diagnostics* d) {
    return run_typed<scan_result>(client_access::impl_of(c), "Scan", std::move(r), d);
}
awaitable_outcome<table_description> call_operation(const client& c, create_table_request r, diagnostics* d) {
    return run_typed<table_description>(client_access::impl_of(c), "CreateTable", std::move(r), d);
}
awaitable_outcome<table_description> call_operation(const client& c, describe_table_request r, diagnostics* d) {
    return run_typed<table_description>(client_access::impl_of(c), "DescribeTable", std::move(r), d);
}
awaitable_outcome<time_to_live_result> call_operation(const client& c, update_time_to_live_request r, diagnostics* d) {
    return run_typed<time_to_live_result>(client_access::impl_of(c), "UpdateTimeToLive", std::move(r), d);
}

} // namespace dynamodb

namespace {
template <class Result, class Request>
void spawn_operation(const client& c, Request r, diagnostics* d, asio::any_completion_handler<void(error_code, Result)> h) {
    detail::spawn_erased<Result>(c.get_executor(), dynamodb::call_operation(c, std::move(r), d), std::move(h));
}
} // namespace

void client::execute_erased(get_item_request r, diagnostics* d, handler_for<get_item_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(put_item_request r, diagnostics* d, handler_for<write_item_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(delete_item_request r, diagnostics* d, handler_for<write_item_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(update_item_request r, diagnostics* d, handler_for<write_item_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(batch_get_item_request r, diagnostics* d, handler_for<batch_get_item_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(batch_write_item_request r, diagnostics* d, handler_for<batch_write_item_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(scan_request r, diagnostics* d, handler_for<scan_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(create_table_request r, diagnostics* d, handler_for<table_description> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(describe_table_request r, diagnostics* d, handler_for<table_description> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}
void client::execute_erased(update_time_to_live_request r, diagnostics* d, handler_for<time_to_live_result> h) {
    spawn_operation(*this, std::move(r), d, std::move(h));
}

} // namespace ddbcache
