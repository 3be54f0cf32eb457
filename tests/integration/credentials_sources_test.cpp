// The credentials sources that fetch (web identity, container agent, IMDSv2, credential_process),
// their refresh, and the chain's order, against loopback servers that speak those protocols. The
// client code under test is the real one, pointed at the servers by the documented variables.
#include "local_servers.hpp"
#include "scripted_http_server.hpp"

#include "credentials/answer_parsing.hpp"
#include "credentials/credentials_chain.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using credentials_sources::refreshing_credentials;
using credentials_sources::wall_clock;

const char* const chain_variables[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_EC2_METADATA_DISABLED",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};

std::string iso8601(wall_clock::time_point t) {
    const std::time_t seconds = wall_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string json_credentials(const std::string& key, wall_clock::time_point expires, const std::string& extra = "") {
    return R"({)" + extra + R"("AccessKeyId":")" + key + R"(","SecretAccessKey":"secret-)" + key +
           R"(","Token":"token-)" + key + R"(","Expiration":")" + iso8601(expires) + R"("})";
}

std::string sts_credentials(const std::string& key, wall_clock::time_point expires) {
    return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
           "<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>system:serviceaccount:app:cache"
           "</SubjectFromWebIdentityToken><Credentials><SessionToken>token-" + key + "</SessionToken>"
           "<SecretAccessKey>secret-" + key + "</SecretAccessKey><Expiration>" + iso8601(expires) +
           "</Expiration><AccessKeyId>" + key + "</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
           "</AssumeRoleWithWebIdentityResponse>";
}

class CredentialSources : public testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ddbcache-sources-" + std::to_string(getpid()));
    asio::io_context io;

    void SetUp() override {
        std::filesystem::create_directories(dir);
        for (const char* n : chain_variables) unsetenv(n);
        setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
        setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
        setenv("AWS_EC2_METADATA_DISABLED", "true", 1); // never 169.254.169.254 from a test
    }
    void TearDown() override {
        std::filesystem::remove_all(dir);
        for (const char* n : chain_variables) unsetenv(n);
    }
    std::string write(const char* name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    }
    credentials_sources::source_settings settings() {
        return {io.get_executor(), "us-east-1", {}, 300ms, 2000ms};
    }
    std::shared_ptr<refreshing_credentials> choose(std::chrono::seconds refresh_before = 300s) {
        credentials_options o;
        o.refresh_before_expiry = refresh_before;
        error_code ec;
        diagnostics diag;
        auto chosen = credentials_sources::choose_credentials(o, settings(), ec, diag);
        EXPECT_FALSE(ec) << diag.message;
        return chosen;
    }
    // Runs the io_context until `a` is done (the servers' accept loops never run out of work).
    template <class T>
    T run(asio::awaitable<T> a) {
        std::optional<T> out;
        io.restart();
        asio::co_spawn(io, [&]() -> asio::awaitable<void> { out = co_await std::move(a); }, asio::detached);
        while (!out && io.run_one_for(10s) > 0) {
        }
        EXPECT_TRUE(out) << "did not finish";
        return out ? std::move(*out) : T{};
    }
    credentials_sources::credentials_result fetch(const std::shared_ptr<refreshing_credentials>& c) {
        return run(c->current());
    }
    void run_for(std::chrono::steady_clock::duration d) {
        io.restart();
        io.run_for(d);
    }
};

// ---- web identity ----

TEST_F(CredentialSources, WebIdentityPostsTheTokenFileToStsUnsignedAndReadsTheXml) {
    scripted_http_server sts(io, [](const seen_request&) { return scripted_reply{200, sts_credentials("ASIAWEB1", wall_clock::now() + 1h)}; });
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "eyJhbGciOi.payload+/=.sig\n").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    setenv("AWS_ROLE_SESSION_NAME", "pod+1@app", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    auto source = choose();
    EXPECT_NE(source->source_name().find("web identity"), std::string::npos);
    auto got = fetch(source);
    ASSERT_FALSE(got.ec) << got.message;
    EXPECT_EQ(got.value->access_key_id, "ASIAWEB1");
    EXPECT_EQ(got.value->secret_access_key, "secret-ASIAWEB1");
    EXPECT_EQ(got.value->session_token, "token-ASIAWEB1");
    ASSERT_EQ(sts.requests().size(), 1u);
    const seen_request& r = sts.requests()[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.header("authorization"), "") << "AssumeRoleWithWebIdentity is called unsigned";
    EXPECT_NE(r.header("content-type").find("application/x-www-form-urlencoded"), std::string::npos);
    for (const char* field : {"Action=AssumeRoleWithWebIdentity", "Version=2011-06-15",
                              "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fcache", "RoleSessionName=pod%2B1%40app",
                              "WebIdentityToken=eyJhbGciOi.payload%2B%2F%3D.sig"})
        EXPECT_NE(r.body.find(field), std::string::npos) << field << " in " << r.body;
    EXPECT_EQ(r.body.find("%0A"), std::string::npos) << "the token's final newline is not sent";
}

TEST_F(CredentialSources, WebIdentityErrorsNameTheStsCodeMessageAndStatus) {
    scripted_http_server sts(io, [](const seen_request&) {
        return scripted_reply{400, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender"
                                   "</Type><Code>InvalidIdentityToken</Code><Message>Token &amp; issuer not trusted</Message>"
                                   "</Error><RequestId>r-1</RequestId></ErrorResponse>"};
    });
    write("config", "[default]\nweb_identity_token_file = " + (dir / "token").string() +
                        "\nrole_arn = arn:aws:iam::123456789012:role/cache\n");
    write("token", "jwt");
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("web identity"), std::string::npos) << got.message;
    EXPECT_NE(got.message.find("InvalidIdentityToken: Token & issuer not trusted"), std::string::npos) << got.message;
    EXPECT_NE(got.message.find("HTTP 400"), std::string::npos) << got.message;
}

TEST_F(CredentialSources, MalformedStsAnswersAreNamed) {
    int round = 0;
    scripted_http_server sts(io, [&](const seen_request&) {
        switch (round++) {
        case 0: return scripted_reply{200, "<AssumeRoleWithWebIdentityResponse><unclosed>"};
        case 1: return scripted_reply{200, "<AssumeRoleWithWebIdentityResponse/>"};
        default: return scripted_reply{502, "bad gateway"};
        }
    });
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "jwt").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    for (const char* cause : {"not XML", "no AssumeRoleWithWebIdentityResult/Credentials", "not XML (HTTP 502)"}) {
        error_code ec;
        std::string why;
        auto source = credentials_sources::web_identity_source(settings(), {(dir / "token").string(), "arn:aws:iam::1:role/r", ""}, ec, why);
        ASSERT_FALSE(ec) << why;
        credentials_sources::fetched f = run(source.fetch());
        EXPECT_EQ(f.ec, client_errc::credentials_unavailable);
        EXPECT_NE(f.message.find(cause), std::string::npos) << f.message;
    }
}

TEST_F(CredentialSources, WebIdentityWithAMissingTokenFileSaysWhichFile) {
    scripted_http_server sts(io, [](const seen_request&) { return scripted_reply{500, ""}; });
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", (dir / "absent-token").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("absent-token"), std::string::npos) << got.message;
    EXPECT_TRUE(sts.requests().empty());
}

// ---- container agent ----

TEST_F(CredentialSources, ContainerFullUriSendsTheTokenFromItsFileAndReadsTheJson) {
    scripted_http_server agent(io, [](const seen_request&) { return scripted_reply{200, json_credentials("ASIACONT", wall_clock::now() + 1h)}; });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/v2/credentials/abc?x=1").c_str(), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-from-variable", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write("agent-token", "token-from-file\n").c_str(), 1);
    auto got = fetch(choose());
    ASSERT_FALSE(got.ec) << got.message;
    EXPECT_EQ(got.value->access_key_id, "ASIACONT");
    EXPECT_EQ(got.value->session_token, "token-ASIACONT");
    ASSERT_EQ(agent.requests().size(), 1u);
    EXPECT_EQ(agent.requests()[0].method, "GET");
    EXPECT_EQ(agent.requests()[0].target, "/v2/credentials/abc?x=1");
    EXPECT_EQ(agent.requests()[0].header("authorization"), "token-from-file") << "the file wins over the variable";
}

TEST_F(CredentialSources, ContainerFullUriOverPlainHttpIsRefusedForOtherHosts) {
    for (const char* url : {"http://192.0.2.10/creds", "http://169.254.169.254/creds"}) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
        credentials_options o;
        error_code ec;
        diagnostics diag;
        EXPECT_FALSE(credentials_sources::choose_credentials(o, settings(), ec, diag));
        EXPECT_EQ(ec, client_errc::plain_http_not_allowed) << url;
        EXPECT_NE(diag.message.find("AWS_CONTAINER_CREDENTIALS_FULL_URI"), std::string::npos) << diag.message;
    }
    for (const char* url : {"https://creds.example.com/v1", "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1",
                            "http://localhost:9/x"}) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
        EXPECT_TRUE(choose()) << url << " is accepted (and not contacted here)";
    }
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task", 1);
    EXPECT_EQ(choose()->source_name(), "container credentials (169.254.170.2)") << "the relative URI wins";
}

TEST_F(CredentialSources, MalformedAgentAnswersAreNamedNeverQuoted) {
    int round = 0;
    scripted_http_server agent(io, [&](const seen_request&) {
        switch (round++) {
        case 0: return scripted_reply{200, "this is not json"};
        case 1: return scripted_reply{200, R"({"AccessKeyId":"A"})"};
        case 2: return scripted_reply{200, R"({"AccessKeyId":"A","SecretAccessKey":"hidden-secret","Expiration":"tomorrow"})"};
        default: return scripted_reply{503, "agent starting"};
        }
    });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    const char* expected[] = {"not a JSON object", "no AccessKeyId or SecretAccessKey", "Expiration is not an ISO 8601 time",
                              "HTTP 503"};
    for (const char* cause : expected) {
        credentials_sources::source_settings s = settings();
        error_code ec;
        std::string why;
        auto source = credentials_sources::container_source_from_env(s, ec, why);
        ASSERT_TRUE(source);
        credentials_sources::fetched f = run(source->fetch());
        EXPECT_EQ(f.ec, client_errc::credentials_unavailable);
        EXPECT_NE(f.message.find(cause), std::string::npos) << f.message;
        EXPECT_EQ(f.message.find("hidden-secret"), std::string::npos) << f.message;
    }
}

// ---- IMDSv2 ----

class Imds {
public:
    explicit Imds(asio::io_context& io)
        : server(io, [this](const seen_request& r) { return answer(r); }) {}
    scripted_http_server server;
    int reject_next_with_401 = 0;
    std::chrono::milliseconds delay{0};
    int tokens_issued = 0;

private:
    scripted_reply answer(const seen_request& r) {
        if (r.method == "PUT" && r.target == "/latest/api/token") {
            if (r.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return {400, "no ttl"};
            return {200, "imds-token-" + std::to_string(++tokens_issued), delay};
        }
        if (r.header("x-aws-ec2-metadata-token") != "imds-token-" + std::to_string(tokens_issued)) return {401, ""};
        if (reject_next_with_401 > 0) {
            --reject_next_with_401;
            return {401, ""};
        }
        if (r.target == "/latest/meta-data/iam/security-credentials/") return {200, "cache-role", delay};
        if (r.target == "/latest/meta-data/iam/security-credentials/cache-role")
            return {200, json_credentials("ASIAIMDS", wall_clock::now() + 6h, R"("Code":"Success","Type":"AWS-HMAC",)"), delay};
        return {404, ""};
    }
};

TEST_F(CredentialSources, ImdsTakesATokenThenTheRoleThenItsCredentials) {
    Imds imds(io);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url().c_str(), 1);
    auto source = choose();
    EXPECT_NE(source->source_name().find("IMDSv2"), std::string::npos);
    auto got = fetch(source);
    ASSERT_FALSE(got.ec) << got.message;
    EXPECT_EQ(got.value->access_key_id, "ASIAIMDS");
    ASSERT_EQ(imds.server.requests().size(), 3u);
    EXPECT_EQ(imds.server.requests()[0].method, "PUT");
    EXPECT_EQ(imds.server.requests()[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
    EXPECT_EQ(imds.server.requests()[2].target, "/latest/meta-data/iam/security-credentials/cache-role");
}

TEST_F(CredentialSources, ImdsRetriesOnceWithAFreshTokenAfterA401) {
    Imds imds(io);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url().c_str(), 1);
    error_code ec;
    std::string why;
    auto source = credentials_sources::imds_source_from_env(settings(), ec, why);
    ASSERT_TRUE(source);
    ASSERT_FALSE(run(source->fetch()).ec);
    EXPECT_EQ(imds.tokens_issued, 1);
    EXPECT_FALSE(run(source->fetch()).ec);
    EXPECT_EQ(imds.tokens_issued, 1) << "the token is kept between fetches";

    imds.reject_next_with_401 = 1; // the kept token has expired on the server's side
    EXPECT_FALSE(run(source->fetch()).ec);
    EXPECT_EQ(imds.tokens_issued, 2);

    imds.reject_next_with_401 = 2;
    auto failed = run(source->fetch());
    EXPECT_EQ(failed.ec, client_errc::credentials_unavailable);
    EXPECT_NE(failed.message.find("401"), std::string::npos) << failed.message;
}

TEST_F(CredentialSources, ASlowImdsFailsWithinItsTimeoutNamingTheSource) {
    Imds imds(io);
    imds.delay = 3s;
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url().c_str(), 1);
    const auto started = std::chrono::steady_clock::now();
    auto got = fetch(choose());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("IMDSv2"), std::string::npos) << got.message;
    EXPECT_NE(got.message.find("timed out"), std::string::npos) << got.message;
}

TEST_F(CredentialSources, ImdsDisabledAndNothingElseIsNoCredentialsNamingEverySource) {
    credentials_options o;
    error_code ec;
    diagnostics diag;
    EXPECT_FALSE(credentials_sources::choose_credentials(o, settings(), ec, diag));
    EXPECT_EQ(ec, client_errc::no_credentials);
    for (const char* named : {"AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "credential_process", "container",
                              "AWS_EC2_METADATA_DISABLED"})
        EXPECT_NE(diag.message.find(named), std::string::npos) << named << " in " << diag.message;
}

// ---- credential_process ----

TEST_F(CredentialSources, CredentialProcessOutputIsReadAndItsFailuresAreNamed) {
    const std::string ok = write("ok.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"s\", "
                                          "\"SessionToken\": \"t\", \"Expiration\": \"2099-01-01T00:00:00+01:00\"}'\n");
    write("config", "[profile proc]\ncredential_process = sh " + ok + "\n");
    setenv("AWS_PROFILE", "proc", 1);
    auto got = fetch(choose());
    ASSERT_FALSE(got.ec) << got.message;
    EXPECT_EQ(got.value->access_key_id, "ASIAPROC");
    EXPECT_EQ(got.value->session_token, "t");

    const std::pair<std::string, std::string> failures[] = {
        {"echo oops >&2; exit 3", "exited with status 3"},
        {"echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}'", "unsupported Version 2"},
        {"echo '[1,2]'", "not a JSON object"}};
    for (const auto& [command, cause] : failures) {
        auto source = credentials_sources::process_source(settings(), command);
        credentials_sources::fetched f = run(source.fetch());
        EXPECT_EQ(f.ec, client_errc::credentials_unavailable) << command;
        EXPECT_EQ(f.message.rfind("credential_process: ", 0), 0u) << f.message;
        EXPECT_NE(f.message.find(cause), std::string::npos) << f.message;
    }
}

// ---- the chain's order ----

TEST_F(CredentialSources, TheChainTakesTheFirstConfiguredSourceInTheSdksOrder) {
    scripted_http_server unused(io, [](const seen_request&) { return scripted_reply{500, ""}; });
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", unused.url().c_str(), 1);
    EXPECT_NE(choose()->source_name().find("IMDSv2"), std::string::npos);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (unused.url() + "/c").c_str(), 1);
    EXPECT_NE(choose()->source_name().find("container"), std::string::npos);
    write("config", "[default]\naws_access_key_id = CONFIGKEY\naws_secret_access_key = s\n");
    EXPECT_NE(choose()->source_name().find(std::string("in ") + (dir / "config").string()), std::string::npos);
    write("config", "[default]\naws_access_key_id = CONFIGKEY\naws_secret_access_key = s\ncredential_process = false\n");
    EXPECT_EQ(choose()->source_name(), "credential_process");
    write("token", "jwt");
    write("config", "[default]\ncredential_process = false\nweb_identity_token_file = " + (dir / "token").string() +
                        "\nrole_arn = arn:aws:iam::1:role/r\n");
    setenv("AWS_ENDPOINT_URL_STS", unused.url().c_str(), 1);
    EXPECT_NE(choose()->source_name().find("web identity"), std::string::npos);
    write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n");
    EXPECT_NE(choose()->source_name().find(std::string("in ") + (dir / "credentials").string()), std::string::npos);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", (dir / "token").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/env", 1);
    EXPECT_NE(choose()->source_name().find("web identity"), std::string::npos);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    EXPECT_EQ(choose()->source_name(), "environment variables");
    EXPECT_TRUE(unused.requests().empty()) << "choosing a source sends nothing";
}

// ---- refresh ----

// Credentials that expire 6 s after they are issued (at a whole second, so after 5 to 6 s),
// refreshed 4 s ahead: due after 1 to 2 s, and calls wait only in the last 0.8 s. Steps sleep to
// the middle of those windows, so that a slow machine has about 2 s of margin.
class Refresh : public CredentialSources {
protected:
    std::atomic<int> issued{0};
    bool failing = false;
    scripted_http_server agent{io, [this](const seen_request&) {
                                   if (failing) return scripted_reply{500, "agent down"};
                                   return scripted_reply{200, json_credentials("KEY" + std::to_string(++issued),
                                                                               wall_clock::now() + 6s)};
                               }};
    void SetUp() override {
        CredentialSources::SetUp();
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    }
};

TEST_F(Refresh, ManyCallsInTheRefreshWindowTriggerOneRefreshAndKeepTheOldCredentialsMeanwhile) {
    auto source = choose(4s);
    ASSERT_EQ(fetch(source).value->access_key_id, "KEY1");
    EXPECT_EQ(fetch(source).value->access_key_id, "KEY1");
    EXPECT_EQ(source->fetches(), 1u) << "valid credentials are not fetched again";

    std::this_thread::sleep_for(2100ms); // due, still usable
    std::vector<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        auto now = source->try_current();
        ASSERT_TRUE(now) << "still valid: calls do not wait";
        seen.push_back(now->access_key_id);
    }
    EXPECT_EQ(seen, std::vector<std::string>(50, "KEY1"));
    run_for(300ms); // the background refresh
    EXPECT_EQ(source->fetches(), 2u) << "50 calls, one refresh";
    EXPECT_EQ(issued.load(), 2);
    EXPECT_EQ(source->try_current()->access_key_id, "KEY2");
}

TEST_F(Refresh, AFailedRefreshKeepsTheOldCredentialsUntilTheyExpireThenNamesTheCause) {
    auto source = choose(4s);
    ASSERT_EQ(fetch(source).value->access_key_id, "KEY1");
    failing = true;
    std::this_thread::sleep_for(2100ms);
    ASSERT_TRUE(source->try_current()) << "due, still valid";
    run_for(200ms); // the refresh fails
    ASSERT_TRUE(source->try_current()) << "the old credentials stay while valid";
    EXPECT_EQ(source->try_current()->access_key_id, "KEY1");
    const std::size_t after_failure = source->fetches();
    EXPECT_EQ(after_failure, 2u);
    for (int i = 0; i < 20; ++i) source->try_current();
    run_for(100ms);
    EXPECT_EQ(source->fetches(), after_failure) << "a failed refresh is retried after a backoff, not at every call";

    std::this_thread::sleep_for(4s); // past the expiration (and the 1 s backoff)
    auto expired = fetch(source);
    EXPECT_EQ(expired.ec, client_errc::credentials_unavailable);
    EXPECT_NE(expired.message.find("container credentials"), std::string::npos) << expired.message;
    EXPECT_NE(expired.message.find("HTTP 500: agent down"), std::string::npos) << expired.message;

    failing = false;
    std::this_thread::sleep_for(2100ms); // the backoff after two failures
    auto recovered = fetch(source);
    ASSERT_FALSE(recovered.ec) << recovered.message;
    EXPECT_EQ(recovered.value->access_key_id, "KEY2");
}

TEST_F(Refresh, CallsThatFindNothingValidAllWaitForOneFetch) {
    auto source = choose(4s);
    std::atomic<int> done{0};
    std::vector<std::string> keys(20);
    for (int i = 0; i < 20; ++i)
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto got = co_await source->current();
            keys[i] = got.ec ? got.message : got.value->access_key_id;
            ++done;
        }, asio::detached);
    while (done < 20 && io.run_one_for(5s) > 0) {
    }
    EXPECT_EQ(keys, std::vector<std::string>(20, "KEY1"));
    EXPECT_EQ(issued.load(), 1);
}

// ---- end to end: a client signing with fetched credentials ----

TEST_F(CredentialSources, AClientSignsWithContainerCredentialsAndAsksTheAgentOnce) {
    scripted_http_server agent(io, [](const seen_request&) { return scripted_reply{200, json_credentials("ASIAE2E", wall_clock::now() + 1h)}; });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    client_options o = local_client_options("dynamodb-local");
    o.credentials.explicit_credentials.reset();
    int succeeded = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        client c(co_await asio::this_coro::executor, o);
        for (int i = 0; i < 3; ++i) {
            diagnostics diag;
            auto [ec, res] = co_await c.async_call("ListTables", "{}", &diag, asio::as_tuple(asio::use_awaitable));
            EXPECT_FALSE(ec) << diag.message;
            succeeded += !ec;
        }
        c.close();
    }, asio::detached);
    while (succeeded < 3 && io.run_one_for(10s) > 0) {
    }
    EXPECT_EQ(succeeded, 3);
    EXPECT_EQ(agent.requests().size(), 1u);
}

TEST_F(CredentialSources, AClientWhoseSourceFailsSaysSoWithoutSendingTheCall) {
    scripted_http_server agent(io, [](const seen_request&) { return scripted_reply{403, "forbidden"}; });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    client_options o = local_client_options("dynamodb-local");
    o.credentials.explicit_credentials.reset();
    std::optional<error_code> outcome;
    diagnostics diag;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        client c(co_await asio::this_coro::executor, o);
        auto [ec, res] = co_await c.async_call("ListTables", "{}", &diag, asio::as_tuple(asio::use_awaitable));
        outcome = ec;
        EXPECT_EQ(c.stats().opened_total, 0u) << "nothing is sent unsigned";
        c.close();
    }, asio::detached);
    while (!outcome && io.run_one_for(10s) > 0) {
    }
    ASSERT_TRUE(outcome);
    EXPECT_EQ(*outcome, client_errc::credentials_unavailable);
    EXPECT_NE(diag.message.find("ListTables failed: no valid credentials: container credentials"), std::string::npos)
        << diag.message;
    EXPECT_NE(diag.message.find("HTTP 403"), std::string::npos) << diag.message;
}

TEST_F(CredentialSources, AwsRefusalsOfTheCredentialsKeepTheirTypeAndMessageAndAreNotRetried) {
    const std::pair<std::string, service_errc> refusals[] = {
        {"InvalidSignatureException", service_errc::invalid_signature},
        {"ExpiredTokenException", service_errc::expired_token},
        {"UnrecognizedClientException", service_errc::unrecognized_client},
        {"AccessDeniedException", service_errc::access_denied}};
    for (const auto& [type, code] : refusals) {
        int requests = 0;
        scripted_http_server dynamodb(io, [&, type = type](const seen_request&) {
            ++requests;
            return scripted_reply{400, R"({"__type":"com.amazon.coral.service#)" + type +
                                           R"(","message":"the message AWS gave"})"};
        });
        client_options o = local_client_options("dynamodb-local");
        o.endpoint = dynamodb.url();
        std::optional<error_code> outcome;
        diagnostics diag;
        asio::co_spawn(io, [&, o]() -> asio::awaitable<void> {
            client c(co_await asio::this_coro::executor, o);
            auto [ec, res] = co_await c.async_call("GetItem", "{}", &diag, asio::as_tuple(asio::use_awaitable));
            outcome = ec;
            c.close();
        }, asio::detached);
        io.restart();
        while (!outcome && io.run_one_for(10s) > 0) {
        }
        ASSERT_TRUE(outcome) << type;
        EXPECT_EQ(*outcome, code) << type;
        EXPECT_EQ(requests, 1) << type << " is not retried";
        EXPECT_EQ(diag.message, "GetItem failed after 1 attempt: " + type + ": the message AWS gave");
    }
}

} // namespace
} // namespace ddbcache::test
