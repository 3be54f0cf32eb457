// One table, two languages: ddbcache and cachelib (a Python peer, tests/compat/cachelib_peer.py,
// writing and reading items as cachelib does, with boto3 and the standard pickle module).
#include "local_servers.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

int run_peer(const std::string& verb, const std::string& endpoint, const std::string& table) {
    const std::string command = std::string(DDBCACHE_SYSTEM_PYTHON) + " " + DDBCACHE_CACHELIB_PEER + " " + verb + " " +
                                endpoint + " " + table;
    return std::system(command.c_str());
}

class CachelibCompat : public testing::TestWithParam<std::string> {};

TEST_P(CachelibCompat, EachSideReadsWhatTheOtherWrote) {
    const std::string table = unique_table_name("compat");
    const std::string endpoint = endpoint_of(GetParam());
    cache_options o;
    o.table_name = table;
    o.client = local_client_options(GetParam());

    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        EXPECT_TRUE(co_await c.async_set("cpp-text", "h\xc3\xa9llo", asio::use_awaitable)); // creates the table
        EXPECT_TRUE(co_await c.async_set("cpp-binary", std::string("\x00\xff\x80 not utf-8", 13), asio::use_awaitable));
        EXPECT_TRUE(co_await c.async_set("cpp-empty", "", asio::use_awaitable));
        EXPECT_EQ(co_await c.async_dec("cpp-counter", {.delta = 5}, asio::use_awaitable), -5);
    }());
    ASSERT_EQ(run_peer("check", endpoint, table), 0) << "cachelib could not read what ddbcache wrote";
    ASSERT_EQ(run_peer("write", endpoint, table), 0);

    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        auto get = [&](const char* key) { return c.async_get(key, asio::use_awaitable); };
        EXPECT_EQ(co_await get("py-str"), "h\xc3\xa9llo \xe2\x82\xac");
        EXPECT_EQ(co_await get("py-bytes"), std::string("\x00\xff\xfe raw", 7));
        EXPECT_EQ(co_await get("py-empty-bytes"), "");
        EXPECT_EQ(co_await get("py-int"), "-42");
        EXPECT_EQ(co_await get("py-big-int"), "1180591620717411303424");
        EXPECT_EQ(co_await get("py-float"), "1.5");
        EXPECT_EQ(co_await get("py-true"), "True");
        EXPECT_EQ(co_await get("py-none"), std::nullopt); // cachelib reads a stored None as a miss too
        EXPECT_EQ(co_await c.async_inc("py-int", {.delta = 2}, asio::use_awaitable), -40); // Python's pickled int counts
        diagnostics diag;
        auto [ec, v] = co_await c.async_get("py-dict", {.diag = &diag}, tuple_awaitable);
        EXPECT_EQ(ec, client_errc::unsupported_value);
        EXPECT_NE(diag.message.find("opcode"), std::string::npos) << diag.message;
    }());
}

INSTANTIATE_TEST_SUITE_P(LocalServers, CachelibCompat, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
