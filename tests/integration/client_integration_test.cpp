// The DynamoDB client against real local servers (AWS DynamoDB Local and dynalite).
#include "local_servers.hpp"
#include "scripted_http_server.hpp"

#include <ddbcache/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <simdjson.h>

#include <array>
#include <atomic>
#include <optional>

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
        co_return co_await c.async_call("ListTables", "{}", tuple_awaitable);
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
        auto [create_ec, created] = co_await c.async_call("CreateTable", create_table_body(table), tuple_awaitable);
        if (create_ec) co_return std::tuple{create_ec, response{}};
        co_return co_await c.async_call("DescribeTable", R"({"TableName":")" + table + R"("})",
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
        co_return co_await c.async_call("DescribeTable", R"({"TableName":"no-such-table-anywhere"})", {.diag = &diag},
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
        co_return co_await c.async_call("GetItem", R"({"TableName":"x","Key":{}})", {.diag = &diag}, tuple_awaitable);
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
                        auto [ec, res] = co_await c->async_call("ListTables", "{}", tuple_awaitable);
                        (ec ? failed : succeeded)++;
                    },
                    asio::use_future));
            }
            asio::steady_timer wait(ex);
            while (succeeded + failed < 200) {
                wait.expires_after(std::chrono::milliseconds(5));
                co_await wait.async_wait(asio::use_awaitable);
            }
            stats = c->stats().connections;
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
            co_await c.async_call("ListTables", "{}", asio::use_awaitable);
            asio::cancellation_signal signal;
            asio::post(ex, [&] { signal.emit(asio::cancellation_type::terminal); });
            auto [ec, res] = co_await c.async_call("ListTables", "{}",
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
        auto [ec, res] = co_await c.async_call("ListTables", "{}",
                                               asio::bind_cancellation_slot(signal->slot(), tuple_awaitable));
        auto [ec2, res2] = co_await c.async_call("ListTables", "{}", tuple_awaitable);
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
    c->async_call("ListTables", "{}",
                  asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, response) {
                      call_ec = ec;
                      completed = true;
                  }));
    asio::steady_timer cut(io, std::chrono::milliseconds(200));
    cut.async_wait([&](error_code) { signal.emit(asio::cancellation_type::terminal); });
    connection_stats after{};
    asio::steady_timer check(io, std::chrono::milliseconds(400));
    check.async_wait([&](error_code) {
        after = c->stats().connections;
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
            auto [ec1, r1] = co_await c.async_call("ListTables", "{}", tuple_awaitable);
            asio::steady_timer idle(ex, std::chrono::milliseconds(6500));
            co_await idle.async_wait(asio::use_awaitable);
            auto [ec2, r2] = co_await c.async_call("ListTables", "{}", {.diag = &diag}, tuple_awaitable);
            co_return std::tuple{ec1, ec2, c.stats().connections};
        }());
    EXPECT_FALSE(first_ec) << first_ec.message();
    EXPECT_FALSE(second_ec) << second_ec.message();
    EXPECT_EQ(stats.opened_total, 2u); // the stale one, then its replacement
    // Replaced inside the pool without a client retry (no backoff, no retry quota), but both
    // sends are counted: the server may have acted on the first (the cache relies on it).
    EXPECT_EQ(diag.attempts, 2u);
}

// A loopback server that answers every request with `head` followed by filler bytes without
// end, so that one part of the answer (the status line, a header, a chunk size's extension, the
// trailer) never ends. It writes until the client hangs up.
class endless_responder {
public:
    endless_responder(asio::io_context& io, std::string head)
        : head_(std::move(head)), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    void close() { acceptor_.close(); }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(tuple_awaitable);
            if (ec) co_return;
            asio::co_spawn(acceptor_.get_executor(), answer(std::move(socket)), asio::detached);
        }
    }
    asio::awaitable<void> answer(asio::ip::tcp::socket socket) {
        std::array<char, 4096> request{};
        co_await socket.async_read_some(asio::buffer(request), tuple_awaitable);
        auto [head_ec, head_n] = co_await asio::async_write(socket, asio::buffer(head_), tuple_awaitable);
        const std::string filler(16 * 1024, 'a');
        for (error_code ec = head_ec; !ec;)
            std::tie(ec, std::ignore) = co_await asio::async_write(socket, asio::buffer(filler), tuple_awaitable);
    }

    std::string head_;
    asio::ip::tcp::acceptor acceptor_;
};

struct endless_part {
    std::string name;
    std::string head;     // what comes before the part that never ends
    std::string named_as; // what the failure's message must say
};

class EndlessResponsePart : public testing::TestWithParam<endless_part> {};

// The attempt timeout is a minute away: only a bound on the bytes read can end the call with
// anything but a timeout.
TEST_P(EndlessResponsePart, EndsTheCallWithAClearErrorLongBeforeTheAttemptTimeout) {
    asio::io_context io;
    endless_responder server(io, GetParam().head);
    client_options o;
    o.endpoint = server.url();
    o.region = "us-east-1";
    o.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
    o.attempt_timeout = o.call_timeout = std::chrono::milliseconds(60'000);
    o.retry.max_attempts = 1;
    client c(io.get_executor(), o);
    diagnostics diag;
    std::optional<error_code> result;
    c.async_call("ListTables", "{}", {.diag = &diag}, [&](error_code ec, response) {
        result = ec;
        server.close();
        c.close();
    });
    io.run_for(std::chrono::seconds(120));

    ASSERT_TRUE(result.has_value());
    EXPECT_NE(*result, client_errc::timeout) << diag.message;
    EXPECT_TRUE(*result) << diag.message;
    EXPECT_NE(diag.message.find(GetParam().named_as), std::string::npos) << diag.message;
}

void PrintTo(const endless_part& p, std::ostream* os) { *os << p.name; }

INSTANTIATE_TEST_SUITE_P(
    HttpBounds, EndlessResponsePart,
    testing::Values(endless_part{"StatusLine", "HTTP/1.1 200 ", "status line and headers exceed 8 KiB"},
                    endless_part{"HeaderLine", "HTTP/1.1 200 OK\r\nX-Long: ", "status line and headers exceed 8 KiB"},
                    endless_part{"ChunkExtension", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;",
                                 "chunk size with its extensions, or the trailer) is longer than 64 KiB"},
                    endless_part{"Trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: ",
                                 "chunk size with its extensions, or the trailer) is longer than 64 KiB"}),
    [](const testing::TestParamInfo<endless_part>& p) { return p.param.name; });

// ---- clock skew ----

using std::chrono::system_clock;
using namespace std::chrono_literals;

// A DynamoDB whose clock is `skew` away from this host's: it refuses a request dated more than
// 5 minutes from its own time as DynamoDB does, and dates every answer. `answered_at` receives
// its time at each request.
scripted_http_server::script skewed_dynamodb(system_clock::duration skew, std::vector<system_clock::time_point>& answered_at) {
    return [skew, &answered_at](const seen_request& r) {
        const auto server_now = system_clock::now() + skew;
        answered_at.push_back(server_now);
        const std::vector<std::pair<std::string, std::string>> date{{"Date", http_date(server_now)}};
        const auto dated = amz_date_time(r.header("x-amz-date"));
        if (dated < server_now - 5min)
            return scripted_reply{400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                                       R"("message":"Signature expired: )" + r.header("x-amz-date") +
                                           R"( is now earlier than the time 5 minutes ago."})", 0ms, date};
        if (dated > server_now + 5min)
            return scripted_reply{400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                                       R"("message":"Signature not yet current: )" + r.header("x-amz-date") +
                                           R"( is still later than the time 5 minutes from now."})", 0ms, date};
        return scripted_reply{200, R"({"TableNames":[]})", 0ms, date};
    };
}

client_options scripted_client_options(const scripted_http_server& server) {
    client_options o;
    o.endpoint = server.url();
    o.region = "us-east-1";
    o.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
    o.retry.quota = 0; // an ordinary retry is refused: only the re-signing may send again
    return o;
}

// How far a signature's X-Amz-Date is from the server's time when it arrived.
system_clock::duration signed_off_by(const seen_request& r, system_clock::time_point server_time) {
    const auto off = amz_date_time(r.header("x-amz-date")) - server_time;
    return off < system_clock::duration::zero() ? -off : off;
}

class ClockSkew : public testing::TestWithParam<std::chrono::minutes> {};

TEST_P(ClockSkew, ARefusedSignatureIsResignedAtOnceByTheAnswersDateAndTheSkewIsKept) {
    const auto skew = GetParam();
    asio::io_context io;
    std::vector<system_clock::time_point> server_times;
    scripted_http_server server(io, skewed_dynamodb(skew, server_times));
    client c(io.get_executor(), scripted_client_options(server));
    diagnostics first, second;
    error_code first_ec, second_ec;
    system_clock::time_point server_time_at_end;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::tie(first_ec, std::ignore) = co_await c.async_call("ListTables", "{}", {.diag = &first}, tuple_awaitable);
        std::tie(second_ec, std::ignore) = co_await c.async_call("ListTables", "{}", {.diag = &second}, tuple_awaitable);
        server_time_at_end = system_clock::now() + skew;
        io.stop();
    }, asio::detached);
    io.run_for(60s);

    EXPECT_FALSE(first_ec) << first.message;
    EXPECT_EQ(first.attempts, 2u); // refused, then re-signed
    EXPECT_FALSE(second_ec) << second.message;
    EXPECT_EQ(second.attempts, 1u); // the skew was kept
    ASSERT_EQ(server.requests().size(), 3u);
    ASSERT_EQ(server_times.size(), 3u);
    // Bounds wide enough for any machine, narrow beside the skews tested.
    EXPECT_LT(signed_off_by(server.requests()[1], server_times[1]), 1min) << server.requests()[1].header("x-amz-date");
    EXPECT_LT(signed_off_by(server.requests()[2], server_times[2]), 1min) << server.requests()[2].header("x-amz-date");
    const auto learned = c.clock_skew() - skew;
    EXPECT_LT(learned < 0ms ? -learned : learned, 1min) << c.clock_skew().count() << " ms";
    const auto now_off = c.now() - server_time_at_end;
    EXPECT_LT(now_off < system_clock::duration::zero() ? -now_off : now_off, 1min);
}

INSTANTIATE_TEST_SUITE_P(HostClock, ClockSkew, testing::Values(std::chrono::minutes(20), std::chrono::minutes(-30)),
                         [](const testing::TestParamInfo<std::chrono::minutes>& p) {
                             return p.param.count() > 0 ? std::string("TwentyMinutesBehind") : "ThirtyMinutesAhead";
                         });

// Without a Date that parses, nothing tells the right time: the refusal is reported as it came.
TEST(ClockSkewUnknown, ARefusedSignatureWithAnUnreadableDateFailsAfterOneAttemptNamingTheAwsMessage) {
    for (const std::string date : {"", "garbage", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                                   "Mon, 06 Nov 1994 08:49:37 GMT" /* a Sunday */, "Sun, 31 Nov 1994 08:49:37 GMT",
                                   "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC"}) {
        asio::io_context io;
        scripted_http_server server(io, [&](const seen_request&) {
            scripted_reply reply{400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                                      R"("message":"Signature expired: 20000101T000000Z is now earlier than ..."})"};
            if (!date.empty()) reply.headers = {{"Date", date}};
            return reply;
        });
        client c(io.get_executor(), scripted_client_options(server));
        diagnostics diag;
        error_code ec;
        c.async_call("ListTables", "{}", {.diag = &diag}, [&](error_code e, response) {
            ec = e;
            io.stop();
        });
        io.run_for(60s);
        EXPECT_EQ(ec, service_errc::invalid_signature) << date;
        EXPECT_EQ(diag.attempts, 1u) << date;
        EXPECT_EQ(diag.aws_type, "InvalidSignatureException") << date;
        EXPECT_NE(diag.message.find("Signature expired: 20000101T000000Z"), std::string::npos) << diag.message;
        EXPECT_EQ(c.clock_skew(), 0ms) << date;
    }
}

// A signature refused while the clocks agree is wrong for another reason: re-signing cannot help.
TEST(ClockSkewUnknown, ARefusedSignatureWhileTheClocksAgreeIsNotResigned) {
    asio::io_context io;
    scripted_http_server server(io, [](const seen_request&) {
        return scripted_reply{400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                                   R"("message":"The request signature we calculated does not match"})",
                              0ms, {{"Date", http_date(system_clock::now())}}};
    });
    client c(io.get_executor(), scripted_client_options(server));
    diagnostics diag;
    c.async_call("ListTables", "{}", {.diag = &diag}, [&](error_code, response) { io.stop(); });
    io.run_for(60s);
    EXPECT_EQ(diag.attempts, 1u);
    EXPECT_EQ(diag.aws_type, "InvalidSignatureException");
    EXPECT_EQ(c.clock_skew(), 0ms);
}

// ---- User-Agent ----

// The User-Agent of every request a client with `options` sent to a server that answers 500 once,
// then 200 (a retry shows every attempt carries it).
std::vector<std::string> user_agents_sent(client_options options_for_server(const scripted_http_server&)) {
    asio::io_context io;
    int answered = 0;
    scripted_http_server server(io, [&answered](const seen_request&) {
        return scripted_reply{++answered == 1 ? 500u : 200u, R"({"TableNames":[]})"};
    });
    client_options o = options_for_server(server);
    o.retry.quota = 500;
    o.retry.base_delay = 0ms;
    client c(io.get_executor(), o);
    c.async_call("ListTables", "{}", [&](error_code, response) { io.stop(); });
    io.run_for(60s);
    std::vector<std::string> agents;
    for (const seen_request& r : server.requests()) agents.push_back(r.header("user-agent"));
    return agents;
}

class UserAgent : public testing::Test {
protected:
    void SetUp() override { clear(); }
    void TearDown() override { clear(); }
    static void clear() {
        ::unsetenv("AWS_SDK_UA_APP_ID");
        ::setenv("AWS_CONFIG_FILE", "/nonexistent/ddbcache-test-config", 1);
    }
};

TEST_F(UserAgent, EveryAttemptSendsDdbcacheSlashItsVersion) {
    const auto agents = user_agents_sent(scripted_client_options);
    ASSERT_EQ(agents.size(), 2u);
    for (const std::string& agent : agents) EXPECT_EQ(agent, "ddbcache/" + std::string(version));
}

TEST_F(UserAgent, EveryAttemptAppendsTheApplicationIdFromAwsSdkUaAppId) {
    ::setenv("AWS_SDK_UA_APP_ID", "billing-api", 1);
    const auto agents = user_agents_sent(scripted_client_options);
    ASSERT_EQ(agents.size(), 2u);
    for (const std::string& agent : agents) EXPECT_EQ(agent, "ddbcache/" + std::string(version) + " app/billing-api");
}

TEST_F(UserAgent, AnApplicationIdOverFiftyBytesInTheEnvironmentFailsConstructionNamingTheVariable) {
    ::setenv("AWS_SDK_UA_APP_ID", std::string(51, 'x').c_str(), 1);
    asio::io_context io;
    scripted_http_server server(io, [](const seen_request&) { return scripted_reply{200, "{}"}; });
    try {
        client c(io.get_executor(), scripted_client_options(server));
        ADD_FAILURE() << "constructed with a 51-byte application ID";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("AWS_SDK_UA_APP_ID is 51 bytes"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(server.requests().empty());
}

TEST_F(UserAgent, AnApplicationIdOptionOverFiftyBytesIsAnInvalidArgumentNamingTheOption) {
    asio::io_context io;
    scripted_http_server server(io, [](const seen_request&) { return scripted_reply{200, "{}"}; });
    client_options o = scripted_client_options(server);
    o.app_id = std::string(60, 'x');
    try {
        client c(io.get_executor(), o);
        ADD_FAILURE() << "constructed with a 60-byte application ID";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("client_options::app_id is 60 bytes"), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(LocalServers, ClientIntegration, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
