// A real server (dynalite) stopped and restarted on the same port while one client lives on, and
// a client destroyed with calls in flight (run under ASan/LSan in the debug-asan preset).
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// A dynalite of this test's own, on a fixed port, that can be stopped and started again.
class own_dynalite {
public:
    explicit own_dynalite(unsigned short port) : port_(port) {}
    ~own_dynalite() { run("stop " + state_dir_); }
    bool start() { return run("start " + state_dir_ + " --port " + std::to_string(port_) + " --only dynalite"); }
    bool stop() { return run("stop " + state_dir_); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    static bool run(const std::string& args) {
        const std::string command = std::string(DDBCACHE_PYTHON) + " " + DDBCACHE_LOCAL_SERVERS_SCRIPT + " " + args;
        return std::system(command.c_str()) == 0;
    }
    unsigned short port_;
    std::string state_dir_ = std::string(DDBCACHE_RESTART_STATE_DIR) + "-" + std::to_string(::getpid());
};

unsigned short free_loopback_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
}

TEST(ServerRestart, CallsFailClearlyWhileTheServerIsDownAndSucceedOnceItIsBack) {
    own_dynalite server(free_loopback_port());
    ASSERT_TRUE(server.start());
    auto options = local_client_options("dynalite");
    options.endpoint = server.url();
    options.retry.max_attempts = 3;

    asio::io_context io;
    client c(io.get_executor(), options);
    auto list_tables = [&](diagnostics& diag) {
        error_code result = asio::error::would_block;
        c.async_call("ListTables", "{}", {.diag = &diag}, [&](error_code ec, response) { result = ec; });
        io.restart();
        while (result == asio::error::would_block) io.run_one(); // run() would wait for the idle reaper
        io.poll();                                                // the connection's return to the pool
        return result;
    };

    diagnostics before, during, after;
    EXPECT_FALSE(list_tables(before)) << before.message;
    EXPECT_EQ(c.stats().connections.idle, 1u); // a kept-alive connection to the server that is about to go

    ASSERT_TRUE(server.stop());
    const error_code down = list_tables(during);
    EXPECT_EQ(down, asio::error::connection_refused) << down.message();
    EXPECT_EQ(during.attempts, 3u); // refused connections are retried, then reported
    EXPECT_NE(during.message.find("ListTables failed after 3 attempts"), std::string::npos) << during.message;

    ASSERT_TRUE(server.start());
    EXPECT_FALSE(list_tables(after)) << after.message;
    EXPECT_EQ(after.attempts, 1u);
    EXPECT_GE(c.stats().connections.opened_total, 2u);
}

// The server killed and restarted (empty: dynalite keeps its tables in memory) under a load of 32
// coroutines on 2 threads: calls fail while it is down, then every worker's set-then-get pairs
// succeed again, and read back exactly what they wrote, with the same cache object (which
// re-creates its table).
TEST(ServerRestart, ACacheUnderLoadRecoversWhenTheServerIsKilledAndRestarted) {
    using namespace std::chrono_literals;
    constexpr int workers = 32, pairs_wanted_after = 10;
    own_dynalite server(free_loopback_port());
    ASSERT_TRUE(server.start());
    cache_options o;
    o.table_name = unique_table_name("restart");
    o.client = local_client_options("dynalite");
    o.client.endpoint = server.url();
    o.client.call_timeout = 5s;

    std::atomic<bool> restarted{false}, stop{false};
    std::atomic<int> failed_while_down{0}, wrong{0}, finished{0};
    std::vector<std::atomic<int>> good_after(workers);
    std::mutex mutex;
    std::string wrong_example;
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        for (int w = 0; w < workers; ++w)
            asio::co_spawn(co_await asio::this_coro::executor, [&, w]() -> asio::awaitable<void> {
                for (int i = 0; !stop; ++i) {
                    const bool after = restarted; // this pair starts after the restart
                    const std::string key = "w" + std::to_string(w), value = key + "-" + std::to_string(i);
                    auto [set_ec, stored] = co_await c.async_set(key, value, tuple_awaitable);
                    if (set_ec) {
                        if (!after) ++failed_while_down;
                        continue;
                    }
                    auto [get_ec, read] = co_await c.async_get(key, tuple_awaitable);
                    if (get_ec || !after) continue;
                    if (read == value) ++good_after[static_cast<std::size_t>(w)];
                    else if (std::lock_guard guard(mutex); ++wrong == 1) wrong_example = key + ": " + read.value_or("(absent)");
                }
                ++finished;
            }, asio::detached);
        std::thread operator_([&] {
            std::this_thread::sleep_for(1s);
            EXPECT_TRUE(server.stop());
            std::this_thread::sleep_for(1s);
            EXPECT_TRUE(server.start());
            restarted = true;
        });
        asio::steady_timer poll(co_await asio::this_coro::executor);
        const auto deadline = std::chrono::steady_clock::now() + 90s;
        auto everyone_recovered = [&] {
            for (auto& n : good_after)
                if (n < pairs_wanted_after) return false;
            return true;
        };
        while (!(restarted && everyone_recovered()) && std::chrono::steady_clock::now() < deadline) {
            poll.expires_after(50ms);
            co_await poll.async_wait(asio::use_awaitable);
        }
        stop = true;
        while (finished < workers) {
            poll.expires_after(20ms);
            co_await poll.async_wait(asio::use_awaitable);
        }
        operator_.join();
    }(), 2);
    EXPECT_GT(failed_while_down, 0) << "the outage was not seen: nothing was tested";
    EXPECT_EQ(wrong, 0) << wrong_example;
    for (int w = 0; w < workers; ++w)
        EXPECT_GE(good_after[static_cast<std::size_t>(w)], pairs_wanted_after) << "worker " << w << " did not recover";
}

// Destroying the client with calls waiting for a connection or on the wire: every call still
// completes exactly once (waiters with client_closed), and nothing leaks (LSan, debug-asan preset).
TEST(Shutdown, ClientDestroyedWithCallsInFlightCompletesEveryCallOnce) {
    asio::io_context io;
    auto options = local_client_options("dynamodb-local");
    options.max_connections = 2;
    std::map<std::string, int> outcomes;
    {
        client c(io.get_executor(), options);
        for (int i = 0; i < 50; ++i)
            c.async_call("ListTables", "{}",
                         [&](error_code ec, response) { ++outcomes[ec ? ec.message() : "ok"]; });
        io.run_for(std::chrono::milliseconds(5)); // some connect, some wait, some are sent
    }
    io.run_for(std::chrono::seconds(10)); // returns once the last call is done: nothing else is pending
    int total = 0;
    for (auto& [what, n] : outcomes) total += n;
    EXPECT_EQ(total, 50);
    EXPECT_GE(outcomes[make_error_code(client_errc::client_closed).message()], 1);
    EXPECT_TRUE(io.stopped()) << "work left behind by a destroyed client";
}

// Destroying the io_context itself with calls on the wire must not crash or leak: their
// coroutines are destroyed unfinished, and with them the client's internals.
TEST(Shutdown, IoContextDestroyedWithCallsOnTheWire) {
    int completed = 0;
    {
        asio::io_context io;
        auto c = std::make_unique<client>(io.get_executor(), local_client_options("dynamodb-local"));
        for (int i = 0; i < 20; ++i)
            c->async_call("ListTables", "{}", [&](error_code, response) { ++completed; });
        io.run_for(std::chrono::milliseconds(3));
        c.reset();
    }
    EXPECT_LT(completed, 20) << "the io_context was destroyed after every call had finished: nothing was tested";
}

// close() fails the calls that wait for a connection, promptly and with client_closed.
TEST(Shutdown, CloseFailsWaitingCallsWithClientClosed) {
    asio::io_context io;
    auto options = local_client_options("dynamodb-local");
    options.max_connections = 1;
    client c(io.get_executor(), options);
    std::map<std::string, int> outcomes;
    for (int i = 0; i < 20; ++i)
        c.async_call("ListTables", "{}", [&](error_code ec, response) { ++outcomes[ec ? ec.message() : "ok"]; });
    asio::post(io, [&] { c.close(); });
    io.run_for(std::chrono::seconds(10));
    int total = 0;
    for (auto& [what, n] : outcomes) total += n;
    EXPECT_EQ(total, 20);
    EXPECT_GE(outcomes[make_error_code(client_errc::client_closed).message()], 18)
        << "at most the call that holds the one connection (and one racing it) may finish otherwise";
}

} // namespace
} // namespace ddbcache::test
