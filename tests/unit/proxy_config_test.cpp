// HTTP proxies: their URLs, NO_PROXY's list, the environment's order, and what a client reports
// of its resolved configuration (with no secret in it).
#include "dynamodb/client_config.hpp"
#include "http/proxy.hpp"
#include "../support/scoped_environment.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace ddbcache {
namespace {

// The parsed proxy, or "error: " and the message.
std::string parsed(std::string_view url, http::proxy* out = nullptr) {
    error_code ec;
    std::string why;
    auto p = http::parse_proxy_url(url, "HTTPS_PROXY", ec, why);
    if (ec) return "error: " + why;
    if (out) *out = *p;
    return p->display;
}

TEST(ProxyUrl, HostAndPortAreTheProxysAddressWithPort80ByDefault) {
    http::proxy p;
    EXPECT_EQ(parsed("http://127.0.0.1:3128", &p), "http://127.0.0.1:3128");
    EXPECT_EQ(p.via.host, "127.0.0.1");
    EXPECT_EQ(p.via.port, 3128);
    EXPECT_EQ(p.authorization, "");
    EXPECT_EQ(parsed("http://proxy.example.com", &p), "http://proxy.example.com");
    EXPECT_EQ(p.via.port, 80);
    EXPECT_EQ(parsed("http://proxy.example.com/", &p), "http://proxy.example.com");
}

TEST(ProxyUrl, TheSchemeIsCaseInsensitive) {
    http::proxy p;
    EXPECT_EQ(parsed("HTTP://127.0.0.1:3128", &p), "http://127.0.0.1:3128");
}

TEST(ProxyUrl, AUrlWithoutSchemeIsTakenAsHttpAsCurlDoes) {
    http::proxy p;
    EXPECT_EQ(parsed("localhost:8888", &p), "http://localhost:8888");
    EXPECT_EQ(p.via.host, "localhost");
    EXPECT_EQ(p.via.port, 8888);
}

TEST(ProxyUrl, UserInfoBecomesBasicCredentialsAndIsMaskedInItsDisplay) {
    http::proxy p;
    EXPECT_EQ(parsed("http://Aladdin:open%20sesame@127.0.0.1:3128", &p), "http://****@127.0.0.1:3128");
    // RFC 7617's example: "Aladdin:open sesame".
    EXPECT_EQ(p.authorization, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(parsed("http://only-user@127.0.0.1:3128", &p), "http://****@127.0.0.1:3128") << "a user name can be a token";
    EXPECT_EQ(p.authorization, "Basic b25seS11c2VyOg==");
}

TEST(ProxyUrl, UnusableUrlsAreRefusedNamingTheSourceWithoutThePassword) {
    for (const char* url : {"https://u:hunter2@127.0.0.1:3129", "socks5://u:hunter2@127.0.0.1:1080",
                            "http://u:hunter2@127.0.0.1:3128/path", "http://u:hunter2@127.0.0.1:3128/?q=1",
                            "http://u:hunter2@", "http://u:hunter2@127.0.0.1:0", "http://u:hunter2%0D%0AX:@127.0.0.1",
                            "http://u:hunter2@127.0.0.1:83540", "http://u:hunter2@127.0.0.1.evil.com:3128"}) {
        const std::string result = parsed(url);
        EXPECT_TRUE(result.starts_with("error: the proxy '")) << url << " gave " << result;
        EXPECT_NE(result.find("from HTTPS_PROXY cannot be used"), std::string::npos) << result;
        EXPECT_EQ(result.find("hunter2"), std::string::npos) << "the password leaked: " << result;
    }
    EXPECT_NE(parsed("https://127.0.0.1:3129").find("only http:// proxies are supported"), std::string::npos);
}

TEST(NoProxy, ANameMatchesItselfAndItsSubdomainsInAnyCase) {
    EXPECT_TRUE(http::no_proxy_matches("example.com", "example.com"));
    EXPECT_TRUE(http::no_proxy_matches("example.com", "dynamodb.EXAMPLE.com"));
    EXPECT_TRUE(http::no_proxy_matches(".example.com", "dynamodb.example.com"));
    EXPECT_TRUE(http::no_proxy_matches(".example.com", "example.com"));
    EXPECT_FALSE(http::no_proxy_matches("example.com", "badexample.com"));
    EXPECT_FALSE(http::no_proxy_matches("dynamodb.example.com", "example.com"));
}

TEST(NoProxy, EntriesAreSeparatedByCommasAndSpacesAndAStarMatchesEveryHost) {
    EXPECT_TRUE(http::no_proxy_matches("a.test, localhost ,b.test", "localhost"));
    EXPECT_TRUE(http::no_proxy_matches("a.test b.test", "b.test"));
    EXPECT_FALSE(http::no_proxy_matches("a.test,,b.test", "c.test"));
    EXPECT_TRUE(http::no_proxy_matches("*", "anything.example"));
    EXPECT_FALSE(http::no_proxy_matches("", "localhost"));
}

TEST(NoProxy, AddressesMatchThemselvesAndTheirNetworks) {
    EXPECT_TRUE(http::no_proxy_matches("127.0.0.1", "127.0.0.1"));
    EXPECT_FALSE(http::no_proxy_matches("127.0.0.1", "127.0.0.2"));
    EXPECT_TRUE(http::no_proxy_matches("10.0.0.0/8", "10.200.3.4"));
    EXPECT_FALSE(http::no_proxy_matches("10.0.0.0/8", "11.0.0.1"));
    EXPECT_TRUE(http::no_proxy_matches("192.168.1.0/23", "192.168.0.9"));
    EXPECT_TRUE(http::no_proxy_matches("::1", "::1"));
    EXPECT_TRUE(http::no_proxy_matches("[fd00::]/8", "fd12::1"));
    EXPECT_FALSE(http::no_proxy_matches("fd00::/8", "fe80::1"));
    EXPECT_FALSE(http::no_proxy_matches("10.0.0.0/33", "10.0.0.1")) << "a prefix longer than the address";
    EXPECT_FALSE(http::no_proxy_matches("10.0.0.0/8", "ten.example")) << "a name is not in a network";
    EXPECT_FALSE(http::no_proxy_matches("0.0.1", "127.0.0.1")) << "an address is not a name with subdomains";
    EXPECT_FALSE(http::no_proxy_matches(".0.0.1", "127.0.0.1"));
}

// The proxy variables these tests set, restored afterwards.
class ProxySettings : public testing::Test {
protected:
    test::scoped_environment environment{"https_proxy", "HTTPS_PROXY", "http_proxy",    "HTTP_PROXY",
                                         "no_proxy",    "NO_PROXY",    "AWS_CA_BUNDLE", "AWS_SDK_UA_APP_ID"};

    // The route to `url` under the current environment and `o`: the proxy's display and source,
    // "direct", or "error: " and the message.
    static std::string route(const std::string& url, const client_options& o = {}) {
        http::proxy_settings settings;
        std::string why;
        if (error_code ec = dynamodb::resolve_proxies(o, settings, why)) return "error: " + why;
        error_code ec;
        const auto p = settings.route(http::parse_endpoint(url, ec));
        return p ? p->display + " from " + p->source : "direct";
    }
};

TEST_F(ProxySettings, WithoutVariablesEveryEndpointIsReachedDirectly) {
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com"), "direct");
    EXPECT_EQ(route("http://127.0.0.1:8000"), "direct");
}

TEST_F(ProxySettings, TheEndpointsSchemeChoosesTheVariableLowercaseFirst) {
    setenv("HTTPS_PROXY", "http://upper:3128", 1);
    setenv("HTTP_PROXY", "http://plain-upper:3128", 1);
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com"), "http://upper:3128 from HTTPS_PROXY");
    EXPECT_EQ(route("http://127.0.0.1:8000"), "http://plain-upper:3128 from HTTP_PROXY");
    setenv("https_proxy", "http://lower:3128", 1);
    setenv("http_proxy", "http://plain-lower:3128", 1);
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com"), "http://lower:3128 from https_proxy");
    EXPECT_EQ(route("http://127.0.0.1:8000"), "http://plain-lower:3128 from http_proxy");
}

TEST_F(ProxySettings, NoProxyListsHostsReachedDirectlyLowercaseFirst) {
    setenv("HTTPS_PROXY", "http://proxy:3128", 1);
    setenv("NO_PROXY", "amazonaws.com", 1);
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com"), "direct");
    setenv("no_proxy", "localhost", 1);
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com"), "http://proxy:3128 from HTTPS_PROXY");
    EXPECT_EQ(route("https://localhost:4443"), "direct");
}

TEST_F(ProxySettings, TheOptionWinsForEveryHostAndAnEmptyOneMeansNoProxy) {
    setenv("HTTPS_PROXY", "http://env-proxy:3128", 1);
    setenv("NO_PROXY", "*", 1);
    client_options o;
    o.proxy = "http://option-proxy:8080";
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com", o), "http://option-proxy:8080 from client_options::proxy");
    EXPECT_EQ(route("http://127.0.0.1:8000", o), "http://option-proxy:8080 from client_options::proxy");
    unsetenv("NO_PROXY");
    o.proxy = "";
    EXPECT_EQ(route("https://dynamodb.eu-west-1.amazonaws.com", o), "direct");
}

TEST_F(ProxySettings, AnUnusableVariableIsAnErrorNamingItWithoutThePassword) {
    setenv("https_proxy", "ftp://user:hunter2@proxy:21", 1);
    const std::string result = route("https://dynamodb.eu-west-1.amazonaws.com");
    EXPECT_EQ(result, "error: the proxy 'ftp://****@proxy:21' from https_proxy cannot be used: only http:// proxies are "
                      "supported (HTTPS endpoints are still reached over TLS, through a CONNECT tunnel)");
}

client make_client(boost::asio::io_context& io, client_options o) {
    o.credentials.explicit_credentials = credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
    o.region = "eu-west-1";
    return client(io.get_executor(), std::move(o));
}

TEST_F(ProxySettings, TheClientReportsItsProxyWithoutThePasswordAndWhyItIsBypassed) {
    boost::asio::io_context io;
    setenv("HTTPS_PROXY", "http://ops:hunter2@127.0.0.1:3128", 1);
    const client_configuration via = make_client(io, {}).configuration();
    EXPECT_EQ(via.proxy, "http://****@127.0.0.1:3128");
    EXPECT_EQ(via.proxy_source, "HTTPS_PROXY");
    setenv("NO_PROXY", ".amazonaws.com", 1);
    const client_configuration direct = make_client(io, {}).configuration();
    EXPECT_EQ(direct.proxy, "");
    EXPECT_EQ(direct.proxy_source, "NO_PROXY lists dynamodb.eu-west-1.amazonaws.com, so HTTPS_PROXY is bypassed");
    EXPECT_EQ(io.poll(), 0u) << "nothing was started";
}

TEST_F(ProxySettings, AnEndpointUrlWithUserInfoIsRefusedWithoutShowingIt) {
    boost::asio::io_context io;
    client_options o;
    o.endpoint = "https://u:s3cret-Pw@dynamodb.example";
    try {
        make_client(io, o);
        ADD_FAILURE() << "an endpoint with user info was accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("'https://****@dynamodb.example' is not a valid endpoint URL"), std::string::npos)
            << e.what();
        EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
    }
}

TEST_F(ProxySettings, TheClientsConfigurationNamesEachSettingsSourceAndNoSecret) {
    boost::asio::io_context io;
    setenv("AWS_SDK_UA_APP_ID", "billing", 1);
    client_options o;
    o.retry.max_attempts = 3;
    const client_configuration c = make_client(io, o).configuration();
    EXPECT_EQ(c.endpoint, "https://dynamodb.eu-west-1.amazonaws.com");
    EXPECT_EQ(c.endpoint_source, "DynamoDB's endpoint rules for region 'eu-west-1'");
    EXPECT_EQ(c.region, "eu-west-1");
    EXPECT_EQ(c.credentials_source, "explicit credentials");
    EXPECT_EQ(c.mode, retry_mode::standard);
    EXPECT_EQ(c.max_attempts, 3u);
    EXPECT_EQ(c.ca_bundle, "");
    EXPECT_EQ(c.proxy, "");
    EXPECT_EQ(c.proxy_source, "");
    EXPECT_TRUE(c.user_agent.starts_with("ddbcache/")) << c.user_agent;
    EXPECT_TRUE(c.user_agent.ends_with(" app/billing")) << c.user_agent;
}

} // namespace
} // namespace ddbcache
