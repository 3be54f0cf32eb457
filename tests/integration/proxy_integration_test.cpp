// A real HTTP proxy, Debian's tinyproxy (started by the local_servers fixture, asking for Basic
// credentials), between the client and DynamoDB Local: HTTPS through CONNECT tunnels to a TLS
// front (tls_forwarder.hpp), plain HTTP in absolute form, NO_PROXY, and a refused tunnel. The
// proxy's own log is the witness of what went through it.
#include "local_servers.hpp"
#include "tls_forwarder.hpp"
#include "../support/scoped_environment.hpp"

#include <boost/asio/as_tuple.hpp>


#include <cstdlib>
#include <sstream>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::string cert_file(const std::string& name) { return std::string(DDBCACHE_TEST_CERTS_DIR) + "/" + name; }

// The proxy variables, set for one test and restored afterwards.
class ThroughTinyproxy : public testing::Test {
protected:
    scoped_environment environment{"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"};
};

struct calls_outcome {
    error_code ec;
    diagnostics diag;
    connection_stats stats;
    std::string log; // what the client logged
};

// `calls` ListTables, one after another, with `o` (one connection at most).
calls_outcome list_tables(client_options o, int calls) {
    calls_outcome out;
    o.max_connections = 1;
    o.log.level = log_level::debug;
    o.log.sink = [&out](const log_record& r) { out.log.append(r.message).append("\n"); }; // one thread runs the calls
    run_on_io([&]() -> asio::awaitable<void> {
        client c(co_await asio::this_coro::executor, o);
        for (int i = 0; i < calls && !out.ec; ++i) {
            auto [ec, res] = co_await c.async_call("ListTables", "{}", {.diag = &out.diag}, tuple_awaitable);
            out.ec = ec;
        }
        out.stats = c.stats().connections;
    }());
    return out;
}

client_options over_tls(const tls_forwarder& front) {
    client_options o = local_client_options("dynamodb-local");
    o.endpoint = "https://localhost:" + std::to_string(front.port());
    o.ca_file = cert_file("ca.pem");
    return o;
}

TEST_F(ThroughTinyproxy, HttpsCallsGoThroughOneConnectTunnelThatThePoolReuses) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), loopback_endpoint_of(endpoint_of("dynamodb-local")));
    setenv("HTTPS_PROXY", test_proxy_url().c_str(), 1);
    const std::string tunnel = "CONNECT localhost:" + std::to_string(front.port()) + " HTTP/1.1";
    const calls_outcome out = list_tables(over_tls(front), 5);
    EXPECT_FALSE(out.ec) << out.ec.message() << ": " << out.diag.message;
    EXPECT_EQ(test_proxy_log_lines_with(tunnel), 1) << "one tunnel, opened once and reused by the 5 calls";
    EXPECT_EQ(front.handshakes(), 1) << "TLS runs end to end, through the tunnel";
    EXPECT_EQ(out.stats.opened_total, 1u);
}

TEST_F(ThroughTinyproxy, PlainHttpCallsGoThroughTheProxyInAbsoluteForm) {
    const std::string endpoint = endpoint_of("dynamodb-local"); // http://127.0.0.1:PORT
    setenv("HTTP_PROXY", test_proxy_url().c_str(), 1);
    const int before = test_proxy_log_lines_with("POST " + endpoint + "/ HTTP/1.1");
    const calls_outcome out = list_tables(local_client_options("dynamodb-local"), 2);
    EXPECT_FALSE(out.ec) << out.ec.message() << ": " << out.diag.message;
    EXPECT_EQ(test_proxy_log_lines_with("POST " + endpoint + "/ HTTP/1.1") - before, 2);
}

TEST_F(ThroughTinyproxy, NoProxyListingTheHostBypassesTheProxy) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), loopback_endpoint_of(endpoint_of("dynamodb-local")));
    setenv("HTTPS_PROXY", test_proxy_url().c_str(), 1);
    setenv("NO_PROXY", "example.com,localhost", 1);
    const calls_outcome out = list_tables(over_tls(front), 2);
    EXPECT_FALSE(out.ec) << out.ec.message() << ": " << out.diag.message;
    EXPECT_EQ(test_proxy_log_lines_with("CONNECT localhost:" + std::to_string(front.port())), 0);
    EXPECT_EQ(front.handshakes(), 1) << "reached directly";
}

TEST_F(ThroughTinyproxy, AWrongProxyPasswordFailsOnceWithTheProxysStatusAndNeverThePassword) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), loopback_endpoint_of(endpoint_of("dynamodb-local")));
    const std::string wrong = "wrong-Pw-4431";
    setenv("HTTPS_PROXY", test_proxy_url(wrong).c_str(), 1);
    const calls_outcome out = list_tables(over_tls(front), 1);
    EXPECT_EQ(out.ec, client_errc::proxy_failure) << out.ec.message();
    EXPECT_NE(out.diag.message.find("the proxy refused its credentials or asks for some"), std::string::npos) << out.diag.message;
    EXPECT_NE(out.diag.message.find("(HTTP 401 from the proxy)"), std::string::npos) << out.diag.message; // tinyproxy's answer
    EXPECT_EQ(out.diag.attempts, 1u) << "a refused tunnel is not retried";
    EXPECT_EQ(front.handshakes(), 0);
    for (const std::string& text : {out.diag.message, out.log, out.ec.message()})
        EXPECT_EQ(text.find(wrong), std::string::npos) << "the password leaked: " << text;
}

TEST_F(ThroughTinyproxy, NoCredentialsForAProxyThatAsksForThemFailsWith407) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), loopback_endpoint_of(endpoint_of("dynamodb-local")));
    setenv("HTTPS_PROXY", endpoint_of("tinyproxy").c_str(), 1);
    const calls_outcome out = list_tables(over_tls(front), 1);
    EXPECT_EQ(out.ec, client_errc::proxy_failure) << out.ec.message();
    EXPECT_NE(out.diag.message.find("(HTTP 407 from the proxy)"), std::string::npos) << out.diag.message;
}

TEST_F(ThroughTinyproxy, PlainHttpWithoutCredentialsFailsWithTheProxysStatusNotTheServers) {
    setenv("HTTP_PROXY", endpoint_of("tinyproxy").c_str(), 1);
    const calls_outcome out = list_tables(local_client_options("dynamodb-local"), 1);
    EXPECT_EQ(out.ec, client_errc::proxy_failure) << out.ec.message() << ": " << out.diag.message;
    EXPECT_EQ(out.diag.http_status, 407u);
    EXPECT_NE(out.diag.message.find("the proxy refused its credentials or asks for some"), std::string::npos) << out.diag.message;
    EXPECT_EQ(out.diag.attempts, 1u);
}

TEST_F(ThroughTinyproxy, AProxyThatCannotReachTheEndpointIsRetriedLikeARefusedConnection) {
    setenv("HTTPS_PROXY", test_proxy_url().c_str(), 1);
    client_options o = local_client_options("dynamodb-local");
    o.endpoint = "https://localhost:1"; // nothing listens there: tinyproxy answers 500
    o.retry.max_attempts = 3;
    o.retry.base_delay = std::chrono::milliseconds(1);
    const calls_outcome out = list_tables(o, 1);
    EXPECT_EQ(out.ec, client_errc::proxy_failure) << out.ec.message();
    EXPECT_EQ(out.diag.http_status, 500u) << out.diag.message;
    EXPECT_EQ(out.diag.attempts, 3u) << out.diag.message;
}

TEST_F(ThroughTinyproxy, AnExplicitEmptyProxyOptionIgnoresTheEnvironment) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), loopback_endpoint_of(endpoint_of("dynamodb-local")));
    setenv("HTTPS_PROXY", test_proxy_url("wrong-password").c_str(), 1);
    client_options o = over_tls(front);
    o.proxy = "";
    const calls_outcome out = list_tables(o, 1);
    EXPECT_FALSE(out.ec) << out.ec.message() << ": " << out.diag.message;
    EXPECT_EQ(front.handshakes(), 1);
}

} // namespace
} // namespace ddbcache::test
