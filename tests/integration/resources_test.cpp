// Resources under a stalled server: 10 000 operations at once; those past the in-flight bound and
// the waiters' bound fail at once with a clear error, the others finish once the server recovers,
// and no file descriptor is left behind. Peak and final RSS are printed (memory targets are met in
// the load tool, not asserted in tests: this machine is shared).
#include "fault_proxy.hpp"
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::size_t open_fds() {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                                  std::filesystem::directory_iterator{}));
}

long resident_kb() {
    long pages = 0, resident = 0;
    std::ifstream("/proc/self/statm") >> pages >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

asio::awaitable<void> wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
    asio::steady_timer poll(co_await asio::this_coro::executor);
    for (auto end = std::chrono::steady_clock::now() + limit; !done() && std::chrono::steady_clock::now() < end;) {
        poll.expires_after(20ms);
        co_await poll.async_wait(asio::use_awaitable);
    }
}

class Resources : public testing::TestWithParam<std::string> {};

TEST_P(Resources, TenThousandOperationsOnAStalledServerAreBoundedAndLeaveNoDescriptorBehind) {
    constexpr int operations = 10'000, in_flight = 32, waiters = 4096;
    fault_proxy proxy(endpoint_of(GetParam()), {}, fault_proxy::until_released); // stalls every answer while planned
    cache_options o;
    o.table_name = unique_table_name("resources");
    o.client = local_client_options(GetParam());
    o.client.endpoint = proxy.url();
    o.client.max_connections = 16;
    o.client.max_waiters = waiters;
    o.max_operations_in_flight = in_flight;
    o.client.call_timeout = 600s; // the stall must not turn into timeouts here, however slow the machine
    o.client.attempt_timeout = 600s;

    const std::size_t fds_before = open_fds();
    std::atomic<int> done{0}, succeeded{0}, refused{0};
    std::mutex mutex;
    std::string refusal, other_failure;
    long rss_idle = 0, rss_stalled = 0;
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        EXPECT_TRUE(co_await c.async_set("k", "the value", asio::use_awaitable)); // creates the table
        malloc_trim(0);
        rss_idle = resident_kb();
        proxy.set_plan([](const proxied_request&) { return fault::delay; });
        for (int i = 0; i < operations; ++i)
            asio::co_spawn(co_await asio::this_coro::executor, [&]() -> asio::awaitable<void> {
                diagnostics d;
                auto [ec, v] = co_await c.async_get("k", {.diag = &d}, tuple_awaitable);
                std::lock_guard guard(mutex);
                if (!ec && v == "the value") ++succeeded;
                else if (ec == client_errc::pool_exhausted) ++refused, refusal = d.message;
                else if (other_failure.empty()) other_failure = d.message;
                ++done;
            }, asio::detached);
        co_await wait_until([&] { return refused == operations - in_flight - waiters; }, 300s);
        rss_stalled = resident_kb();
        EXPECT_EQ(done, refused) << "nothing but the refusals finished while the server stalled";
        proxy.set_plan({}); // the server recovers
        proxy.release_delayed();
        co_await wait_until([&] { return done == operations; }, 300s);
    }(), 2);

    EXPECT_EQ(done, operations);
    EXPECT_EQ(refused, operations - in_flight - waiters) << "exactly those past both bounds are refused";
    EXPECT_EQ(succeeded, in_flight + waiters) << other_failure;
    EXPECT_NE(refusal.find("4096 operations already wait to start"), std::string::npos) << refusal;
    // The proxy's side of each closed connection closes on its own thread: give it a moment.
    for (int i = 0; i < 100 && open_fds() != fds_before; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(open_fds(), fds_before) << "descriptors left open";
    malloc_trim(0);
    std::printf("RSS: %ld KB idle, %ld KB with %d operations under way or waiting, %ld KB after\n", rss_idle,
                rss_stalled, in_flight + waiters, resident_kb());
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Resources, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
