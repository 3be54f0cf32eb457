// Pure parts of the DynamoDB client: CRC32, error bodies, retry decisions, clock skew, names,
// endpoints.
#include "dynamodb/client_config.hpp"
#include "codec/printable.hpp"
#include "http/message.hpp"
#include "dynamodb/crc32.hpp"
#include "dynamodb/error_response.hpp"
#include "dynamodb/naming_rules.hpp"
#include "dynamodb/retry_policy.hpp"
#include "http/endpoint.hpp"
#include "http/message.hpp"

#include <ddbcache/client.hpp>
#include <ddbcache/version.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ddbcache {
namespace {
using http::failure_stage;

TEST(Crc32, MatchesTheValueDynamoDbLocalSentForAnEmptyTableList) {
    // Seen on the wire: {"TableNames":[]} came with x-amz-crc32: 1315925753.
    EXPECT_EQ(dynamodb::crc32(R"({"TableNames":[]})"), 1315925753u);
    EXPECT_TRUE(dynamodb::crc32_matches("1315925753", R"({"TableNames":[]})"));
}

TEST(Crc32, MatchesTheStandardCheckValue) { EXPECT_EQ(dynamodb::crc32("123456789"), 0xCBF43926u); }

TEST(Crc32, RejectsAMismatchAndAMalformedHeader) {
    EXPECT_FALSE(dynamodb::crc32_matches("1315925754", R"({"TableNames":[]})"));
    EXPECT_FALSE(dynamodb::crc32_matches("13159x5753", R"({"TableNames":[]})"));
    EXPECT_FALSE(dynamodb::crc32_matches("-1", R"({"TableNames":[]})"));
}

TEST(Crc32, AcceptsAResponseWithoutTheHeader) { EXPECT_TRUE(dynamodb::crc32_matches("", "{}")); }

TEST(ErrorResponse, ParsesTypeWithNamespaceAndMessage) {
    auto e = dynamodb::parse_error_response(
        400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})");
    EXPECT_EQ(e.code, service_errc::conditional_check_failed);
    EXPECT_EQ(e.aws_type, "ConditionalCheckFailedException");
    EXPECT_EQ(e.message, "The conditional request failed");
}

TEST(ErrorResponse, AcceptsCapitalisedMessageKey) {
    auto e = dynamodb::parse_error_response(400, R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"bad"})");
    EXPECT_EQ(e.code, service_errc::validation);
    EXPECT_EQ(e.message, "bad");
}

TEST(ErrorResponse, UnknownTypeKeepsItsName) {
    auto e = dynamodb::parse_error_response(400, R"({"__type":"x#BrandNewException","message":"m"})");
    EXPECT_EQ(e.code, service_errc::unknown);
    EXPECT_EQ(e.aws_type, "BrandNewException");
}

TEST(ErrorResponse, NonJsonBodyFallsBackToTheStatus) {
    EXPECT_EQ(dynamodb::parse_error_response(500, "<html>").code, service_errc::internal_server_error);
    EXPECT_EQ(dynamodb::parse_error_response(503, "").code, service_errc::service_unavailable);
    auto e = dynamodb::parse_error_response(413, "too big");
    EXPECT_EQ(e.code, service_errc::http_status);
    EXPECT_EQ(e.message, "HTTP status 413");
}

TEST(RetryPolicy, ThrottlingErrorsAreRetriedAsThrottling) {
    for (auto e : {service_errc::provisioned_throughput_exceeded, service_errc::throttling,
                   service_errc::request_limit_exceeded, service_errc::transaction_in_progress})
        EXPECT_EQ(dynamodb::classify_failure(e, failure_stage::none, 400), dynamodb::retry_kind::throttling);
}

TEST(RetryPolicy, ServerErrorsAndChecksumMismatchAreTransient) {
    EXPECT_EQ(dynamodb::classify_failure(service_errc::internal_server_error, failure_stage::none, 500),
              dynamodb::retry_kind::transient);
    EXPECT_EQ(dynamodb::classify_failure(service_errc::http_status, failure_stage::none, 502),
              dynamodb::retry_kind::transient);
    EXPECT_EQ(dynamodb::classify_failure(client_errc::checksum_mismatch, failure_stage::none, 200),
              dynamodb::retry_kind::transient);
}

TEST(RetryPolicy, CallerAndAuthorisationErrorsAreNeverRetried) {
    for (auto e : {service_errc::validation, service_errc::conditional_check_failed, service_errc::resource_not_found,
                   service_errc::access_denied, service_errc::unrecognized_client, service_errc::invalid_signature})
        EXPECT_EQ(dynamodb::classify_failure(e, failure_stage::none, 400), dynamodb::retry_kind::never);
    EXPECT_EQ(dynamodb::classify_failure(boost::asio::error::operation_aborted, failure_stage::send, 0),
              dynamodb::retry_kind::never);
    EXPECT_EQ(dynamodb::classify_failure(client_errc::pool_exhausted, failure_stage::acquire, 0),
              dynamodb::retry_kind::never);
    EXPECT_EQ(dynamodb::classify_failure(client_errc::tls_failure, failure_stage::connect, 0),
              dynamodb::retry_kind::never);
}

TEST(RetryPolicy, TimeoutsAreRetriedOnlyBeforeAnyResponseByte) {
    EXPECT_EQ(dynamodb::classify_failure(client_errc::timeout, failure_stage::receive_before_response, 0),
              dynamodb::retry_kind::timeout);
    EXPECT_EQ(dynamodb::classify_failure(client_errc::timeout, failure_stage::receive_after_response, 0),
              dynamodb::retry_kind::never);
}

TEST(RetryPolicy, NetworkFailuresAreTransient) {
    EXPECT_EQ(dynamodb::classify_failure(boost::asio::error::connection_refused, failure_stage::connect, 0),
              dynamodb::retry_kind::transient);
    EXPECT_EQ(dynamodb::classify_failure(boost::asio::error::connection_reset, failure_stage::receive_before_response, 0),
              dynamodb::retry_kind::transient);
    EXPECT_EQ(dynamodb::classify_failure(boost::beast::http::error::partial_message,
                                         failure_stage::receive_after_response, 0),
              dynamodb::retry_kind::transient);
}

TEST(RetryPolicy, BackoffStaysWithinTheCappedExponentialCeiling) {
    retry_options o;
    o.base_delay = std::chrono::milliseconds(25);
    o.max_delay = std::chrono::milliseconds(150);
    for (unsigned attempt = 1; attempt <= 8; ++attempt) {
        const auto ceiling = std::min<long>(150, 25L << (attempt - 1));
        for (int i = 0; i < 200; ++i) {
            const auto d = dynamodb::backoff_delay(o, attempt).count();
            ASSERT_GE(d, 0);
            ASSERT_LE(d, ceiling) << "attempt " << attempt;
        }
    }
}

TEST(RetryPolicy, ExpiredTokenAnswersSayTheCredentialsAreStale) {
    EXPECT_TRUE(dynamodb::says_credentials_stale("ExpiredTokenException"));
    EXPECT_TRUE(dynamodb::says_credentials_stale("ExpiredToken"));
    for (const char* other : {"UnrecognizedClientException", "AccessDeniedException", "InvalidSignatureException",
                              "ValidationException", ""})
        EXPECT_FALSE(dynamodb::says_credentials_stale(other)) << other;
}

TEST(RetryQuota, SpendsUntilEmptyAndRefundsOnSuccess) {
    dynamodb::retry_quota quota(12);
    EXPECT_TRUE(quota.try_spend(5));
    EXPECT_TRUE(quota.try_spend(5));
    EXPECT_FALSE(quota.try_spend(5));
    EXPECT_EQ(quota.available(), 2);
    quota.on_success(10);
    EXPECT_EQ(quota.available(), 12);
    quota.on_success(0);
    EXPECT_EQ(quota.available(), 12); // never above capacity
}

TEST(HttpDate, ReadsAnImfFixdate) {
    using namespace std::chrono;
    const auto t = http::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, sys_days{1994y / November / 6} + 8h + 49min + 37s);
    EXPECT_EQ(http::parse_http_date("Mon, 30 Nov 2026 16:50:00 GMT"), sys_days{2026y / November / 30} + 16h + 50min);
    EXPECT_EQ(http::parse_http_date("Thu, 29 Feb 2024 23:59:60 GMT"), sys_days{2024y / February / 29} + 24h);
}

TEST(HttpDate, RefusesAnythingElse) {
    for (const char* text : {"", "garbage", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                             "Mon, 06 Nov 1994 08:49:37 GMT", // 6 Nov 1994 was a Sunday
                             "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 GMT ", " Sun, 06 Nov 1994 08:49:37 GMT",
                             "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT", "Tue, 31 Nov 1994 08:49:37 GMT",
                             "Thu, 29 Feb 2023 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
                             "Sun, 06 Nov 1994 08:49:61 GMT", "Sun, 06 Nov 1994 08:4a:37 GMT", "Sun, 06 Nov +994 08:49:37 GMT",
                             "Sun; 06 Nov 1994 08:49:37 GMT"})
        EXPECT_FALSE(http::parse_http_date(text)) << text;
}

// A hostile Date must not overflow the clock (years past 2262 do in nanoseconds), nor drag every
// later signature and cache date by more than a day.
TEST(HttpDate, YearsTheClockCannotHoldAreRefused) {
    for (const char* text : {"Mon, 01 Jan 0001 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 31 Dec 1969 23:59:59 GMT",
                             "Tue, 01 Jan 2201 00:00:00 GMT"})
        EXPECT_FALSE(http::parse_http_date(text)) << text;
    EXPECT_TRUE(http::parse_http_date("Wed, 31 Dec 2200 23:59:59 GMT"));
}

TEST(ClockSkew, ASkewOfMoreThanADayIsNotFollowed) {
    using namespace std::chrono;
    dynamodb::clock_skew skew;
    const auto at = sys_days{2026y / November / 30} + 16h + 30min;
    EXPECT_FALSE(skew.learn("Tue, 01 Dec 2026 16:31:00 GMT", at, at));
    EXPECT_FALSE(skew.learn("Sun, 29 Nov 2026 16:29:00 GMT", at, at));
    EXPECT_EQ(skew.current(), 0ms);
    EXPECT_TRUE(skew.learn("Tue, 01 Dec 2026 16:29:00 GMT", at, at)); // just under a day
}

TEST(ClockSkew, IsLearnedFromADateFarFromThisHostsClock) {
    using namespace std::chrono;
    dynamodb::clock_skew skew;
    const auto at = sys_days{2026y / November / 30} + 16h + 30min;
    EXPECT_TRUE(skew.learn("Mon, 30 Nov 2026 16:50:00 GMT", at, at));
    EXPECT_EQ(skew.current(), 20min + 500ms); // the middle of the Date's second
}

TEST(ClockSkew, MovesOnlyBeyondTheDatesResolution) {
    using namespace std::chrono;
    dynamodb::clock_skew skew;
    const auto at = sys_days{2026y / November / 30} + 16h + 50min;
    EXPECT_FALSE(skew.learn("Mon, 30 Nov 2026 16:50:00 GMT", at + 1500ms, at + 1500ms));
    EXPECT_FALSE(skew.learn("Mon, 30 Nov 2026 16:50:01 GMT", at, at));
    EXPECT_EQ(skew.current(), 0ms);
    EXPECT_TRUE(skew.learn("Mon, 30 Nov 2026 16:50:03 GMT", at, at));
    EXPECT_FALSE(skew.learn("Mon, 30 Nov 2026 16:50:04 GMT", at, at));
    EXPECT_EQ(skew.current(), 3500ms);
}

// Dated at once, delivered 5 s later: any skew from -5 s to +1 s fits, 0 included.
TEST(ClockSkew, ASlowAnswerDoesNotMoveIt) {
    using namespace std::chrono;
    dynamodb::clock_skew skew;
    const auto sent = sys_days{2026y / November / 30} + 16h + 50min;
    EXPECT_FALSE(skew.learn("Mon, 30 Nov 2026 16:50:00 GMT", sent, sent + 5s));
    EXPECT_EQ(skew.current(), 0ms);
}

TEST(ClockSkew, AnUnreadableDateLeavesTheSkewAsItWas) {
    using namespace std::chrono;
    dynamodb::clock_skew skew;
    const auto at = sys_days{2026y / November / 30} + 16h + 30min;
    ASSERT_TRUE(skew.learn("Mon, 30 Nov 2026 16:50:00 GMT", at, at));
    EXPECT_FALSE(skew.learn("Mon, 30 Nov 2026 17:50:00 UTC", at, at));
    EXPECT_FALSE(skew.learn("", at, at));
    EXPECT_EQ(skew.current(), 20min + 500ms);
}

TEST(ClockSkew, TheSdksClockSkewErrorTypesMayBeSkewAndOthersNot) {
    for (const char* type : {"InvalidSignatureException", "SignatureDoesNotMatch", "RequestTimeTooSkewed",
                             "RequestExpired", "RequestInTheFuture", "AuthFailure"})
        EXPECT_TRUE(dynamodb::may_be_clock_skew(type)) << type;
    for (const char* type : {"", "ValidationException", "UnrecognizedClientException", "ExpiredTokenException",
                             "ThrottlingException"})
        EXPECT_FALSE(dynamodb::may_be_clock_skew(type)) << type;
}

TEST(NamingRules, TableNamesAreThreeTo255OfLettersDigitsUnderscoreDotAndDash) {
    std::string why;
    for (const std::string& name : std::vector<std::string>{"abc", "A_b.c-9", std::string(255, 'x')})
        EXPECT_FALSE(dynamodb::check_table_name(name, why)) << name;
}

TEST(NamingRules, ATableNameOfTheWrongLengthIsRefusedNamingItAndTheRule) {
    std::string why;
    EXPECT_EQ(dynamodb::check_table_name("t1", why), client_errc::invalid_name);
    EXPECT_EQ(why, "table name 't1' is 2 characters long; DynamoDB table names are 3 to 255 characters of "
                   "A-Z, a-z, 0-9, '_', '.' and '-'");
    EXPECT_EQ(dynamodb::check_table_name("", why), client_errc::invalid_name);
    EXPECT_EQ(dynamodb::check_table_name(std::string(256, 'x'), why), client_errc::invalid_name);
    EXPECT_NE(why.find("is 256 characters long"), std::string::npos) << why;
}

TEST(NamingRules, ATableNameWithAForbiddenCharacterIsRefusedNamingTheCharacter) {
    std::string why;
    EXPECT_EQ(dynamodb::check_table_name("my table", why), client_errc::invalid_name);
    EXPECT_EQ(why.substr(0, why.find(';')), "table name 'my table' has ' ' at offset 2");
    EXPECT_EQ(dynamodb::check_table_name("caf\xc3\xa9", why), client_errc::invalid_name);
    EXPECT_EQ(why.substr(0, why.find(';')), "table name 'caf\\xc3\\xa9' has '\\xc3' at offset 3");
}

TEST(NamingRules, KeyAttributeNamesAreOneTo255Bytes) {
    std::string why;
    EXPECT_FALSE(dynamodb::check_key_attribute_name("k", "key_field", why));
    EXPECT_FALSE(dynamodb::check_key_attribute_name(std::string(255, 'k'), "key_field", why));
    EXPECT_EQ(dynamodb::check_key_attribute_name("", "key_field", why), client_errc::invalid_name);
    EXPECT_EQ(why, "key_field '' is 0 bytes long; DynamoDB key and TTL attribute names are 1 to 255 bytes");
    EXPECT_EQ(dynamodb::check_key_attribute_name(std::string(256, 'k'), "key_field", why), client_errc::invalid_name);
}

TEST(Endpoint, ParsesSchemeHostPortAndPath) {
    error_code ec;
    auto ep = http::parse_endpoint("http://127.0.0.1:8000", ec);
    ASSERT_FALSE(ec);
    EXPECT_FALSE(ep.tls);
    EXPECT_EQ(ep.host, "127.0.0.1");
    EXPECT_EQ(ep.port, 8000);
    EXPECT_EQ(ep.host_header, "127.0.0.1:8000");
    EXPECT_EQ(ep.target, "/");
    EXPECT_TRUE(ep.is_loopback());

    ep = http::parse_endpoint("https://dynamodb.eu-west-1.amazonaws.com", ec);
    ASSERT_FALSE(ec);
    EXPECT_TRUE(ep.tls);
    EXPECT_EQ(ep.port, 443);
    EXPECT_EQ(ep.host_header, "dynamodb.eu-west-1.amazonaws.com"); // default port not repeated
    EXPECT_FALSE(ep.is_loopback());

    ep = http::parse_endpoint("http://[::1]:9000/prefix", ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(ep.host, "::1");
    EXPECT_EQ(ep.host_header, "[::1]:9000");
    EXPECT_EQ(ep.target, "/prefix");
    EXPECT_TRUE(ep.is_loopback());
}

TEST(Endpoint, RejectsWhatCannotBeAnEndpoint) {
    for (const char* url : {"", "dynamodb.amazonaws.com", "ftp://host", "http://user:pw@host", "http://host/?q=1",
                            "http://host/#f", "http://host:0"}) {
        error_code ec;
        http::parse_endpoint(url, ec);
        EXPECT_EQ(ec, client_errc::invalid_endpoint) << url;
    }
}

TEST(Endpoint, RejectsAHostThatWouldBreakARequestLineOrHeaderOnceDecoded) {
    for (const char* url : {"https://x.com%0D%0AX-Evil%3A%201.example", "https://x.com%20HTTP%2F1.1.example",
                            "https://x.com%3A443.example", "https://a%40b.example", "https://a%2Fb.example"}) {
        error_code ec;
        http::parse_endpoint(url, ec);
        EXPECT_EQ(ec, client_errc::invalid_endpoint) << url;
    }
    error_code ec;
    EXPECT_EQ(http::parse_endpoint("https://my_host~1.example", ec).host, "my_host~1.example");
    EXPECT_FALSE(ec);
    EXPECT_EQ(http::parse_endpoint("https://" + std::string(253, 'a'), ec).host.size(), 253u);
    EXPECT_FALSE(ec);
    http::parse_endpoint("https://" + std::string(254, 'a'), ec);
    EXPECT_EQ(ec, client_errc::invalid_endpoint) << "longer than a DNS name";
}

// Boost.URL 1.81 wraps ports over 65535 and takes text glued to an IPv4 host for a path.
TEST(Endpoint, RejectsPortsOver65535AndTextAfterAnIpv4Host) {
    for (const char* url : {"http://127.0.0.1:83540", "http://127.0.0.1:99999", "http://127.0.0.1:125259",
                            "http://127.0.0.1:65536", "http://127.0.0.1x:18000", "http://127.0.0.1.evil.com:18000/p",
                            "http://127.0.0.1:18000:9000", "http://127.0.0.1%25eth0:8000"}) {
        error_code ec;
        http::parse_endpoint(url, ec);
        EXPECT_EQ(ec, client_errc::invalid_endpoint) << url;
    }
    error_code ec;
    EXPECT_EQ(http::parse_endpoint("http://127.0.0.1:65535/", ec).port, 65535);
    EXPECT_FALSE(ec);
}

TEST(Endpoint, UrlsInMessagesHaveTheirUserInfoMasked) {
    EXPECT_EQ(http::url_in_messages("https://u:s3cret@host.example/p"), "https://****@host.example/p");
    EXPECT_EQ(http::url_in_messages("u:p@a@host:1"), "****@host:1");
    EXPECT_EQ(http::url_in_messages("https://host.example"), "https://host.example");
}

class EnvironmentGuard : public testing::Test {
protected:
    void SetUp() override {
        for (const char* n : {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"})
            unsetenv(n);
    }
    void TearDown() override { SetUp(); }
};

using EndpointResolution = EnvironmentGuard;

// AWS_CA_BUNDLE, AWS_SDK_UA_APP_ID and their profile keys, with a config file of the test's own.
class ProfileSettings : public testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ddbcache-profile-" + std::to_string(getpid()));
    void SetUp() override {
        std::filesystem::create_directories(dir);
        clear();
        setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
        std::ofstream(dir / "config") << "[default]\nsdk_ua_app_id = from-default\nca_bundle = /etc/default-ca.pem\n"
                                         "[profile team]\nsdk_ua_app_id = from-team\nca_bundle = /etc/team-ca.pem\n";
    }
    void TearDown() override {
        std::filesystem::remove_all(dir);
        clear();
    }
    static void clear() {
        for (const char* n : {"AWS_CA_BUNDLE", "AWS_SDK_UA_APP_ID", "AWS_PROFILE", "AWS_CONFIG_FILE"}) unsetenv(n);
    }
    static std::string user_agent(const client_options& o) {
        std::string ua, why;
        EXPECT_FALSE(dynamodb::resolve_user_agent(o, ua, why)) << why;
        return ua;
    }
};

TEST_F(ProfileSettings, UserAgentIsDdbcacheSlashTheHeadersVersion) {
    setenv("AWS_CONFIG_FILE", (dir / "absent").c_str(), 1);
    EXPECT_EQ(user_agent({}), "ddbcache/" + std::string(version));
    EXPECT_TRUE(std::string(version).starts_with(std::to_string(DDBCACHE_VERSION_MAJOR) + "."));
}

TEST_F(ProfileSettings, AppIdComesFromTheOptionThenAwsSdkUaAppIdThenTheSelectedProfile) {
    const std::string base = "ddbcache/" + std::string(version);
    EXPECT_EQ(user_agent({}), base + " app/from-default");
    setenv("AWS_PROFILE", "team", 1);
    EXPECT_EQ(user_agent({}), base + " app/from-team");
    setenv("AWS_SDK_UA_APP_ID", "from-env", 1);
    EXPECT_EQ(user_agent({}), base + " app/from-env");
    client_options o;
    o.app_id = "from-option";
    EXPECT_EQ(user_agent(o), base + " app/from-option");
}

TEST_F(ProfileSettings, AnExplicitProfileNameWinsOverAwsProfile) {
    setenv("AWS_PROFILE", "absent", 1);
    client_options o;
    o.credentials.profile = "team";
    EXPECT_EQ(user_agent(o), "ddbcache/" + std::string(version) + " app/from-team");
    EXPECT_EQ(dynamodb::resolve_trust(o).ca_file, "/etc/team-ca.pem");
}

TEST_F(ProfileSettings, AppIdBytesOutsideTheAllowedSetAreSentAsHyphens) {
    setenv("AWS_SDK_UA_APP_ID", "ABC DEF/(x)\xc3\xa9", 1);
    EXPECT_EQ(user_agent({}), "ddbcache/" + std::string(version) + " app/ABC-DEF--x---");
    setenv("AWS_SDK_UA_APP_ID", "!#$%&'*+-.^_`|~09az", 1);
    EXPECT_EQ(user_agent({}), "ddbcache/" + std::string(version) + " app/!#$%&'*+-.^_`|~09az");
}

TEST_F(ProfileSettings, AnAppIdOverFiftyBytesIsRefusedNamingWhereItWasSetAndItsLength) {
    setenv("AWS_SDK_UA_APP_ID", std::string(dynamodb::max_app_id_length, 'a').c_str(), 1);
    EXPECT_EQ(user_agent({}), "ddbcache/" + std::string(version) + " app/" + std::string(50, 'a'));
    setenv("AWS_SDK_UA_APP_ID", std::string(dynamodb::max_app_id_length + 1, 'a').c_str(), 1);
    std::string ua, why;
    EXPECT_EQ(dynamodb::resolve_user_agent({}, ua, why), client_errc::invalid_argument);
    EXPECT_NE(why.find("AWS_SDK_UA_APP_ID"), std::string::npos) << why;
    EXPECT_NE(why.find("51 bytes"), std::string::npos) << why;
}

TEST_F(ProfileSettings, TrustComesFromTheOptionsThenAwsCaBundleThenTheProfilesCaBundle) {
    EXPECT_EQ(dynamodb::resolve_trust({}).ca_file, "/etc/default-ca.pem");
    EXPECT_NE(dynamodb::resolve_trust({}).ca_file_source.find("ca_bundle of profile 'default'"), std::string::npos);
    setenv("AWS_CA_BUNDLE", "/etc/env-ca.pem", 1);
    EXPECT_EQ(dynamodb::resolve_trust({}).ca_file, "/etc/env-ca.pem");
    EXPECT_EQ(dynamodb::resolve_trust({}).ca_file_source, "AWS_CA_BUNDLE");
    client_options o;
    o.ca_file = "/etc/option-ca.pem";
    EXPECT_EQ(dynamodb::resolve_trust(o).ca_file, "/etc/option-ca.pem");
    client_options with_dir;
    with_dir.ca_dir = "/etc/ssl/certs";
    const http::tls_options dir_only = dynamodb::resolve_trust(with_dir);
    EXPECT_EQ(dir_only.ca_file, ""); // an explicit directory is explicit trust: no bundle added
    EXPECT_EQ(dir_only.ca_dir, "/etc/ssl/certs");
}

TEST_F(ProfileSettings, WithoutAnyBundleTheSystemStoreIsUsed) {
    std::ofstream(dir / "config") << "[default]\nregion = eu-west-1\n";
    const http::tls_options trust = dynamodb::resolve_trust({});
    EXPECT_EQ(trust.ca_file, "");
    EXPECT_EQ(trust.ca_dir, "");
}

TEST(Region, EveryPartitionsRegionsAndLocalServersNamesAreValid) {
    for (const char* region : {"us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "il-central-1",
                               "mx-central-1", "local", "eu-test-1"})
        EXPECT_TRUE(http::is_valid_region(region)) << region;
}

TEST(Region, WhatIsNotOneLowerCaseDnsLabelIsInvalid) {
    for (const char* region : {"", "evil.example/x", "evil.example", "us-east-1.attacker", "US-EAST-1", "us east 1",
                               "-us-east-1", "us-east-1-", "us-east-1\r\nX-Injected: 1", "us_east_1", "us-east-1#"})
        EXPECT_FALSE(http::is_valid_region(region)) << region;
    EXPECT_TRUE(http::is_valid_region(std::string(63, 'a')));
    EXPECT_FALSE(http::is_valid_region(std::string(64, 'a')));
}

TEST_F(EndpointResolution, AClientRefusesAnInvalidRegionNamingItBeforeAnyRequest) {
    boost::asio::io_context io;
    client_options o;
    o.credentials.explicit_credentials = credentials{"AKIDEXAMPLE", "secret", "session-token"};
    for (const std::string region : {"evil.example/x", "us-east-1\r\nX-Injected: 1"}) {
        o.region = region;
        try {
            client c(io.get_executor(), o);
            ADD_FAILURE() << "accepted " << region << ", endpoint " << c.endpoint();
        } catch (const boost::system::system_error& e) {
            EXPECT_EQ(e.code(), client_errc::invalid_region);
            EXPECT_NE(std::string(e.what()).find("invalid AWS region '" + codec::printable(region) + "'"),
                      std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(io.poll(), 0u) << "nothing was started";
}

TEST(HeaderValue, ControlCharactersOtherThanTabDoNotFit) {
    EXPECT_TRUE(http::fits_header_value("AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/dynamodb/aws4_request"));
    EXPECT_TRUE(http::fits_header_value("a\tb"));
    using namespace std::string_literals;
    for (const std::string& bad : {"a\r\nX-Injected: 1"s, "a\nb"s, "a\rb"s, "nul\0byte"s, "del\x7f"s, "esc\x1b[0m"s})
        EXPECT_FALSE(http::fits_header_value(bad)) << codec::printable(bad);
}

} // namespace
} // namespace ddbcache
