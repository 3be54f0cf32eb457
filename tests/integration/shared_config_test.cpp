// A client configured by the config file alone (a scratch AWS_CONFIG_FILE): its profile's services
// section points it at the local server, and its calls get there.
#include "local_servers.hpp"

#include <ddbcache/client.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;

class SharedConfig : public testing::TestWithParam<std::string> {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ddbcache-shared-config-" + std::to_string(getpid()));
    std::string saved_config;
    bool had_config = false;

    void SetUp() override {
        for (const char* n : {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_RETRY_MODE",
                              "AWS_MAX_ATTEMPTS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
                              "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"})
            unsetenv(n);
        if (const char* c = std::getenv("AWS_CONFIG_FILE")) had_config = true, saved_config = c;
        std::filesystem::create_directories(dir);
        setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
    }
    void TearDown() override {
        std::filesystem::remove_all(dir);
        if (had_config) setenv("AWS_CONFIG_FILE", saved_config.c_str(), 1);
        else unsetenv("AWS_CONFIG_FILE");
        unsetenv("AWS_PROFILE");
    }
};

TEST_P(SharedConfig, TheProfilesServicesSectionSendsCallsToItsDynamoDbEndpoint) {
    const std::string url = endpoint_of(GetParam());
    std::ofstream(dir / "config") << "[profile app]\nregion = us-east-1\nservices = local\nretry_mode = adaptive\n"
                                     "max_attempts = 2\nendpoint_url = http://127.0.0.1:1\n"
                                     "[services local]\ndynamodb =\n  endpoint_url = "
                                  << url << "\n";
    setenv("AWS_PROFILE", "app", 1);
    run_on_io([&]() -> asio::awaitable<void> {
        client_options o;
        o.credentials.explicit_credentials = credentials{"AKIDLOCALTEST", "local-test-secret", ""};
        client c(co_await asio::this_coro::executor, o);
        EXPECT_EQ(c.endpoint(), url);
        EXPECT_EQ(c.region(), "us-east-1");
        EXPECT_EQ(c.options().retry.mode, retry_mode::adaptive);
        EXPECT_EQ(c.options().retry.max_attempts, 2u);
        auto [ec, r] = co_await c.async_call("ListTables", "{}", asio::as_tuple(asio::use_awaitable));
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_NE(r.body.find("TableNames"), std::string::npos) << r.body;
    }());
}

INSTANTIATE_TEST_SUITE_P(BothServers, SharedConfig, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
