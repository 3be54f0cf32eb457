// The main example: ddbcache's cache from a coroutine, against any DynamoDB endpoint. Every
// operation's default completion token makes `co_await` give the result, or throw.
//   ddbcache-demo [ENDPOINT]     (region and credentials from the usual AWS environment)
#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> demo(std::string endpoint) {
    ddbcache::cache_options options;      // cachelib's defaults: table "python-cache", 300 s, ...
    options.table_name = "ddbcache-demo";
    options.key_prefix = "demo:";
    options.client.endpoint = std::move(endpoint);
    ddbcache::cache cache(co_await asio::this_coro::executor, options);
    std::cout << "cache on " << cache.dynamodb().endpoint() << ", table " << options.table_name << "\n";

    co_await cache.async_set("greeting", "hello from C++"); // creates the table
    std::optional<std::string> greeting = co_await cache.async_get("greeting");
    std::cout << "get greeting   -> " << greeting.value_or("<miss>") << "\n";

    const bool added = co_await cache.async_add("greeting", "ignored");
    std::cout << "add greeting   -> " << std::boolalpha << added << " (it exists)\n";

    co_await cache.async_set("short-lived", "gone soon", {.timeout = 1s});
    std::cout << "has short-lived -> " << co_await cache.async_has("short-lived") << "\n";

    std::int64_t visits = co_await cache.async_inc("visits");
    visits = co_await cache.async_inc("visits", {.delta = 10});
    std::cout << "inc visits     -> " << visits << "\n";

    const ddbcache::cache::keys keys{"greeting", "visits", "nobody"};
    const auto values = co_await cache.async_get_many(keys);
    for (std::size_t i = 0; i < keys.size(); ++i)
        std::cout << "get_many " << keys[i] << " -> " << values[i].value_or("<miss>") << "\n";

    // Failures throw error_with_diagnostics: the code, and what DynamoDB (or the library) said.
    try {
        co_await cache.async_get("");
    } catch (const ddbcache::error_with_diagnostics& e) {
        std::cout << "get \"\"         -> error: " << e.code().message() << " (" << e.get_diagnostics().message << ")\n";
    }
    // Or, with as_tuple, the error_code itself, and the diagnostics where options.diag points.
    ddbcache::diagnostics diag;
    auto [ec, value] = co_await cache.async_get(std::string(3000, 'k'), {.diag = &diag}, asio::as_tuple(asio::use_awaitable));
    std::cout << "get 3000 bytes -> error: " << ec.message() << " (" << diag.message << ")\n";

    std::cout << "erase greeting -> " << co_await cache.async_erase("greeting") << "\n";
    std::cout << "clear          -> " << co_await cache.async_clear(asio::use_awaitable) << " (only demo: keys)\n";
}

int main(int argc, char** argv) {
    asio::io_context io(1); // one thread runs it: the hint lets the cache's connections skip their strands
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
