// The main example: talks to a DynamoDB endpoint with ddbcache's client, from a coroutine.
//   ddbcache-demo [ENDPOINT]     (region and credentials from the usual AWS environment)
#include <ddbcache/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

namespace asio = boost::asio;

asio::awaitable<void> demo(std::string endpoint) {
    ddbcache::client_options options;
    options.endpoint = std::move(endpoint);
    ddbcache::client dynamodb(co_await asio::this_coro::executor, options);
    std::cout << "endpoint " << dynamodb.endpoint() << ", region " << dynamodb.region() << "\n";

    ddbcache::diagnostics diag;
    const std::string table = R"({"TableName":"ddbcache-demo",)"
                              R"("AttributeDefinitions":[{"AttributeName":"cache_key","AttributeType":"S"}],)"
                              R"("KeySchema":[{"AttributeName":"cache_key","KeyType":"HASH"}],)"
                              R"("BillingMode":"PAY_PER_REQUEST"})";
    try {
        co_await dynamodb.async_call("CreateTable", table, &diag, asio::use_awaitable);
        std::cout << "created table ddbcache-demo\n";
    } catch (const boost::system::system_error& e) {
        if (e.code() != ddbcache::service_errc::resource_in_use) throw;
        std::cout << "table ddbcache-demo exists\n";
    }
    co_await dynamodb.async_call(
        "PutItem", R"({"TableName":"ddbcache-demo","Item":{"cache_key":{"S":"greeting"},"response":{"S":"hello"}}})");
    ddbcache::response got = co_await dynamodb.async_call(
        "GetItem", R"({"TableName":"ddbcache-demo","Key":{"cache_key":{"S":"greeting"}}})");
    std::cout << "GetItem answered " << got.body << " after " << got.attempts << " attempt(s)\n";
    ddbcache::response tables = co_await dynamodb.async_call("ListTables", "{}");
    std::cout << "ListTables answered " << tables.body << "\n";
}

int main(int argc, char** argv) {
    asio::io_context io;
    int status = 0;
    asio::co_spawn(io, demo(argc > 1 ? argv[1] : ""), [&](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            std::cerr << "ddbcache-demo: " << ex.what() << "\n";
            status = 2;
        }
    });
    io.run();
    return status;
}
