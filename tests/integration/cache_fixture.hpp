// What the cache's integration tests share: DynamoDB's time moved by the test, and a cache on a
// fresh io_context for the length of a coroutine.
#pragma once

#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace ddbcache::test {

// DynamoDB's time for a client, moved by the test: the real time plus an offset.
struct moved_clock {
    std::shared_ptr<std::atomic<std::int64_t>> offset_ms = std::make_shared<std::atomic<std::int64_t>>(0);
    std::function<std::chrono::system_clock::time_point()> function() const {
        return [offset = offset_ms] { return std::chrono::system_clock::now() + std::chrono::milliseconds(offset->load()); };
    }
    void advance(std::chrono::milliseconds d) const { *offset_ms += d.count(); }
};

// Runs body(cache&) (a coroutine) on a cache built from `o`, on a fresh io_context.
template <class Body>
void run_with_cache(const cache_options& o, Body body) {
    run_on_io([&]() -> boost::asio::awaitable<void> {
        cache c(co_await boost::asio::this_coro::executor, o);
        co_await body(c);
    }());
}

} // namespace ddbcache::test
