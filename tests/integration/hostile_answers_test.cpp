// The cache against a scripted DynamoDB-compatible server that misbehaves (compromised, buggy, or
// reached over plain HTTP): its answers may fail a call, with an error naming the cause, but never
// crash the process, loop without end, or be read as something they are not.
#include "local_servers.hpp"
#include "scripted_http_server.hpp"

#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <simdjson.h>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::string operation_of(const seen_request& r) {
    const std::string target = r.header("x-amz-target");
    return target.substr(target.find('.') + 1);
}

// {"cache_key":{"S":key},"response":{"B":"dg=="}}: the raw value "v".
std::string item_json(const std::string& key) {
    return R"({"cache_key":{"S":")" + key + R"("},"response":{"B":"dg=="}})";
}

// The keys a BatchGetItem or BatchWriteItem request names, in order.
std::vector<std::string> requested_keys(const std::string& body) {
    std::vector<std::string> keys;
    for (std::size_t at = 0; (at = body.find(R"("cache_key":{"S":")", at)) != std::string::npos;) {
        at += 18;
        keys.push_back(body.substr(at, body.find('"', at) - at));
    }
    return keys;
}

class HostileAnswers : public testing::Test {
protected:
    static constexpr const char* secret_key = "local-test-secret-5e1b";
    static constexpr const char* session_token = "local-test-session-token-8a2f";

    cache_options options(const std::string& url) const {
        cache_options o;
        o.table_name = "hostile";
        o.codec = value_codec::raw;
        o.client.endpoint = url;
        o.client.region = "us-east-1";
        o.client.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", secret_key, session_token};
        o.client.retry.base_delay = std::chrono::milliseconds(1);
        return o;
    }
    // Runs `body` with a cache whose server answers each request with `script`.
    template <class Body>
    void with_server(scripted_http_server::script script, Body body) {
        asio::io_context io;
        scripted_http_server server(io, std::move(script));
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            cache c(co_await asio::this_coro::executor, options(server.url()));
            co_await body(c, server);
        }, [&](std::exception_ptr e) {
            io.stop();
            if (e) std::rethrow_exception(e);
        });
        io.run_for(std::chrono::minutes(2)); // a regression that hangs fails here, not at ctest's limit
        EXPECT_TRUE(io.stopped()) << "the calls did not end within 2 minutes";
    }
};

TEST_F(HostileAnswers, AnErrorMessageQuotingTheSessionTokenOrTheSecretKeyIsRedacted) {
    // As an InvalidSignatureException quotes the canonical request, whose signed headers include
    // X-Amz-Security-Token.
    const std::string message = std::string("The Canonical String for this request should have been 'POST\\n/\\n\\n") +
                                "x-amz-security-token:" + session_token + "\\n' (and the key " + secret_key + ")";
    with_server(
        [&](const seen_request&) -> scripted_reply {
            return {400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException","message":")" + message + "\"}"};
        },
        [&](cache& c, scripted_http_server&) -> asio::awaitable<void> {
            diagnostics diag;
            auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(ec, service_errc::invalid_signature) << ec.message();
            EXPECT_NE(diag.message.find("x-amz-security-token:[redacted]"), std::string::npos) << diag.message;
            EXPECT_EQ(diag.message.find(session_token), std::string::npos) << diag.message;
            EXPECT_EQ(diag.message.find(secret_key), std::string::npos) << diag.message;
        });
}

TEST_F(HostileAnswers, AnAttributeNestedTwentyThousandLevelsDeepFailsNamingTheLimit) {
    std::string deep = R"({"S":"bottom"})";
    for (int i = 0; i < 20'000; ++i) deep = R"({"M":{"a":)" + deep + "}}";
    const std::string item = R"({"cache_key":{"S":"k"},"response":{"B":"dg=="},"deep":)" + deep + "}";
    with_server(
        [&](const seen_request& r) -> scripted_reply {
            if (operation_of(r) == "GetItem") return {200, R"({"Item":)" + item + "}"};
            return {200, R"({"Responses":{"hostile":[)" + item + "]}}"};
        },
        [](cache& c, scripted_http_server&) -> asio::awaitable<void> {
            diagnostics diag;
            auto [ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(ec, client_errc::nesting_too_deep);
            EXPECT_NE(diag.message.find("GetItem: the response nests attribute values deeper than DynamoDB's 32 levels"),
                      std::string::npos) << diag.message;
            auto [many_ec, vs] = co_await c.async_get_many(cache::keys(1, "k"), {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(many_ec, client_errc::nesting_too_deep);
            EXPECT_NE(diag.message.find("BatchGetItem"), std::string::npos) << diag.message;
        });
}

TEST_F(HostileAnswers, AnItemWithoutItsKeyAttributeFailsNamingTheAttribute) {
    const std::string keyless = R"({"response":{"B":"dg=="}})";
    with_server(
        [&](const seen_request& r) -> scripted_reply {
            if (operation_of(r) == "GetItem") return {200, R"({"Item":)" + keyless + "}"};
            return {200, R"({"Responses":{"hostile":[)" + keyless + "]}}"};
        },
        [](cache& c, scripted_http_server&) -> asio::awaitable<void> {
            diagnostics diag;
            auto [many_ec, vs] = co_await c.async_get_many(cache::keys(1, "k"), {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(many_ec, client_errc::bad_response);
            EXPECT_EQ(diag.message, "BatchGetItem answered an item without its string key attribute 'cache_key'");
            auto [inc_ec, n] = co_await c.async_inc("k", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(inc_ec, client_errc::bad_response);
            EXPECT_EQ(diag.message, "GetItem answered an item without its string key attribute 'cache_key'");
            auto [get_ec, v] = co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(get_ec, client_errc::bad_response);
        });
}

TEST_F(HostileAnswers, AScanThatRepeatsItsLastEvaluatedKeyFailsNamingTheKey) {
    with_server(
        [](const seen_request&) -> scripted_reply {
            return {200, R"({"Items":[],"Count":0,"ScannedCount":0,"LastEvaluatedKey":{"cache_key":{"S":"again"}}})"};
        },
        [](cache& c, scripted_http_server& server) -> asio::awaitable<void> {
            diagnostics diag;
            auto [ec, ok] = co_await c.async_clear({.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(ec, client_errc::bad_response);
            EXPECT_NE(diag.message.find("Scan answered LastEvaluatedKey 'again' a second time"), std::string::npos)
                << diag.message;
            // Each of the 4 segments: its first page, then the page that repeats the key.
            EXPECT_LE(server.requests().size(), 8u);
        });
}

// A server that answers one key per round (as DynamoDB does past 16 MB, or 1 MB per partition):
// every round makes progress, so none of them counts towards the limit on rounds.
TEST_F(HostileAnswers, BatchRoundsThatMakeProgressAreNotLimitedInNumber) {
    with_server(
        [](const seen_request& r) -> scripted_reply {
            const std::vector<std::string> keys = requested_keys(r.body);
            if (operation_of(r) == "BatchWriteItem") {
                std::string rest;
                for (std::size_t i = 1; i < keys.size(); ++i)
                    rest += std::string(rest.empty() ? "" : ",") + R"({"PutRequest":{"Item":)" + item_json(keys[i]) + "}}";
                return {200, R"({"UnprocessedItems":{)" + (rest.empty() ? "" : R"("hostile":[)" + rest + "]") + "}}"};
            }
            std::string rest;
            for (std::size_t i = 1; i < keys.size(); ++i)
                rest += std::string(rest.empty() ? "" : ",") + R"({"cache_key":{"S":")" + keys[i] + R"("}})";
            return {200, R"({"Responses":{"hostile":[)" + item_json(keys.front()) + R"(]},"UnprocessedKeys":{)" +
                             (rest.empty() ? "" : R"("hostile":{"Keys":[)" + rest + "]}") + "}}"};
        },
        [](cache& c, scripted_http_server& server) -> asio::awaitable<void> {
            cache::keys keys;
            cache::mapping pairs;
            for (int i = 0; i < 20; ++i) {
                keys.push_back("k" + std::to_string(i));
                pairs.emplace_back(keys.back(), "v");
            }
            diagnostics diag;
            auto [set_ec, stored] = co_await c.async_set_many(pairs, {.diag = &diag}, tuple_awaitable);
            EXPECT_FALSE(set_ec) << diag.message;
            EXPECT_EQ(stored.size(), 20u);
            auto [get_ec, values] = co_await c.async_get_many(keys, {.diag = &diag}, tuple_awaitable);
            EXPECT_FALSE(get_ec) << diag.message;
            EXPECT_EQ(values, cache::values(20, std::string("v")));
            EXPECT_EQ(server.requests().size(), 40u); // one round a key, for each batch
        });
}

TEST_F(HostileAnswers, BatchRoundsWithoutProgressFailAfterTheLimitNamingWhatIsLeft) {
    with_server(
        [](const seen_request& r) -> scripted_reply {
            std::string keys;
            for (const std::string& k : requested_keys(r.body))
                keys += std::string(keys.empty() ? "" : ",") + R"({"cache_key":{"S":")" + k + R"("}})";
            return {200, R"({"Responses":{"hostile":[]},"UnprocessedKeys":{"hostile":{"Keys":[)" + keys + "]}}}"};
        },
        [](cache& c, scripted_http_server& server) -> asio::awaitable<void> {
            diagnostics diag;
            const cache::keys two_keys{"a", "b"};
            auto [ec, values] = co_await c.async_get_many(two_keys, {.diag = &diag}, tuple_awaitable);
            EXPECT_EQ(ec, client_errc::timeout);
            EXPECT_EQ(diag.message, "BatchGetItem left 2 keys unprocessed 12 rounds in a row");
            EXPECT_EQ(server.requests().size(), 12u);
        });
}

} // namespace
} // namespace ddbcache::test
