// Secrets never reach error messages, exceptions or logs: every failure path the library has is
// driven with credentials whose secret key and session token are unique strings, and everything
// it said (diagnostics, exception texts, std::clog and std::cerr) is searched for them.
#include "fault_proxy.hpp"
#include "local_servers.hpp"

#include <mutex>
#include <ddbcache/cache.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

const std::string secret_key = "wJalrXUtnFEMI-secret-7f3a9c";
const std::string session_token = "FwoGZXIvYXdzE-token-4b8e2d";

// Everything written to std::clog and std::cerr while it lives.
class captured_logs {
public:
    captured_logs() : clog_(std::clog.rdbuf(text_.rdbuf())), cerr_(std::cerr.rdbuf(text_.rdbuf())) {}
    ~captured_logs() {
        std::clog.rdbuf(clog_);
        std::cerr.rdbuf(cerr_);
    }
    std::string text() const { return text_.str(); }

private:
    std::ostringstream text_;
    std::streambuf* clog_;
    std::streambuf* cerr_;
};

class Secrets : public testing::TestWithParam<std::string> {
protected:
    std::vector<std::string> said; // every message the library produced
    // Every record the logging hook received (from the io_context's threads).
    struct log_lines {
        std::mutex mutex;
        std::vector<std::string> lines;
    };
    std::shared_ptr<log_lines> logged = std::make_shared<log_lines>();

    cache_options options(const std::string& endpoint) const {
        cache_options o;
        o.table_name = unique_table_name("secrets");
        o.client = local_client_options(GetParam());
        o.client.endpoint = endpoint;
        o.client.credentials.explicit_credentials = credentials{"AKIDSECRETSTEST", secret_key, session_token};
        o.client.attempt_timeout = 300ms;
        o.client.call_timeout = 2s;
        o.client.retry.base_delay = 1ms;
        o.client.log.level = log_level::debug;
        o.client.log.sink = [logged = logged](const log_record& r) {
            const std::lock_guard lock(logged->mutex);
            logged->lines.push_back(std::string(r.component) + ": " + std::string(r.message));
        };
        return o;
    }
    void keep(const diagnostics& d, error_code ec) {
        said.push_back(d.message);
        said.push_back(ec.message());
    }
    void expect_no_secret(const std::string& logs) const {
        for (const std::string& text : said) {
            EXPECT_EQ(text.find(secret_key), std::string::npos) << text;
            EXPECT_EQ(text.find(session_token), std::string::npos) << text;
        }
        EXPECT_EQ(logs.find(secret_key), std::string::npos) << logs;
        EXPECT_EQ(logs.find(session_token), std::string::npos) << logs;
        const std::lock_guard lock(logged->mutex);
        for (const std::string& line : logged->lines) {
            EXPECT_EQ(line.find(secret_key), std::string::npos) << line;
            EXPECT_EQ(line.find(session_token), std::string::npos) << line;
        }
    }
};

TEST_P(Secrets, NoFailureMessageOrLogLineContainsTheSecretKeyOrTheSessionToken) {
    fault_proxy proxy(endpoint_of(GetParam()), {}, 1s);
    captured_logs logs;
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, options(proxy.url()));
        EXPECT_TRUE(co_await c.async_set("k", "v", asio::use_awaitable));
        // Every fault class, persistent, on a read and on a write.
        for (int f = 1; f < static_cast<int>(fault::count_); ++f) {
            proxy.set_plan([f](const proxied_request&) { return static_cast<fault>(f); });
            diagnostics d;
            auto [get_ec, value] = co_await c.async_get("k", {.diag = &d}, tuple_awaitable);
            keep(d, get_ec);
            auto [add_ec, added] = co_await c.async_add("new", "v", {.diag = &d}, tuple_awaitable);
            keep(d, add_ec);
            try { // the exception a throwing token gives for the same failure
                co_await c.async_get("k", asio::use_awaitable);
                ADD_FAILURE() << fault_name(static_cast<fault>(f)) << " did not fail";
            } catch (const std::exception& e) {
                said.push_back(e.what());
            }
            try { // the default token's exception, which carries the diagnostics
                co_await c.async_get("k");
                ADD_FAILURE() << fault_name(static_cast<fault>(f)) << " did not fail";
            } catch (const error_with_diagnostics& e) {
                said.push_back(e.what());
                said.push_back(e.get_diagnostics().message);
            }
        }
        proxy.set_plan({});
        // The server's own refusals: a table that does not exist, an item too large.
        cache_options missing = options(proxy.url());
        missing.create_table = false;
        cache absent(co_await asio::this_coro::executor, missing);
        diagnostics diag;
        co_await absent.async_get("k", {.diag = &diag}, tuple_awaitable);
        said.push_back(diag.message);
        co_await c.async_set("big", std::string(500'000, 'x'), {.diag = &diag}, tuple_awaitable);
        said.push_back(diag.message);
    }(), 2);
    // Nobody listening.
    run_on_io([&]() -> asio::awaitable<void> {
        cache c(co_await asio::this_coro::executor, options("http://127.0.0.1:1"));
        diagnostics diag;
        co_await c.async_get("k", {.diag = &diag}, tuple_awaitable);
        said.push_back(diag.message);
    }());
    expect_no_secret(logs.text());
    EXPECT_GT(said.size(), 40u);
    EXPECT_GT(logged->lines.size(), 20u) << "the hook saw the retries";
    EXPECT_EQ(logs.text(), "") << "nothing is written to the process's streams unless a sink is set";
}

TEST_P(Secrets, AMalformedCredentialsFileIsReportedWithoutItsContent) {
    const auto dir = std::filesystem::temp_directory_path() / ("ddbcache-secrets-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "credentials") << "[default]\naws_access_key_id = AKIDSECRETSTEST\n"
                                       << "aws_secret_access_key " << secret_key << "\n"
                                       << "[broken\naws_session_token = " << session_token << "\n";
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"}) ::unsetenv(name);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
    ::setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
    captured_logs logs;
    cache_options o = options(endpoint_of(GetParam()));
    o.client.credentials.explicit_credentials.reset();
    asio::io_context io;
    try {
        cache c(io.get_executor(), o);
        ADD_FAILURE() << "a malformed credentials file was accepted";
    } catch (const std::exception& e) {
        said.push_back(e.what());
        EXPECT_NE(said.back().find("credentials"), std::string::npos) << said.back();
    }
    ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    ::unsetenv("AWS_CONFIG_FILE");
    std::filesystem::remove_all(dir);
    expect_no_secret(logs.text());
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Secrets, testing::ValuesIn(server_names), server_param_name);

} // namespace
} // namespace ddbcache::test
