// HTTPS for real: a TLS front (tls_forwarder.hpp) with certificates made by make_test_certs.sh in
// front of DynamoDB Local. Trusted, untrusted and wrong-host certificates, and session resumption.
#include "local_servers.hpp"
#include "tls_forwarder.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// Made by the test_certs fixture (make_test_certs.sh), which ctest runs before these tests.
std::string cert_file(const std::string& name) { return std::string(DDBCACHE_TEST_CERTS_DIR) + "/" + name; }

asio::ip::tcp::endpoint backend() { return loopback_endpoint_of(endpoint_of("dynamodb-local")); }

struct call_outcome {
    error_code ec;
    diagnostics diag;
    connection_stats stats;
};

// ListTables `calls` times through https://<host>:<port>, pausing longer than the idle timeout
// between calls so each one opens a new connection.
call_outcome list_tables_over_tls(const std::string& host, unsigned short port, std::string ca_file, int calls = 1) {
    call_outcome out;
    run_on_io([&]() -> asio::awaitable<void> {
        auto options = local_client_options("dynamodb-local");
        options.endpoint = "https://" + host + ":" + std::to_string(port);
        options.ca_file = std::move(ca_file);
        options.idle_timeout = std::chrono::milliseconds(1);
        client c(co_await asio::this_coro::executor, options);
        for (int i = 0; i < calls && !out.ec; ++i) {
            if (i > 0) {
                asio::steady_timer pause(c.get_executor(), std::chrono::milliseconds(30));
                co_await pause.async_wait(asio::use_awaitable);
            }
            auto [ec, res] = co_await c.async_call("ListTables", "{}", {.diag = &out.diag}, tuple_awaitable);
            out.ec = ec;
        }
        out.stats = c.stats().connections;
    }());
    return out;
}

TEST(Tls, CertificateFromTheTrustedCaIsAcceptedByAddressAndByName) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), backend());
    auto by_address = list_tables_over_tls("127.0.0.1", front.port(), cert_file("ca.pem"));
    EXPECT_FALSE(by_address.ec) << by_address.diag.message;
    auto by_name = list_tables_over_tls("localhost", front.port(), cert_file("ca.pem"));
    EXPECT_FALSE(by_name.ec) << by_name.diag.message;
    EXPECT_EQ(front.handshakes(), 2);
}

TEST(Tls, SelfSignedCertificateIsRefusedWithTheReason) {
    tls_forwarder front(cert_file("untrusted.pem"), cert_file("untrusted.key"), backend());
    auto r = list_tables_over_tls("127.0.0.1", front.port(), cert_file("ca.pem"));
    EXPECT_EQ(r.ec, client_errc::tls_failure) << r.ec.message();
    EXPECT_NE(r.diag.message.find("self-signed certificate"), std::string::npos) << r.diag.message;
    EXPECT_EQ(r.diag.attempts, 1u); // a certificate problem is not retried
    EXPECT_EQ(front.handshakes(), 0);
}

TEST(Tls, CertificateForAnotherHostIsRefusedWithTheReason) {
    tls_forwarder front(cert_file("wrong-host.pem"), cert_file("wrong-host.key"), backend());
    auto by_address = list_tables_over_tls("127.0.0.1", front.port(), cert_file("ca.pem"));
    EXPECT_EQ(by_address.ec, client_errc::tls_failure) << by_address.ec.message();
    EXPECT_NE(by_address.diag.message.find("IP address mismatch"), std::string::npos) << by_address.diag.message;
    auto by_name = list_tables_over_tls("localhost", front.port(), cert_file("ca.pem"));
    EXPECT_EQ(by_name.ec, client_errc::tls_failure) << by_name.ec.message();
    EXPECT_NE(by_name.diag.message.find("hostname mismatch"), std::string::npos) << by_name.diag.message;
}

// No bundle from the environment or a profile, unless a test sets one.
void no_configured_bundle() {
    ::unsetenv("AWS_CA_BUNDLE");
    ::unsetenv("AWS_PROFILE");
    ::setenv("AWS_CONFIG_FILE", "/nonexistent/ddbcache-test-config", 1);
}

TEST(Tls, SystemTrustStoreDoesNotTrustTheTestCa) {
    no_configured_bundle();
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), backend());
    auto r = list_tables_over_tls("127.0.0.1", front.port(), "");
    EXPECT_EQ(r.ec, client_errc::tls_failure) << r.ec.message();
    EXPECT_NE(r.diag.message.find("unable to get local issuer certificate"), std::string::npos) << r.diag.message;
}

TEST(Tls, AwsCaBundleNamingTheTestCaMakesItsCertificateTrusted) {
    no_configured_bundle();
    ::setenv("AWS_CA_BUNDLE", cert_file("ca.pem").c_str(), 1);
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), backend());
    auto r = list_tables_over_tls("127.0.0.1", front.port(), "");
    EXPECT_FALSE(r.ec) << r.diag.message;
    EXPECT_EQ(front.handshakes(), 1);
    ::unsetenv("AWS_CA_BUNDLE");
}

TEST(Tls, ProfileCaBundleNamingTheTestCaMakesItsCertificateTrusted) {
    no_configured_bundle();
    const std::string config = std::string(DDBCACHE_TEST_CERTS_DIR) + "/profile-config-" + std::to_string(::getpid());
    std::ofstream(config) << "[profile tls-test]\nca_bundle = " << cert_file("ca.pem") << "\n";
    ::setenv("AWS_CONFIG_FILE", config.c_str(), 1);
    ::setenv("AWS_PROFILE", "tls-test", 1);
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), backend());
    auto r = list_tables_over_tls("127.0.0.1", front.port(), "");
    EXPECT_FALSE(r.ec) << r.diag.message;
    std::filesystem::remove(config);
    no_configured_bundle();
}

TEST(Tls, AnExplicitCaFileWinsOverAwsCaBundle) {
    no_configured_bundle();
    ::setenv("AWS_CA_BUNDLE", cert_file("ca.pem").c_str(), 1);
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), backend());
    // untrusted.pem is a self-signed certificate: a valid bundle that does not hold the test CA.
    auto r = list_tables_over_tls("127.0.0.1", front.port(), cert_file("untrusted.pem"));
    EXPECT_EQ(r.ec, client_errc::tls_failure) << r.ec.message();
    EXPECT_NE(r.diag.message.find("unable to get local issuer certificate"), std::string::npos) << r.diag.message;
    ::unsetenv("AWS_CA_BUNDLE");
}

TEST(Tls, AMissingAwsCaBundleFailsAtConstructionNamingTheFileAndTheVariable) {
    no_configured_bundle();
    ::setenv("AWS_CA_BUNDLE", "/nonexistent/bundle.pem", 1);
    asio::io_context io;
    auto options = local_client_options("dynamodb-local");
    options.endpoint = "https://127.0.0.1:1";
    try {
        client c(io.get_executor(), options);
        ADD_FAILURE() << "constructed with a missing AWS_CA_BUNDLE";
    } catch (const boost::system::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot load the CA file '/nonexistent/bundle.pem' (from AWS_CA_BUNDLE): no such file"),
                  std::string::npos)
            << e.what();
    }
    ::unsetenv("AWS_CA_BUNDLE");
}

TEST(Tls, ReconnectionResumesTheTlsSession) {
    tls_forwarder front(cert_file("server.pem"), cert_file("server.key"), backend());
    auto r = list_tables_over_tls("127.0.0.1", front.port(), cert_file("ca.pem"), 3);
    ASSERT_FALSE(r.ec) << r.diag.message;
    EXPECT_EQ(r.stats.opened_total, 3u);
    EXPECT_EQ(r.stats.tls_resumed_total, 2u); // every connection after the first
    EXPECT_EQ(front.handshakes(), 3);
    EXPECT_EQ(front.resumed(), 2);            // as the server saw it
}

TEST(Tls, MissingCaFileFailsAtConstructionNamingTheFile) {
    asio::io_context io;
    auto options = local_client_options("dynamodb-local");
    options.endpoint = "https://127.0.0.1:1";
    options.ca_file = "/nonexistent/ca.pem";
    try {
        client c(io.get_executor(), options);
        ADD_FAILURE() << "constructed with a missing CA file";
    } catch (const boost::system::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace ddbcache::test
