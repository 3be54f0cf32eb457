// The DynamoDB client against real local servers (AWS DynamoDB Local and dynalite).
#include "local_servers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <simdjson.h>

#include <atomic>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
    return parser.parse(json).value();
}

std::string create_table_body(const std::string& table) {
    return R"({"TableName":")" + table +
           R"(","AttributeDefinitions":[{"AttributeName":"cache_key","AttributeType":"S"}],)"
           R"("KeySchema":[{"AttributeName":"cache_key","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})";
}

class ClientIntegration : public testing::TestWithParam<std::string> {
protected:
    client_options options() const { return local_client_options(GetParam()); }
};

TEST_P(ClientIntegration, SignedListTablesAnswersWithTableNames) {
    auto [ec, res] = run_on_io([this]() -> asio::awaitable<std::tuple<error_code, response>> {
        client c(co_await asio::this_coro::executor, options());
        co_return co_await c.async_call("ListTables", "{}", nullptr, tuple_awaitable);
    }());
    ASSERT_FALSE(ec) << ec.message();
    simdjson::dom::parser parser;
    EXPECT_TRUE(parse(parser, res.body)["TableNames"].is_array()) << res.body;
    EXPECT_EQ(res.attempts, 1u);
}

TEST_P(ClientIntegration, CreatedTableIsDescribedByName) {
    const std::string table = unique_table_name("client-create");
    auto [ec, res] = run_on_io([&]() -> asio::awaitable<std::tuple<error_code, response>> {
        client c(co_await asio::this_coro::executor, options());
        auto [create_ec, created] = co_await c.async_call("CreateTable", create_table_body(table), nullptr, tuple_awaitable);
        if (create_ec) co_return std::tuple{create_ec, response{}};
        co_return co_await c.async_call("DescribeTable", R"({"TableName":")" + table + R"("})", nullptr,
                                        tuple_awaitable);
    }());
    ASSERT_FALSE(ec) << ec.message();
    simdjson::dom::parser parser;
    std::string_view name = parse(parser, res.body)["Table"]["TableName"].get_string().value();
    EXPECT_EQ(name, table);
}

TEST_P(ClientIntegration, MissingTableFailsWithResourceNotFoundWithoutRetry) {
    diagnostics diag;
    auto [ec, res] = run_on_io([&]() -> asio::awaitable<std::tuple<error_code, response>> {
        client c(co_await asio::this_coro::executor, options());
        co_return co_await c.async_call("DescribeTable", R"({"TableName":"no-such-table-anywhere"})", &diag,
                                        tuple_awaitable);
    }());
    EXPECT_EQ(ec, service_errc::resource_not_found) << ec.message();
    EXPECT_EQ(diag.aws_type, "ResourceNotFoundException");
    EXPECT_EQ(diag.http_status, 400u);
    EXPECT_EQ(diag.attempts, 1u);
    EXPECT_NE(diag.message.find("DescribeTable failed after 1 attempt"), std::string::npos) << diag.message;
}

TEST_P(ClientIntegration, MalformedRequestFailsWithValidationOrSerializationError) {
    diagnostics diag;
    auto [ec, res] = run_on_io([&]() -> asio::awaitable<std::tuple<error_code, response>> {
        client c(co_await asio::this_coro::executor, options());
        co_return co_await c.async_call("GetItem", R"({"TableName":"x","Key":{}})", &diag, tuple_awaitable);
    }());
    EXPECT_EQ(ec.category(), service_category()) << ec.message();
    EXPECT_FALSE(diag.message.empty());
    EXPECT_EQ(diag.attempts, 1u);
}

TEST_P(ClientIntegration, TwoHundredConcurrentCallsShareEightConnectionsOnTwoThreads) {
    std::atomic<int> succeeded{0};
    std::atomic<int> failed{0};
    connection_stats stats;
    auto opts = options();
    opts.max_connections = 8;
    run_on_io(
        [&]() -> asio::awaitable<void> {
            auto ex = co_await asio::this_coro::executor;
            auto c = std::make_shared<client>(ex, opts);
            std::vector<std::future<void>> done;
            for (int i = 0; i < 200; ++i) {
                done.push_back(asio::co_spawn(
                    ex,
                    [c, &succeeded, &failed]() -> asio::awaitable<void> {
                        auto [ec, res] = co_await c->async_call("ListTables", "{}", nullptr, tuple_awaitable);
                        (ec ? failed : succeeded)++;
                    },
                    asio::use_future));
            }
            asio::steady_timer wait(ex);
            while (succeeded + failed < 200) {
                wait.expires_after(std::chrono::milliseconds(5));
                co_await wait.async_wait(asio::use_awaitable);
            }
            stats = c->stats();
        }(),
        2);
    EXPECT_EQ(succeeded.load(), 200);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_LE(stats.opened_total, 8u); // no connection was closed, so none was opened twice
    EXPECT_GE(stats.opened_total, 2u);
    EXPECT_EQ(stats.waiting, 0u);
}

// A cancellation emitted after the call starts but before its coroutine first runs (or while it
// takes a pooled connection, which has nothing to cancel) must not be lost: the call is aborted.
TEST_P(ClientIntegration, CancellationQueuedBeforeTheFirstStepAbortsTheCall) {
    auto outcomes = run_on_io([this]() -> asio::awaitable<std::vector<error_code>> {
        auto ex = co_await asio::this_coro::executor;
        client c(ex, options());
        std::vector<error_code> ecs;
        for (int i = 0; i < 3; ++i) { // the first opens a connection; the others reuse it
            co_await c.async_call("ListTables", "{}", nullptr, asio::use_awaitable);
            asio::cancellation_signal signal;
            asio::post(ex, [&] { signal.emit(asio::cancellation_type::terminal); });
            auto [ec, res] = co_await c.async_call("ListTables", "{}", nullptr,
                                                   asio::bind_cancellation_slot(signal.slot(), tuple_awaitable));
            ecs.push_back(ec);
        }
        co_return ecs;
    }());
    EXPECT_EQ(outcomes, std::vector<error_code>(3, asio::error::operation_aborted));
}

// Against a real server the signal may land before, during or after the exchange: whichever it is,
// the next call on the same client must succeed. (The certain cut-off is tested above.)
TEST_P(ClientIntegration, ClientStaysUsableAfterACallCancelledAtAnyPoint) {
    auto [cancel_ec, next_ec] = run_on_io([this]() -> asio::awaitable<std::tuple<error_code, error_code>> {
        auto ex = co_await asio::this_coro::executor;
        client c(ex, options());
        // Shared with the timer's handler, which may still be queued when this coroutine ends.
        auto signal = std::make_shared<asio::cancellation_signal>();
        asio::steady_timer soon(ex);
        soon.expires_after(std::chrono::microseconds(50));
        soon.async_wait([signal](error_code) { signal->emit(asio::cancellation_type::terminal); });
        // A scan of a missing table still takes a round trip: long enough to be cut off mid-flight.
        auto [ec, res] = co_await c.async_call("ListTables", "{}", nullptr,
                                               asio::bind_cancellation_slot(signal->slot(), tuple_awaitable));
        auto [ec2, res2] = co_await c.async_call("ListTables", "{}", nullptr, tuple_awaitable);
        co_return std::tuple{ec, ec2};
    }());
    // The first call either finished before the signal or was aborted; never a crossed answer.
    EXPECT_TRUE(!cancel_ec || cancel_ec == asio::error::operation_aborted) << cancel_ec.message();
    EXPECT_FALSE(next_ec) << next_ec.message();
}

// A loopback listener that accepts and never answers: a call to it can only end by cancellation
// (or its timeouts, set far away here), so the outcome below is certain, not a race.
TEST(ClientCancellation, CallCutOffMidFlightFailsWithOperationAbortedAndItsConnectionIsClosed) {
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket accepted(io);
    silent.async_accept(accepted, [](error_code) {});
    client_options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    o.region = "us-east-1";
    o.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
    o.attempt_timeout = o.call_timeout = std::chrono::milliseconds(60'000);
    auto c = std::make_shared<client>(io.get_executor(), o);

    asio::cancellation_signal signal;
    error_code call_ec;
    bool completed = false;
    const auto started = std::chrono::steady_clock::now();
    c->async_call("ListTables", "{}", nullptr,
                  asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, response) {
                      call_ec = ec;
                      completed = true;
                  }));
    asio::steady_timer cut(io, std::chrono::milliseconds(200));
    cut.async_wait([&](error_code) { signal.emit(asio::cancellation_type::terminal); });
    connection_stats after{};
    asio::steady_timer check(io, std::chrono::milliseconds(400));
    check.async_wait([&](error_code) {
        after = c->stats();
        accepted.close();
        silent.close();
    });
    io.run_for(std::chrono::seconds(10));

    ASSERT_TRUE(completed);
    EXPECT_EQ(call_ec, asio::error::operation_aborted) << call_ec.message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_EQ(after.opened_total, 1u);
    EXPECT_EQ(after.open, 0u); // closed, never handed back to the pool
    EXPECT_EQ(after.idle, 0u);
}

// dynalite closes keep-alive connections idle for 5 s; the next call must not see that.
TEST(ClientIntegrationStale, ConnectionClosedByTheServerWhileIdleIsReplacedTransparently) {
    diagnostics diag;
    auto [first_ec, second_ec, stats] =
        run_on_io([&diag]() -> asio::awaitable<std::tuple<error_code, error_code, connection_stats>> {
            auto ex = co_await asio::this_coro::executor;
            client c(ex, local_client_options("dynalite"));
            auto [ec1, r1] = co_await c.async_call("ListTables", "{}", nullptr, tuple_awaitable);
            asio::steady_timer idle(ex, std::chrono::milliseconds(6500));
            co_await idle.async_wait(asio::use_awaitable);
            auto [ec2, r2] = co_await c.async_call("ListTables", "{}", &diag, tuple_awaitable);
            co_return std::tuple{ec1, ec2, c.stats()};
        }());
    EXPECT_FALSE(first_ec) << first_ec.message();
    EXPECT_FALSE(second_ec) << second_ec.message();
    EXPECT_EQ(stats.opened_total, 2u); // the stale one, then its replacement
    // Replaced inside the pool without a client retry (no backoff, no retry quota), but both
    // sends are counted: the server may have acted on the first (the cache relies on it).
    EXPECT_EQ(diag.attempts, 2u);
}

INSTANTIATE_TEST_SUITE_P(LocalServers, ClientIntegration, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
