// Pure parts of the DynamoDB client: CRC32, error bodies, retry decisions, endpoints.
#include "dynamodb/client_config.hpp"
#include "codec/printable.hpp"
#include "http/message.hpp"
#include "dynamodb/crc32.hpp"
#include "dynamodb/error_response.hpp"
#include "dynamodb/retry_policy.hpp"
#include "http/endpoint.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

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

class EnvironmentGuard : public testing::Test {
protected:
    void SetUp() override {
        for (const char* n : {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"})
            unsetenv(n);
    }
    void TearDown() override { SetUp(); }
};

using EndpointResolution = EnvironmentGuard;

TEST_F(EndpointResolution, OptionsWinOverTheEnvironment) {
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    client_options o;
    o.region = "us-west-2";
    o.endpoint = "http://127.0.0.1:2";
    EXPECT_EQ(dynamodb::resolve_region(o), "us-west-2");
    EXPECT_EQ(dynamodb::resolve_endpoint_url(o, "us-west-2"), "http://127.0.0.1:2");
}

TEST_F(EndpointResolution, ServiceSpecificEndpointVariableComesFirst) {
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    EXPECT_EQ(dynamodb::resolve_endpoint_url({}, "eu-west-1"), "http://127.0.0.1:1");
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:3", 1);
    EXPECT_EQ(dynamodb::resolve_endpoint_url({}, "eu-west-1"), "http://127.0.0.1:3");
}

TEST_F(EndpointResolution, DefaultsToTheRegionalAwsEndpoint) {
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    EXPECT_EQ(dynamodb::resolve_region({}), "ap-south-1");
    setenv("AWS_REGION", "eu-central-1", 1);
    EXPECT_EQ(dynamodb::resolve_region({}), "eu-central-1");
    EXPECT_EQ(dynamodb::resolve_endpoint_url({}, "eu-central-1"), "https://dynamodb.eu-central-1.amazonaws.com");
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
