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
using namespace std::chrono_literals;
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
        auto computed = []() -> asio::awaitable<std::string> { co_return std::string("computed"); };
        auto no_value = []() -> asio::awaitable<std::optional<std::string>> { co_return std::nullopt; };
        co_await c.async_get_or_set("cpp-computed", computed, {.early_refresh_beta = 1}, asio::use_awaitable);
        co_await c.async_get_or_set("cpp-no-value", no_value, {.negative_timeout = 300s}, asio::use_awaitable);
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

TEST_P(CachelibCompat, TouchAndSlidingExpirationMoveTheExpiryOfItemsCachelibWrote) {
    const std::string table = unique_table_name("compat");
    cache_options o;
    o.table_name = table;
    o.client = local_client_options(GetParam());
    o.sliding = {.window = 600s, .absolute = 900s};
    auto expiration_of = [](cache& c, const char* key) -> asio::awaitable<std::int64_t> {
        get_item_request get{c.options().table_name, item{{"cache_key", attribute_value::S(key)}}, "", {}, true};
        auto r = co_await c.dynamodb().async_execute(std::move(get), asio::use_awaitable);
        const attribute_value* e = r.found ? r.found->find("expiration_time") : nullptr;
        co_return e && e->if_N() ? std::stoll(*e->if_N()) : -1;
    };
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        co_await c.async_set("table", "created", asio::use_awaitable);
    }());
    ASSERT_EQ(run_peer("write", endpoint_of(GetParam()), table), 0); // entries of 300 s, dated by Python
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, o);
        const std::int64_t written = co_await expiration_of(c, "py-str");
        // get slides py-str's 300 s towards the 600 s window (capped at created_at + 900 s).
        EXPECT_EQ(co_await c.async_get("py-str", asio::use_awaitable), "h\xc3\xa9llo \xe2\x82\xac");
        const std::int64_t slid = co_await expiration_of(c, "py-str");
        EXPECT_GE(slid, written + 290) << "created_at as Python's isoformat() writes it was read";
        EXPECT_LE(slid, written + 600);
        // touch moves py-bytes' expiry and keeps its value.
        EXPECT_TRUE(co_await c.async_touch("py-bytes", {.timeout = 3600s}, asio::use_awaitable));
        EXPECT_GE(co_await expiration_of(c, "py-bytes"), written + 3000);
        EXPECT_EQ(co_await c.async_get("py-bytes", asio::use_awaitable), std::string("\x00\xff\xfe raw", 7));
    }());
}

INSTANTIATE_TEST_SUITE_P(LocalServers, CachelibCompat, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
