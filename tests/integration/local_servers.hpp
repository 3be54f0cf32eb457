// The local DynamoDB servers started by the CTest fixture (tests/servers/local_servers.py), and a
// client configured for each.
#pragma once

#include <ddbcache/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

// ASSERT_* for coroutines (gtest's return, which a coroutine cannot): CO_ASSERT(ok, << "why").
#define CO_ASSERT(condition, ...)                                                                 \
    if (!(condition)) {                                                                           \
        ADD_FAILURE() << "assertion failed: " #condition " " __VA_ARGS__;                          \
        co_return;                                                                                \
    }

namespace ddbcache::test {

// Name -> endpoint URL, from the file named by DDBCACHE_TEST_SERVERS.
inline const std::map<std::string, std::string>& local_servers() {
    static const std::map<std::string, std::string> servers = [] {
        std::map<std::string, std::string> found;
        const char* path = std::getenv("DDBCACHE_TEST_SERVERS");
        std::ifstream in(path ? path : "");
        std::string name, url;
        while (in >> name >> url) found[name] = url;
        return found;
    }();
    return servers;
}

inline const std::vector<std::string> server_names = {"dynamodb-local", "dynalite"};

// A readable gtest parameter name for a server.
inline std::string server_param_name(const testing::TestParamInfo<std::string>& param) {
    std::string name = param.param;
    for (char& c : name)
        if (c == '-') c = '_';
    return name;
}

// The endpoint of a server; fails the test (never skips it) when the fixture did not start it.
inline std::string endpoint_of(const std::string& name) {
    auto it = local_servers().find(name);
    if (it == local_servers().end()) {
        ADD_FAILURE() << "local server '" << name << "' is not running: run the tests through ctest, which "
                      << "starts it (DDBCACHE_TEST_SERVERS names the file listing the servers)";
        return "http://127.0.0.1:1";
    }
    return it->second;
}

// The fixture's HTTP proxy (tinyproxy, as tests/servers/local_servers.py configures it) asks for
// these Basic credentials.
constexpr const char* test_proxy_user = "ddbcache-test";
constexpr const char* test_proxy_password = "proxy-secret-Zq7";

// The proxy's URL with user info: "http://user:password@127.0.0.1:PORT".
inline std::string test_proxy_url(const std::string& password = test_proxy_password) {
    const std::string url = endpoint_of("tinyproxy"); // "http://127.0.0.1:PORT"
    return "http://" + std::string(test_proxy_user) + ":" + password + "@" + url.substr(std::string("http://").size());
}

// Lines of the proxy's log (every connection and request line) that contain `text`.
inline int test_proxy_log_lines_with(const std::string& text) {
    const char* servers = std::getenv("DDBCACHE_TEST_SERVERS");
    std::ifstream log(std::filesystem::path(servers ? servers : "").parent_path() / "tinyproxy-access.log");
    int count = 0;
    for (std::string line; std::getline(log, line);) count += line.find(text) != std::string::npos;
    return count;
}

inline client_options local_client_options(const std::string& server) {
    client_options o;
    o.endpoint = endpoint_of(server);
    o.region = "us-east-1";
    o.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
    return o;
}

// A table name no other test uses.
inline std::string unique_table_name(const std::string& stem) {
    static int counter = 0;
    return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Creates `table` (string hash key "pk", on demand) and waits until it is ACTIVE; its description
// (EXPECTs that it was created and became active).
inline boost::asio::awaitable<table_description> create_active_table(client& c, const std::string& table) {
    namespace asio = boost::asio;
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    create_table_request create{table, {"pk", 'S'}, {}, {}};
    auto [ec, created] = co_await c.async_execute(create, tuple_awaitable);
    EXPECT_FALSE(ec) << ec.message();
    for (int i = 0; i < 100 && created.status != "ACTIVE"; ++i) {
        asio::steady_timer pause(c.get_executor(), std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
        describe_table_request describe{table};
        std::tie(ec, created) = co_await c.async_execute(describe, tuple_awaitable);
    }
    EXPECT_EQ(created.status, "ACTIVE");
    co_return created;
}

// Runs a coroutine to completion on a fresh io_context with `threads` threads.
template <class Awaitable>
auto run_on_io(Awaitable awaitable, int threads = 1) {
    boost::asio::io_context io(threads);
    auto future = boost::asio::co_spawn(io, std::move(awaitable), boost::asio::use_future);
    std::vector<std::thread> extra;
    for (int i = 1; i < threads; ++i) extra.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : extra) t.join();
    return future.get();
}

} // namespace ddbcache::test
