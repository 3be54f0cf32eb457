// The typed operations: request JSON, the shared call loop, result JSON.
#include "client_impl.hpp"
#include "operations_json.hpp"

namespace ddbcache {
namespace asio = boost::asio;
namespace {

template <class Result>
asio::awaitable<detail::outcome<Result>> refuse(error_code ec) {
    co_return detail::outcome<Result>{ec, {}};
}

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
        record(diag, {}, operation + ": the response is not the JSON DynamoDB sends", 200, res.attempts);
        co_return detail::outcome<Result>{parse_ec, {}};
    }
    co_return detail::outcome<Result>{ec, std::move(result)};
}

template <class Result, class Request>
void execute(const std::shared_ptr<client::impl>& self, const char* operation, const Request& request,
             diagnostics* diag, asio::any_completion_handler<void(error_code, Result)> handler) {
    std::string body, why;
    if (error_code ec = dynamodb::write_json(request, body, why)) {
        record(diag, {}, std::string(operation) + " refused before sending: " + why, 0, 0);
        detail::spawn_erased<Result>(self->executor, refuse<Result>(ec), std::move(handler));
        return;
    }
    detail::spawn_erased<Result>(self->executor, call_typed<Result>(self, operation, std::move(body), diag),
                                 std::move(handler));
}

} // namespace

void client::execute_erased(get_item_request r, diagnostics* d, handler_for<get_item_result> h) {
    execute(impl_, "GetItem", r, d, std::move(h));
}
void client::execute_erased(put_item_request r, diagnostics* d, handler_for<write_item_result> h) {
    execute(impl_, "PutItem", r, d, std::move(h));
}
void client::execute_erased(delete_item_request r, diagnostics* d, handler_for<write_item_result> h) {
    execute(impl_, "DeleteItem", r, d, std::move(h));
}
void client::execute_erased(update_item_request r, diagnostics* d, handler_for<write_item_result> h) {
    execute(impl_, "UpdateItem", r, d, std::move(h));
}
void client::execute_erased(batch_get_item_request r, diagnostics* d, handler_for<batch_get_item_result> h) {
    execute(impl_, "BatchGetItem", r, d, std::move(h));
}
void client::execute_erased(batch_write_item_request r, diagnostics* d, handler_for<batch_write_item_result> h) {
    execute(impl_, "BatchWriteItem", r, d, std::move(h));
}
void client::execute_erased(scan_request r, diagnostics* d, handler_for<scan_result> h) {
    execute(impl_, "Scan", r, d, std::move(h));
}
void client::execute_erased(create_table_request r, diagnostics* d, handler_for<table_description> h) {
    execute(impl_, "CreateTable", r, d, std::move(h));
}
void client::execute_erased(describe_table_request r, diagnostics* d, handler_for<table_description> h) {
    execute(impl_, "DescribeTable", r, d, std::move(h));
}
void client::execute_erased(update_time_to_live_request r, diagnostics* d, handler_for<time_to_live_result> h) {
    execute(impl_, "UpdateTimeToLive", r, d, std::move(h));
}

} // namespace ddbcache
