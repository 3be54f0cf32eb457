// The credentials sources that fetch (web identity, container agent, IMDSv2, credential_process),
// their refresh, and the chain's order, against loopback servers that speak those protocols. The
// client code under test is the real one, pointed at the servers by the documented variables.
#include "local_servers.hpp"
#include "scripted_http_server.hpp"

#include "codec/printable.hpp"
#include "credentials/answer_parsing.hpp"
#include "credentials/credentials_chain.hpp"
#include "http/connection_pool.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

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
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"};

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
    struct fetch_result {
        std::shared_ptr<const credentials> value;
        error_code ec;
        std::string message;
    };
    fetch_result fetch(const std::shared_ptr<refreshing_credentials>& c) {
        std::string why;
        auto got = run(c->current(why));
        return {std::move(got.value), got.ec, std::move(why)};
    }
    void run_for(std::chrono::steady_clock::duration d) {
        io.restart();
        io.run_for(d);
    }

    struct call_outcome {
        error_code ec;
        diagnostics diag;
    };
    // One async_call by a client made from `o` (cancelled through `cancel` when given); nullopt
    // when it did not complete, the io_context having nothing to do for 10 s.
    std::optional<call_outcome> call(const client_options& o, const std::string& operation = "ListTables",
                                     asio::cancellation_signal* cancel = nullptr) {
        std::optional<call_outcome> outcome;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            client c(co_await asio::this_coro::executor, o);
            diagnostics diag;
            asio::cancellation_signal unused;
            auto [ec, res] = co_await c.async_call(operation, "{}", {.diag = &diag},
                                                   asio::bind_cancellation_slot((cancel ? cancel : &unused)->slot(),
                                                                                asio::as_tuple(asio::use_awaitable)));
            outcome = call_outcome{ec, diag};
            c.close();
        }, asio::detached);
        io.restart();
        while (!outcome && io.run_one_for(10s) > 0) {
        }
        return outcome;
    }
    // Loopback DynamoDB stand-in, region and nothing else: credentials come from the chain.
    static client_options options_for(const std::string& endpoint) {
        client_options o;
        o.endpoint = endpoint;
        o.region = "us-east-1";
        return o;
    }
};

std::string read_pid(const std::filesystem::path& file) {
    std::ifstream in(file);
    pid_t pid = 0;
    in >> pid;
    return std::to_string(pid);
}

// Whether a process is gone (killed and reaped), not merely a zombie.
bool process_gone(const std::string& pid) { return ::kill(std::stoi(pid), 0) == -1 && errno == ESRCH; }

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

TEST_F(CredentialSources, WebIdentityReachesStsThroughTheClientsProxy) {
    scripted_http_server sts(io, [](const seen_request&) { return scripted_reply{200, sts_credentials("ASIAWEB1", wall_clock::now() + 1h)}; });
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "eyJhbGciOi.payload.sig").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    setenv("HTTP_PROXY", test_proxy_url().c_str(), 1);
    client_options o = local_client_options("dynamodb-local");
    o.credentials.explicit_credentials.reset();
    const auto outcome = call(o);
    ASSERT_TRUE(outcome);
    EXPECT_FALSE(outcome->ec) << outcome->ec.message() << ": " << outcome->diag.message;
    EXPECT_EQ(sts.requests().size(), 1u);
    EXPECT_EQ(test_proxy_log_lines_with("POST " + sts.url() + "/ HTTP/1.1"), 1);
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

TEST_F(CredentialSources, AnStsErrorQuotingTheWebIdentityTokenIsRedacted) {
    scripted_http_server sts(io, [](const seen_request&) {
        return scripted_reply{400, "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad jwt-secret-4f2a"
                                   "</Message></Error></ErrorResponse>"};
    });
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "jwt-secret-4f2a\n").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("InvalidIdentityToken: bad [redacted]"), std::string::npos) << got.message;
    EXPECT_EQ(got.message.find("jwt-secret-4f2a"), std::string::npos) << got.message;
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

TEST_F(CredentialSources, WebIdentityRefusesARegionThatIsNotADnsLabelNamingItBeforeAnyRequest) {
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", "jwt").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    credentials_sources::source_settings s = settings();
    s.region = "evil.example/x";
    error_code ec;
    diagnostics diag;
    EXPECT_FALSE(credentials_sources::choose_credentials({}, s, ec, diag));
    EXPECT_EQ(ec, client_errc::invalid_region);
    EXPECT_NE(diag.message.find("invalid AWS region 'evil.example/x'"), std::string::npos) << diag.message;
}

TEST_F(CredentialSources, AWebIdentityTokenFileOverItsLimitIsRefusedNamingTheLimitBeforeAskingSts) {
    scripted_http_server sts(io, [](const seen_request&) { return scripted_reply{200, sts_credentials("ASIAWEB1", wall_clock::now() + 1h)}; });
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write("token", std::string((64 << 10) + 1, 'j')).c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cache", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts.url().c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("is larger than 65536 bytes"), std::string::npos) << got.message;
    EXPECT_TRUE(sts.requests().empty());
}

TEST_F(CredentialSources, ASharedConfigFileOverItsLimitIsAnErrorNamingTheFileAndTheLimit) {
    write("config", "[default]\nregion = us-east-1\n" + std::string(1 << 20, '#') + "\n");
    error_code ec;
    diagnostics diag;
    EXPECT_FALSE(credentials_sources::choose_credentials({}, settings(), ec, diag));
    EXPECT_EQ(ec, client_errc::invalid_credentials_file);
    EXPECT_NE(diag.message.find((dir / "config").string() + " is larger than 1048576 bytes"), std::string::npos)
        << diag.message;
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

TEST_F(CredentialSources, AContainerAgentErrorPageEchoingTheAuthorizationIsRedacted) {
    scripted_http_server agent(io, [](const seen_request& r) {
        return scripted_reply{403, "refused Authorization: " + r.header("authorization")};
    });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "agent-secret-77c1", 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("HTTP 403: refused Authorization: [redacted]"), std::string::npos) << got.message;
    EXPECT_EQ(got.message.find("agent-secret-77c1"), std::string::npos) << got.message;
}

TEST_F(CredentialSources, AContainerTokenFileThatIsAFifoIsRefusedWithoutWaitingForAWriter) {
    scripted_http_server agent(io, [](const seen_request&) { return scripted_reply{200, json_credentials("ASIAECS", wall_clock::now() + 1h)}; });
    ASSERT_EQ(::mkfifo((dir / "token").c_str(), 0600), 0);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (dir / "token").c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("is a pipe or socket"), std::string::npos) << got.message;
    EXPECT_TRUE(agent.requests().empty());
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

TEST_F(CredentialSources, AnImdsTokenHoldingALineBreakIsNeverSentAsAHeader) {
    scripted_http_server imds(io, [](const seen_request& r) {
        return r.method == "PUT" ? scripted_reply{200, "token\r\nX-Injected: 1"} : scripted_reply{200, "cache-role"};
    });
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url().c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("control character"), std::string::npos) << got.message;
    ASSERT_EQ(imds.requests().size(), 1u) << "the token request only";
}

TEST_F(CredentialSources, AnImdsRoleNameOutsideIamsGrammarIsNotPutInThePath) {
    scripted_http_server imds(io, [](const seen_request& r) {
        if (r.method == "PUT") return scripted_reply{200, "imds-token"};
        if (r.target == "/latest/meta-data/iam/security-credentials/") return scripted_reply{200, "../../user-data"};
        return scripted_reply{200, json_credentials("ASIAIMDS", wall_clock::now() + 1h)};
    });
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url().c_str(), 1);
    auto got = fetch(choose());
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("the role name ../../user-data is not an IAM role name"), std::string::npos) << got.message;
    EXPECT_EQ(imds.requests().size(), 2u) << "the token and the role list only";
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

TEST_F(CredentialSources, CredentialProcessOutputWithoutTheNumberVersion1IsRefused) {
    for (const char* output : {R"({"AccessKeyId": "A", "SecretAccessKey": "s"})",
                               R"({"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "s"})"}) {
        auto source = credentials_sources::process_source(settings(), std::string("echo '") + output + "'");
        credentials_sources::fetched f = run(source.fetch());
        EXPECT_EQ(f.ec, client_errc::credentials_unavailable) << output;
        EXPECT_NE(f.message.find("no \"Version\": 1"), std::string::npos) << f.message;
    }
}

TEST_F(CredentialSources, CredentialProcessInheritsNoDescriptorButItsPipe) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0); // without SOCK_CLOEXEC, as many applications open them
    ASSERT_GE(listener, 3);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    const std::string fd = std::to_string(listener);
    auto source = credentials_sources::process_source(
        settings(), "if [ -e /proc/$$/fd/" + fd + " ]; then echo 'descriptor " + fd + " inherited' >&2; exit 9; fi; "
                    R"(echo '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s"}')");
    credentials_sources::fetched f = run(source.fetch());
    ::close(listener);
    EXPECT_FALSE(f.ec) << f.message;
}

TEST_F(CredentialSources, CredentialProcessDeadlineCoversTheWaitAfterItClosesItsOutput) {
    credentials_sources::source_settings s = settings();
    s.process_timeout = 500ms;
    auto source = credentials_sources::process_source(s, "echo $$ > " + (dir / "pid").string() + "; exec sleep 60 >&-");
    credentials_sources::fetched f = run(source.fetch());
    EXPECT_EQ(f.ec, client_errc::credentials_unavailable);
    EXPECT_NE(f.message.find("the command did not finish within 500 ms"), std::string::npos) << f.message;
    EXPECT_TRUE(process_gone(read_pid(dir / "pid"))) << "the command was killed and reaped";
}

TEST_F(CredentialSources, CredentialProcessLeavesNothingRunningWhenItsIoContextIsDestroyedMidRun) {
    const auto pid_file = dir / "pid";
    std::string pid;
    {
        asio::io_context own;
        auto source = credentials_sources::process_source({own.get_executor(), "us-east-1", {}, 300ms, 2000ms},
                                                          "echo $$ > " + pid_file.string() + ".new; mv " +
                                                              pid_file.string() + ".new " + pid_file.string() +
                                                              "; exec sleep 60");
        asio::co_spawn(own, source.fetch(), asio::detached);
        for (int i = 0; i < 1000 && !std::filesystem::exists(pid_file); ++i) own.run_for(10ms);
        ASSERT_TRUE(std::filesystem::exists(pid_file)) << "the command did not start within 10 s";
        pid = read_pid(pid_file);
        own.stop();
    } // destroyed with the fetch under way
    EXPECT_TRUE(process_gone(pid)) << "the command outlived the io_context";
}

TEST_F(CredentialSources, FetchedCredentialsHoldingAControlCharacterAreRefusedNamingTheFieldNotTheValue) {
    auto process = credentials_sources::process_source(
        settings(), R"(printf '%s' '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "SessionToken": "t\r\nX-Injected: 1"}')");
    auto source = std::make_shared<refreshing_credentials>(io.get_executor(), process.name, process.fetch, 300s);
    auto got = fetch(source);
    EXPECT_EQ(got.ec, client_errc::credentials_unavailable);
    EXPECT_NE(got.message.find("the SessionToken it gave holds a control character"), std::string::npos) << got.message;
    EXPECT_EQ(got.message.find("X-Injected"), std::string::npos) << got.message;
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

// Credentials that expire 6 s after they are issued, refreshed 4 s ahead: due after 2 s, and calls
// wait only in the last 0.8 s. Time is a clock the test moves (the agent reads it too), so no
// step depends on how fast the machine is.
class Refresh : public CredentialSources {
protected:
    wall_clock::time_point now = std::chrono::floor<std::chrono::seconds>(wall_clock::now());
    std::atomic<int> issued{0};
    bool failing = false;
    scripted_http_server agent{io, [this](const seen_request&) {
                                   if (failing) return scripted_reply{500, "agent down"};
                                   return scripted_reply{200, json_credentials("KEY" + std::to_string(++issued), now + 6s)};
                               }};
    void SetUp() override {
        CredentialSources::SetUp();
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    }
    std::shared_ptr<refreshing_credentials> refreshing(std::chrono::seconds refresh_before = 4s) {
        error_code ec;
        std::string why;
        auto source = credentials_sources::container_source_from_env(settings(), ec, why);
        EXPECT_TRUE(source) << why;
        return std::make_shared<refreshing_credentials>(io.get_executor(), source->name, source->fetch, refresh_before,
                                                        [this] { return now; });
    }
    // Runs the io_context until the background refresh has ended.
    void finish_refresh(const std::shared_ptr<refreshing_credentials>& source) {
        io.restart();
        while (source->refreshing() && io.run_one_for(10s) > 0) {
        }
        EXPECT_FALSE(source->refreshing()) << "the refresh did not end";
    }
};

TEST_F(Refresh, ManyCallsInTheRefreshWindowTriggerOneRefreshAndKeepTheOldCredentialsMeanwhile) {
    auto source = refreshing();
    ASSERT_EQ(fetch(source).value->access_key_id, "KEY1");
    EXPECT_EQ(fetch(source).value->access_key_id, "KEY1");
    EXPECT_EQ(source->fetches(), 1u) << "valid credentials are not fetched again";

    now += 3s; // due, still usable
    std::vector<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        auto current = source->try_current();
        ASSERT_TRUE(current) << "still valid: calls do not wait";
        seen.push_back(current->access_key_id);
    }
    EXPECT_EQ(seen, std::vector<std::string>(50, "KEY1"));
    finish_refresh(source);
    EXPECT_EQ(source->fetches(), 2u) << "50 calls, one refresh";
    EXPECT_EQ(issued.load(), 2);
    EXPECT_EQ(source->try_current()->access_key_id, "KEY2");
}

TEST_F(Refresh, AFailedRefreshKeepsTheOldCredentialsUntilTheyExpireThenNamesTheCause) {
    auto source = refreshing();
    ASSERT_EQ(fetch(source).value->access_key_id, "KEY1");
    failing = true;
    now += 3s;
    ASSERT_TRUE(source->try_current()) << "due, still valid";
    finish_refresh(source); // it fails
    ASSERT_TRUE(source->try_current()) << "the old credentials stay while valid";
    EXPECT_EQ(source->try_current()->access_key_id, "KEY1");
    EXPECT_EQ(source->fetches(), 2u);
    for (int i = 0; i < 20; ++i) source->try_current();
    EXPECT_EQ(source->fetches(), 2u) << "a failed refresh is retried after a backoff, not at every call";

    now += 3s; // at the expiration, past the 1 s backoff
    auto expired = fetch(source);
    EXPECT_EQ(source->fetches(), 3u);
    EXPECT_EQ(expired.ec, client_errc::credentials_unavailable);
    EXPECT_NE(expired.message.find("container credentials"), std::string::npos) << expired.message;
    EXPECT_NE(expired.message.find("HTTP 500: agent down"), std::string::npos) << expired.message;

    failing = false;
    now += 1900ms; // within the backoff after two failures (2 s): no fetch
    EXPECT_EQ(fetch(source).ec, client_errc::credentials_unavailable);
    EXPECT_EQ(source->fetches(), 3u);
    now += 100ms;
    auto recovered = fetch(source);
    ASSERT_FALSE(recovered.ec) << recovered.message;
    EXPECT_EQ(recovered.value->access_key_id, "KEY2");
}

TEST_F(Refresh, CallsThatFindNothingValidAllWaitForOneFetch) {
    auto source = refreshing();
    std::atomic<int> done{0};
    std::vector<std::string> keys(20);
    for (int i = 0; i < 20; ++i)
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            std::string why;
            auto got = co_await source->current(why);
            keys[i] = got.ec ? why : got.value->access_key_id;
            ++done;
        }, asio::detached);
    while (done < 20 && io.run_one_for(5s) > 0) {
    }
    EXPECT_EQ(keys, std::vector<std::string>(20, "KEY1"));
    EXPECT_EQ(issued.load(), 1);
}

TEST_F(CredentialSources, WaitersOnSeveralThreadsEndEachByTheRefreshOrByTheirOwnDeadline) {
    std::atomic<int> issued{0};
    scripted_http_server agent(io, [&](const seen_request&) {
        return scripted_reply{200, json_credentials("KEY" + std::to_string(++issued), wall_clock::now() + 1h), 300ms};
    });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    error_code ec;
    std::string why;
    credentials_sources::source_settings s = settings();
    s.metadata_timeout = 30s;
    auto container = credentials_sources::container_source_from_env(s, ec, why);
    ASSERT_TRUE(container) << why;
    auto source = std::make_shared<refreshing_credentials>(io.get_executor(), container->name, container->fetch, 300s);
    constexpr int callers = 20;
    std::atomic<int> done{0};
    std::vector<std::string> outcomes(callers);
    for (int i = 0; i < callers; ++i)
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            // Odd callers wait as long as it takes; even ones give up long before the agent answers.
            const auto give_up_at = i % 2 ? refreshing_credentials::steady_time::max()
                                          : std::chrono::steady_clock::now() + 50ms;
            std::string cause;
            auto got = co_await source->current(cause, give_up_at);
            outcomes[i] = got.ec ? got.ec.message() : got.value->access_key_id;
            if (++done == callers) io.stop();
        }, asio::detached);
    io.restart();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { io.run_for(30s); });
    for (auto& t : threads) t.join();
    ASSERT_EQ(done.load(), callers);
    for (int i = 0; i < callers; ++i)
        EXPECT_EQ(outcomes[i], i % 2 ? "KEY1" : make_error_code(client_errc::timeout).message()) << i;
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
            auto [ec, res] = co_await c.async_call("ListTables", "{}", {.diag = &diag}, asio::as_tuple(asio::use_awaitable));
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
        auto [ec, res] = co_await c.async_call("ListTables", "{}", {.diag = &diag}, asio::as_tuple(asio::use_awaitable));
        outcome = ec;
        EXPECT_EQ(c.stats().connections.opened_total, 0u) << "nothing is sent unsigned";
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
            auto [ec, res] = co_await c.async_call("GetItem", "{}", {.diag = &diag}, asio::as_tuple(asio::use_awaitable));
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

// ---- stale credentials, bounded waits, headers ----

// DynamoDB's answer to credentials it calls expired: to those signed with `stale_key` (any, if empty).
scripted_reply expired_for(const seen_request& r, const std::string& stale_key, const std::string& type) {
    if (stale_key.empty() || r.header("authorization").find("Credential=" + stale_key + "/") != std::string::npos)
        return {400, R"({"__type":"com.amazon.coral.service#)" + type +
                         R"(","message":"The security token included in the request is expired"})"};
    return {200, R"({"TableNames":[]})"};
}

TEST_F(CredentialSources, AnExpiredTokenAnswerForcesOneRefreshAndOneResendWithTheNewCredentials) {
    for (const std::string type : {"ExpiredTokenException", "ExpiredToken"}) {
        int issued = 0;
        scripted_http_server agent(io, [&](const seen_request&) {
            return scripted_reply{200, json_credentials("KEY" + std::to_string(++issued), wall_clock::now() + 1h)};
        });
        scripted_http_server dynamodb(io, [&](const seen_request& r) { return expired_for(r, "KEY1", type); });
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
        auto got = call(options_for(dynamodb.url()));
        ASSERT_TRUE(got) << type;
        EXPECT_FALSE(got->ec) << type << ": " << got->diag.message;
        EXPECT_EQ(issued, 2) << type << ": one refresh";
        ASSERT_EQ(dynamodb.requests().size(), 2u) << type << ": one resend";
        EXPECT_NE(dynamodb.requests()[1].header("authorization").find("Credential=KEY2/"), std::string::npos);
        EXPECT_EQ(dynamodb.requests()[1].header("x-amz-security-token"), "token-KEY2");
    }
}

TEST_F(CredentialSources, CredentialsStillCalledExpiredAfterTheirRefreshFailTheCallAfterOneResend) {
    int issued = 0;
    scripted_http_server agent(io, [&](const seen_request&) {
        return scripted_reply{200, json_credentials("KEY" + std::to_string(++issued), wall_clock::now() + 1h)};
    });
    scripted_http_server dynamodb(io, [](const seen_request& r) { return expired_for(r, "", "ExpiredTokenException"); });
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
    auto got = call(options_for(dynamodb.url()));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->ec, service_errc::expired_token);
    EXPECT_NE(got->diag.message.find("ExpiredTokenException: The security token"), std::string::npos) << got->diag.message;
    EXPECT_EQ(issued, 2);
    EXPECT_EQ(dynamodb.requests().size(), 2u);
}

// An agent that answers only after a minute: the test ends long before.
class SlowAgent : public CredentialSources {
protected:
    scripted_http_server agent{io, [](const seen_request&) {
                                   return scripted_reply{200, json_credentials("LATE", wall_clock::now() + 1h), 60s};
                               }};
    scripted_http_server dynamodb{io, [](const seen_request&) { return scripted_reply{200, R"({"TableNames":[]})"}; }};
    client_options options;
    void SetUp() override {
        CredentialSources::SetUp();
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (agent.url() + "/creds").c_str(), 1);
        options = options_for(dynamodb.url());
        options.credentials.metadata_timeout = 120s;
    }
};

TEST_F(SlowAgent, WaitingForCredentialsEndsAtTheCallTimeout) {
    options.call_timeout = 500ms;
    auto got = call(options);
    ASSERT_TRUE(got) << "the call waited for the agent's answer";
    EXPECT_EQ(got->ec, client_errc::timeout);
    EXPECT_NE(got->diag.message.find("no valid credentials within the call's time: container credentials"),
              std::string::npos) << got->diag.message;
    EXPECT_TRUE(dynamodb.requests().empty());
}

TEST_F(SlowAgent, CancellingACallEndsItsWaitForCredentials) {
    options.call_timeout = 120s;
    asio::cancellation_signal cancel;
    asio::steady_timer soon(io, 200ms);
    soon.async_wait([&](error_code) { cancel.emit(asio::cancellation_type::terminal); });
    auto got = call(options, "ListTables", &cancel);
    ASSERT_TRUE(got) << "the call waited for the agent's answer";
    EXPECT_EQ(got->ec, asio::error::operation_aborted);
    EXPECT_TRUE(dynamodb.requests().empty());
}

TEST_F(CredentialSources, AnOperationNameWithALineBreakIsRefusedBeforeAnyRequest) {
    scripted_http_server dynamodb(io, [](const seen_request&) { return scripted_reply{200, R"({"TableNames":[]})"}; });
    client_options o = options_for(dynamodb.url());
    o.credentials.explicit_credentials = credentials{"AKIDEXAMPLE", "secret", ""};
    auto got = call(o, "ListTables\r\nX-Injected: 1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->ec, client_errc::invalid_header_value);
    EXPECT_NE(got->diag.message.find("invalid operation name 'ListTables\\x0d\\x0aX-Injected: 1'"), std::string::npos)
        << got->diag.message;
    EXPECT_TRUE(dynamodb.requests().empty());
}

TEST_F(CredentialSources, AStaticSessionTokenHoldingALineBreakIsRefusedWhenTheClientIsMadeNamingTheFieldNotTheValue) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    setenv("AWS_SESSION_TOKEN", "token\r\nX-Injected: 1", 1);
    try {
        client c(io.get_executor(), options_for("http://127.0.0.1:1"));
        ADD_FAILURE() << "accepted";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_header_value);
        EXPECT_NE(std::string(e.what()).find("environment variables: the SessionToken holds a control character"),
                  std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("X-Injected"), std::string::npos) << e.what();
    }
}

TEST_F(CredentialSources, ThePoolRefusesARequestHeadHoldingAControlCharacterBeforeSending) {
    scripted_http_server server(io, [](const seen_request&) { return scripted_reply{200, "ok"}; });
    error_code ec;
    http::connection_pool pool(io.get_executor(), http::parse_endpoint(server.url(), ec), {});
    const std::array<http::header_field, 1> injected{{{"X-Test", "a\r\nX-Injected: 1"}}};
    const std::array<http::header_field, 1> plain{{{"X-Test", "a"}}};
    const http::request requests[] = {{"GET", injected, {}, "/"}, {"GET", plain, {}, "/a\r\nX-Injected: 1"},
                                      {"GET\r\nX-Injected: 1", plain, {}, "/"}};
    for (const http::request& req : requests) {
        http::response res;
        const http::exchange_result r = run(pool.exchange(req, res, http::clock::now() + 10s, 10s));
        EXPECT_EQ(r.ec, client_errc::invalid_header_value) << codec::printable(req.target);
    }
    EXPECT_TRUE(server.requests().empty());
    EXPECT_EQ(pool.stats().opened_total, 0u);
}

} // namespace
} // namespace ddbcache::test
