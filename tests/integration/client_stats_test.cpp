// client::stats() against both local servers, through the fault proxy: calls, failures, attempts,
// throttles and latency per operation, and the capacity DynamoDB reports when asked
// (client_options::return_consumed_capacity). Counts only: nothing depends on the machine's speed.
#include "fault_proxy.hpp"
#include "local_servers.hpp"

#include <mutex>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

item key_of(const std::string& key) { return item{{"pk", attribute_value::S(key)}}; }
item small_item(const std::string& key) { return item{{"pk", attribute_value::S(key)}, {"v", attribute_value::S("x")}}; }

// Requests are named before each co_await, never braced temporaries inside it (GCC 12 bug).
class ClientStats : public testing::TestWithParam<std::string> {
protected:
    fault_proxy proxy{endpoint_of(GetParam())};

    client_options options() const {
        client_options o = local_client_options(GetParam());
        o.endpoint = proxy.url();
        o.retry.base_delay = std::chrono::milliseconds(1);
        return o;
    }
    // Runs body(client, table) on a fresh table (hash key "pk"), with a client made of `o`.
    template <class Body>
    void with_table(const client_options& o, Body body) {
        const std::string table = unique_table_name("stats");
        run_on_io([&]() -> asio::awaitable<void> {
            client c(co_await asio::this_coro::executor, o);
            co_await create_active_table(c, table);
            co_await body(c, table);
        }());
    }
    // The operation's stats once body(client, table) has run.
    template <class Body>
    dynamodb_operation_stats stats_after(dynamodb_operation op, const client_options& o, Body body) {
        dynamodb_operation_stats s;
        with_table(o, [&](client& c, const std::string& table) -> asio::awaitable<void> {
            co_await body(c, table);
            s = c.stats()[op];
        });
        return s;
    }
};

TEST_P(ClientStats, EachCompletedCallIsCountedUnderItsOperationWithItsAttemptAndLatency) {
    client_stats s;
    with_table(options(), [&](client& c, const std::string& table) -> asio::awaitable<void> {
        put_item_request put{table, small_item("k"), {}};
        get_item_request get{table, key_of("k")};
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(put, tuple_awaitable)));
        for (int i = 0; i < 2; ++i) EXPECT_FALSE(std::get<0>(co_await c.async_execute(get, tuple_awaitable)));
        s = c.stats();
    });
    const auto& put = s[dynamodb_operation::put_item];
    EXPECT_EQ(put.calls, 1u);
    EXPECT_EQ(put.attempts, 1u);
    EXPECT_EQ(put.latency.count(), 1u);
    const auto& get = s[dynamodb_operation::get_item];
    EXPECT_EQ(get.calls, 2u);
    EXPECT_EQ(get.attempts, 2u);
    EXPECT_EQ(get.latency.count(), 2u);
    EXPECT_EQ(get.failures + put.failures + get.throttles + put.throttles, 0u);
    EXPECT_EQ(s[dynamodb_operation::delete_item].calls, 0u);
}

TEST_P(ClientStats, ARawCallIsCountedUnderTheOperationItNames) {
    const auto s = stats_after(dynamodb_operation::get_item, options(), [](client& c, const std::string& table) -> asio::awaitable<void> {
        std::string body = R"({"TableName":")" + table + R"(","Key":{"pk":{"S":"k"}}})";
        EXPECT_FALSE(std::get<0>(co_await c.async_call("GetItem", std::move(body), tuple_awaitable)));
    });
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.attempts, 1u);
}

TEST_P(ClientStats, ARawCallToAnUnlistedOperationCountsAsOther) {
    const auto s = stats_after(dynamodb_operation::other, options(), [](client& c, const std::string&) -> asio::awaitable<void> {
        EXPECT_FALSE(std::get<0>(co_await c.async_call("ListTables", "{}", tuple_awaitable)));
    });
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.attempts, 1u);
    EXPECT_EQ(s.latency.count(), 1u);
}

TEST_P(ClientStats, ACallRetriedAfterAThrottlingAnswerCountsTwoAttemptsAndOneThrottle) {
    const auto s = stats_after(dynamodb_operation::get_item, options(), [&](client& c, const std::string& table) -> asio::awaitable<void> {
        auto throttled = std::make_shared<std::atomic<bool>>(false);
        proxy.set_plan([throttled](const proxied_request& r) {
            return r.operation == "GetItem" && !throttled->exchange(true) ? fault::throttling : fault::none;
        });
        get_item_request get{table, key_of("k")};
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(get, tuple_awaitable)));
    });
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.attempts, 2u);
    EXPECT_EQ(s.throttles, 1u);
    EXPECT_EQ(s.failures, 0u);
}

TEST_P(ClientStats, AFailedCallCountsAFailure) {
    const auto s = stats_after(dynamodb_operation::get_item, options(), [](client& c, const std::string&) -> asio::awaitable<void> {
        get_item_request get{"no-such-table-anywhere", key_of("k")};
        EXPECT_EQ(std::get<0>(co_await c.async_execute(get, tuple_awaitable)), service_errc::resource_not_found);
    });
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.failures, 1u);
    EXPECT_EQ(s.attempts, 1u);
    EXPECT_EQ(s.throttles, 0u);
}

TEST_P(ClientStats, ARequestRefusedBeforeSendingIsAFailedCallWithoutAttempts) {
    const auto s = stats_after(dynamodb_operation::get_item, options(), [](client& c, const std::string&) -> asio::awaitable<void> {
        get_item_request get{"x", key_of("k")}; // table names have 3 characters at least
        EXPECT_EQ(std::get<0>(co_await c.async_execute(get, tuple_awaitable)), client_errc::invalid_name);
    });
    EXPECT_EQ(s.calls, 1u);
    EXPECT_EQ(s.failures, 1u);
    EXPECT_EQ(s.attempts, 0u);
}

// DynamoDB's rules, which both servers follow: a write of an item up to 1 KB is one write unit; an
// eventually consistent read of one up to 4 KB is half a read unit.
class ConsumedCapacity : public ClientStats {
protected:
    client_options options() const {
        client_options o = ClientStats::options();
        o.return_consumed_capacity = true;
        return o;
    }
};

TEST_P(ConsumedCapacity, APutOfASmallItemCostsOneWriteUnit) {
    const auto s = stats_after(dynamodb_operation::put_item, options(), [](client& c, const std::string& table) -> asio::awaitable<void> {
        put_item_request put{table, small_item("k"), {}};
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(put, tuple_awaitable)));
    });
    EXPECT_EQ(s.consumed_capacity_units, 1.0);
}

TEST_P(ConsumedCapacity, AnEventuallyConsistentGetOfASmallItemCostsHalfAReadUnit) {
    const auto s = stats_after(dynamodb_operation::get_item, options(), [](client& c, const std::string& table) -> asio::awaitable<void> {
        put_item_request put{table, small_item("k"), {}};
        get_item_request get{table, key_of("k")};
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(put, tuple_awaitable)));
        EXPECT_TRUE(std::get<1>(co_await c.async_execute(get, tuple_awaitable)).found);
    });
    EXPECT_EQ(s.consumed_capacity_units, 0.5);
}

TEST_P(ConsumedCapacity, ABatchWriteCountsTheUnitsOfEachItem) {
    const auto s = stats_after(dynamodb_operation::batch_write_item, options(), [](client& c, const std::string& table) -> asio::awaitable<void> {
        const write_request one{write_request::kind::put, small_item("a")}, two{write_request::kind::put, small_item("b")};
        batch_write_item_request batch{{table_writes{table, {one, two}}}};
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(batch, tuple_awaitable)));
    });
    EXPECT_EQ(s.consumed_capacity_units, 2.0);
}

TEST_P(ClientStats, WithoutReturnConsumedCapacityRequestsAskForNoneAndNoUnitsAreCounted) {
    std::mutex mutex;
    std::vector<std::string> bodies;
    proxy.set_plan([&](const proxied_request& r) {
        const std::lock_guard lock(mutex);
        bodies.push_back(r.operation + " " + r.body);
        return fault::none;
    });
    client_stats s;
    with_table(options(), [&](client& c, const std::string& table) -> asio::awaitable<void> {
        put_item_request put{table, small_item("k"), {}};
        get_item_request get{table, key_of("k")};
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(put, tuple_awaitable)));
        EXPECT_FALSE(std::get<0>(co_await c.async_execute(get, tuple_awaitable)));
        s = c.stats();
    });
    proxy.set_plan({}); // before `bodies` goes
    const std::lock_guard lock(mutex);
    EXPECT_GE(bodies.size(), 3u);
    for (const auto& body : bodies) EXPECT_EQ(body.find("ReturnConsumedCapacity"), std::string::npos) << body;
    EXPECT_EQ(s[dynamodb_operation::put_item].consumed_capacity_units, 0.0);
    EXPECT_EQ(s[dynamodb_operation::get_item].consumed_capacity_units, 0.0);
}

INSTANTIATE_TEST_SUITE_P(LocalServers, ClientStats, testing::ValuesIn(server_names), server_param_name);
INSTANTIATE_TEST_SUITE_P(LocalServers, ConsumedCapacity, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
