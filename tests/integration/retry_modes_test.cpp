// The adaptive retry mode against standard mode in the same run, each client through a fault proxy
// of its own that answers every other request with ThrottlingException: the adaptive client's
// rate limiter slows it down, so by the time the standard client has finished its calls the
// adaptive one has sent fewer requests and met fewer throttles. The verdict is counted, not timed.
#include "fault_proxy.hpp"
#include "local_servers.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <iostream>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

// Every other request (the first, the third, ...) is throttled, whatever the timing.
fault_proxy::plan every_other_throttled() {
    return [](const proxied_request& r) { return r.index % 2 == 0 ? fault::throttling : fault::none; };
}

client_options through(const fault_proxy& proxy, const std::string& server, retry_mode mode) {
    client_options o = local_client_options(server);
    o.endpoint = proxy.url();
    o.retry.mode = mode;
    o.retry.max_attempts = 30;     // a call throttled 30 times in a row: about 1 in 10^9
    o.retry.base_delay = 1ms;
    o.retry.quota = 1'000'000;     // about the rate limiter, not the retry budget
    o.call_timeout = 120s;         // the adaptive client's waits for a token may be long
    return o;
}

std::uint64_t throttles_of(const client& c) {
    const client_stats s = c.stats();
    std::uint64_t total = 0;
    for (const auto& op : s.operations) total += op.throttles;
    return total;
}

class RetryModes : public testing::TestWithParam<std::string> {};

TEST_P(RetryModes, AdaptiveModeSendsFewerRequestsAndMeetsFewerThrottlesThanStandardMode) {
    fault_proxy standard_proxy(endpoint_of(GetParam()), every_other_throttled());
    fault_proxy adaptive_proxy(endpoint_of(GetParam()), every_other_throttled());
    constexpr int workers = 4;
    constexpr int standard_calls = 100;
    std::uint64_t standard_throttles = 0, adaptive_throttles = 0;
    std::atomic<int> held_back{0}; // attempts the adaptive client's rate limiter made wait (its log says)

    run_on_io([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        client standard(ex, through(standard_proxy, GetParam(), retry_mode::standard));
        client_options adaptive_options = through(adaptive_proxy, GetParam(), retry_mode::adaptive);
        adaptive_options.log = {log_level::debug, [&held_back](const log_record& r) {
                                    if (r.message.find("for the client-side rate limit") != std::string_view::npos) ++held_back;
                                }};
        client adaptive(ex, adaptive_options);
        int standard_started = 0, standard_failed = 0, running = 0;
        bool done = false;
        std::array<asio::cancellation_signal, workers> stop_adaptive;

        const auto standard_worker = [&]() -> asio::awaitable<void> {
            while (standard_started < standard_calls) {
                ++standard_started;
                auto [ec, r] = co_await standard.async_call("ListTables", "{}", asio::as_tuple(asio::use_awaitable));
                if (ec) ++standard_failed;
            }
        };
        const auto adaptive_worker = [&](asio::cancellation_signal& stop) -> asio::awaitable<void> {
            while (!done) {
                co_await adaptive.async_call("ListTables", "{}",
                                             asio::bind_cancellation_slot(stop.slot(), asio::as_tuple(asio::use_awaitable)));
            }
        };
        const auto count_down = [&running](const std::exception_ptr&) { --running; };
        for (int i = 0; i < workers; ++i) {
            running += 2;
            asio::co_spawn(ex, standard_worker(), count_down);
            asio::co_spawn(ex, adaptive_worker(stop_adaptive[i]), count_down);
        }
        // Waits only bound the run: a generous 5 minutes, far beyond what the calls need.
        asio::steady_timer poll(ex);
        for (auto waited = 0ms; running > workers && waited < 300s; waited += 20ms) {
            poll.expires_after(20ms);
            co_await poll.async_wait(asio::use_awaitable);
        }
        EXPECT_EQ(running, workers) << "the standard client's calls did not finish within 5 minutes";
        EXPECT_EQ(standard_failed, 0);
        done = true;
        for (auto& stop : stop_adaptive) stop.emit(asio::cancellation_type::terminal);
        for (auto waited = 0ms; running > 0 && waited < 60s; waited += 20ms) {
            poll.expires_after(20ms);
            co_await poll.async_wait(asio::use_awaitable);
        }
        EXPECT_EQ(running, 0) << "the adaptive client's calls did not stop when cancelled";
        standard_throttles = throttles_of(standard);
        adaptive_throttles = throttles_of(adaptive);
    }());

    const std::uint64_t standard_requests = standard_proxy.requests(), adaptive_requests = adaptive_proxy.requests();
    // Each of the standard client's calls ends with a request that was not throttled.
    EXPECT_GE(standard_requests, 2u * standard_calls);
    EXPECT_GT(adaptive_requests, 0u);
    EXPECT_LT(adaptive_requests, standard_requests);
    EXPECT_EQ(standard_throttles, standard_proxy.injected(fault::throttling));
    // An adaptive attempt under way when its call was cancelled may be throttled unseen.
    EXPECT_LE(adaptive_throttles, adaptive_proxy.injected(fault::throttling));
    EXPECT_GT(adaptive_throttles, 0u);
    EXPECT_LT(adaptive_throttles, standard_throttles);
    EXPECT_GT(held_back.load(), 0);
    std::cout << "standard mode: " << standard_requests << " requests, " << standard_throttles
              << " throttled; adaptive mode: " << adaptive_requests << " requests, " << adaptive_throttles
              << " throttled, " << held_back.load() << " attempts held back by the rate limiter\n";
}

INSTANTIATE_TEST_SUITE_P(BothServers, RetryModes, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
