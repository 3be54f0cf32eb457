// ddbcache without coroutines: the same operations completed by a plain callback, and by a
// std::future from a thread that does not run the io_context.
//
//   ddbcache-callbacks-and-futures [ENDPOINT]   (exit status 0 when every step behaved)
#include <ddbcache/cache.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>

#include <future>
#include <iostream>
#include <thread>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    asio::io_context io;
    // The io_context runs on a thread of its own; main() only starts operations and waits.
    auto work = asio::make_work_guard(io);
    std::thread io_thread([&io] { io.run(); });

    ddbcache::cache_options options;
    options.table_name = "ddbcache-demo";
    options.key_prefix = "callbacks:";
    if (argc > 1) options.client.endpoint = argv[1];
    int failures = 0;
    try {
        ddbcache::cache cache(io.get_executor(), options);

        // 1. A plain callback, called on the io_context's thread with (error_code, result).
        std::promise<void> callback_done;
        cache.async_set("greeting", "hello", [&](ddbcache::error_code ec, bool stored) {
            std::cout << "set (callback)  -> " << (ec ? ec.message() : stored ? "stored" : "not stored") << "\n";
            failures += ec || !stored;
            callback_done.set_value();
        });
        callback_done.get_future().wait();

        // 2. A std::future: get() blocks this thread, and throws system_error on failure.
        std::future<std::optional<std::string>> value = cache.async_get("greeting", asio::use_future);
        const std::optional<std::string> greeting = value.get();
        std::cout << "get (future)    -> " << greeting.value_or("<miss>") << "\n";
        failures += greeting != "hello";

        std::future<std::int64_t> counter = cache.async_inc("visits", {.delta = 5}, asio::use_future);
        std::cout << "inc (future)    -> " << counter.get() << "\n";

        // A failure arrives as an exception from get(); the diagnostics say why.
        ddbcache::diagnostics diag;
        try {
            cache.async_get("", {.diag = &diag}, asio::use_future).get();
            ++failures;
        } catch (const boost::system::system_error& e) {
            std::cout << "get \"\" (future) -> " << e.code().message() << " (" << diag.message << ")\n";
        }
        failures += !cache.async_clear(asio::use_future).get();
    } catch (const std::exception& e) {
        std::cerr << "ddbcache-callbacks-and-futures: " << e.what() << "\n";
        ++failures;
    }
    // The cache is gone: let the io_context finish what is left (closing connections) and stop.
    work.reset();
    io_thread.join();
    return failures == 0 ? 0 : 1;
}
