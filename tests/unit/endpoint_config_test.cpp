// DynamoDB's endpoint rules, the order in which the environment and the config file's profile
// configure an endpoint, and the retry settings they give.
#include "credentials/ini_file.hpp"
#include "dynamodb/client_config.hpp"
#include "dynamodb/endpoint_rules.hpp"
#include "../support/scoped_environment.hpp"

#include <ddbcache/client.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace ddbcache {
namespace {
using dynamodb::resolve_rules_endpoint;

struct rules_case {
    const char* region;
    bool use_fips, use_dual_stack;
    const char* endpoint; // the Endpoint parameter; "" when unset
    const char* url;      // expected URL, or "" when an error is expected
    const char* error;    // expected error message
};

// Transcribed from botocore's tests/functional/endpoint-rules/dynamodb/endpoint-tests-1.json
// (boto/botocore at 0e6e2404b85dc336dd2889814e089bde7d1a4c55): every case whose parameters are
// only Region, UseFIPS, UseDualStack and Endpoint, or that sets AccountIdEndpointMode "disabled"
// (as ddbcache behaves: it never sets an account ID), and every case with an Endpoint whatever else
// it sets (the Endpoint rules read nothing else). Duplicates were dropped.
constexpr rules_case botocore_cases[] = {
    {"af-south-1", false, false, "", "https://dynamodb.af-south-1.amazonaws.com", ""},
    {"ap-east-1", false, false, "", "https://dynamodb.ap-east-1.amazonaws.com", ""},
    {"ap-northeast-1", false, false, "", "https://dynamodb.ap-northeast-1.amazonaws.com", ""},
    {"ap-northeast-2", false, false, "", "https://dynamodb.ap-northeast-2.amazonaws.com", ""},
    {"ap-northeast-3", false, false, "", "https://dynamodb.ap-northeast-3.amazonaws.com", ""},
    {"ap-south-1", false, false, "", "https://dynamodb.ap-south-1.amazonaws.com", ""},
    {"ap-southeast-1", false, false, "", "https://dynamodb.ap-southeast-1.amazonaws.com", ""},
    {"ap-southeast-2", false, false, "", "https://dynamodb.ap-southeast-2.amazonaws.com", ""},
    {"ap-southeast-3", false, false, "", "https://dynamodb.ap-southeast-3.amazonaws.com", ""},
    {"ca-central-1", false, false, "", "https://dynamodb.ca-central-1.amazonaws.com", ""},
    {"ca-central-1", true, false, "", "https://dynamodb-fips.ca-central-1.amazonaws.com", ""},
    {"eu-central-1", false, false, "", "https://dynamodb.eu-central-1.amazonaws.com", ""},
    {"eu-north-1", false, false, "", "https://dynamodb.eu-north-1.amazonaws.com", ""},
    {"eu-south-1", false, false, "", "https://dynamodb.eu-south-1.amazonaws.com", ""},
    {"eu-west-1", false, false, "", "https://dynamodb.eu-west-1.amazonaws.com", ""},
    {"eu-west-2", false, false, "", "https://dynamodb.eu-west-2.amazonaws.com", ""},
    {"eu-west-3", false, false, "", "https://dynamodb.eu-west-3.amazonaws.com", ""},
    {"local", false, false, "", "http://localhost:8000", ""},
    {"me-south-1", false, false, "", "https://dynamodb.me-south-1.amazonaws.com", ""},
    {"sa-east-1", false, false, "", "https://dynamodb.sa-east-1.amazonaws.com", ""},
    {"us-east-1", false, false, "", "https://dynamodb.us-east-1.amazonaws.com", ""},
    {"us-east-1", true, false, "", "https://dynamodb-fips.us-east-1.amazonaws.com", ""},
    {"us-east-2", false, false, "", "https://dynamodb.us-east-2.amazonaws.com", ""},
    {"us-east-2", true, false, "", "https://dynamodb-fips.us-east-2.amazonaws.com", ""},
    {"us-west-1", false, false, "", "https://dynamodb.us-west-1.amazonaws.com", ""},
    {"us-west-1", true, false, "", "https://dynamodb-fips.us-west-1.amazonaws.com", ""},
    {"us-west-2", false, false, "", "https://dynamodb.us-west-2.amazonaws.com", ""},
    {"us-west-2", true, false, "", "https://dynamodb-fips.us-west-2.amazonaws.com", ""},
    {"us-east-1", true, true, "", "https://dynamodb-fips.us-east-1.api.aws", ""},
    {"us-east-1", false, true, "", "https://dynamodb.us-east-1.api.aws", ""},
    {"cn-north-1", false, false, "", "https://dynamodb.cn-north-1.amazonaws.com.cn", ""},
    {"cn-northwest-1", false, false, "", "https://dynamodb.cn-northwest-1.amazonaws.com.cn", ""},
    {"cn-north-1", true, true, "", "https://dynamodb-fips.cn-north-1.api.amazonwebservices.com.cn", ""},
    {"cn-north-1", true, false, "", "https://dynamodb-fips.cn-north-1.amazonaws.com.cn", ""},
    {"cn-north-1", false, true, "", "https://dynamodb.cn-north-1.api.amazonwebservices.com.cn", ""},
    {"us-gov-east-1", false, false, "", "https://dynamodb.us-gov-east-1.amazonaws.com", ""},
    {"us-gov-east-1", true, false, "", "https://dynamodb.us-gov-east-1.amazonaws.com", ""},
    {"us-gov-west-1", false, false, "", "https://dynamodb.us-gov-west-1.amazonaws.com", ""},
    {"us-gov-west-1", true, false, "", "https://dynamodb.us-gov-west-1.amazonaws.com", ""},
    {"us-gov-east-1", true, true, "", "https://dynamodb-fips.us-gov-east-1.api.aws", ""},
    {"us-gov-east-1", false, true, "", "https://dynamodb.us-gov-east-1.api.aws", ""},
    {"us-iso-east-1", false, false, "", "https://dynamodb.us-iso-east-1.c2s.ic.gov", ""},
    {"us-iso-west-1", false, false, "", "https://dynamodb.us-iso-west-1.c2s.ic.gov", ""},
    {"us-iso-east-1", true, false, "", "https://dynamodb-fips.us-iso-east-1.c2s.ic.gov", ""},
    {"us-isob-east-1", false, false, "", "https://dynamodb.us-isob-east-1.sc2s.sgov.gov", ""},
    {"us-isob-east-1", true, false, "", "https://dynamodb-fips.us-isob-east-1.sc2s.sgov.gov", ""},
    {"us-east-1", false, false, "https://example.com", "https://example.com", ""},
    {"", false, false, "https://example.com", "https://example.com", ""},
    {"us-east-1", true, false, "https://example.com", "", "Invalid Configuration: FIPS and custom endpoint are not supported"},
    {"us-east-1", false, true, "https://example.com", "", "Invalid Configuration: Dualstack and custom endpoint are not supported"},
    {"", false, false, "", "", "Invalid Configuration: Missing Region"},
    {"us-east-1", true, true, "https://example.com", "", "Invalid Configuration: FIPS and custom endpoint are not supported"},
    {"local", true, true, "", "", "Invalid Configuration: FIPS and local endpoint are not supported"},
    {"local", true, false, "", "", "Invalid Configuration: FIPS and local endpoint are not supported"},
    {"local", false, true, "", "", "Invalid Configuration: Dualstack and local endpoint are not supported"},
    {"cn-north-1", false, false, "https://dynamodb.cn-north-1.api.amazonwebservices.com.cn", "", "Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack functionality by enabling the configuration. For more details, see: https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html"},
    {"us-gov-east-1", false, false, "https://dynamodb.us-gov-east-1.api.aws", "", "Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack functionality by enabling the configuration. For more details, see: https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html"},
    {"us-east-1", false, false, "https://dynamodb.us-east-1.api.aws", "", "Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack functionality by enabling the configuration. For more details, see: https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html"},
    {"us-east-1", false, false, "https://111111111111.ddb.us-east-1.api.aws", "https://111111111111.ddb.us-east-1.api.aws", ""},
    {"us-east-1", false, false, "https://vpce-1a2b3c4d-5e6f.dynamodb.us-east-1.vpce.api.aws", "https://vpce-1a2b3c4d-5e6f.dynamodb.us-east-1.vpce.api.aws", ""},
    {"eu-west-1", false, false, "https://dynamodb.eu-west-1.api.aws", "", "Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack functionality by enabling the configuration. For more details, see: https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html"},
    {"us-west-2", false, false, "https://dynamodb.us-west-2.api.aws", "", "Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack functionality by enabling the configuration. For more details, see: https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html"},
    {"us-east-1", false, false, "https://dynamodb.us-east-1.api.aws/", "", "Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack functionality by enabling the configuration. For more details, see: https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html"},
};

TEST(EndpointRules, AgreeWithEveryApplicableCaseOfBotocoresEndpointTests) {
    for (const rules_case& c : botocore_cases) {
        const auto chosen = resolve_rules_endpoint({c.region, c.use_fips, c.use_dual_stack, c.endpoint});
        const std::string label = std::string(c.region) + " fips=" + (c.use_fips ? "1" : "0") +
                                  " dualstack=" + (c.use_dual_stack ? "1" : "0") + " endpoint=" + c.endpoint;
        EXPECT_EQ(chosen.url, c.url) << label;
        EXPECT_EQ(chosen.error, c.error) << label;
    }
}

TEST(EndpointRules, TheRegionLocalIsDynamoDbLocalOnPort8000SignedForUsEast1) {
    const auto chosen = resolve_rules_endpoint({"local", false, false, ""});
    EXPECT_EQ(chosen.url, "http://localhost:8000");
    EXPECT_EQ(chosen.signing_region, "us-east-1");
    EXPECT_EQ(resolve_rules_endpoint({"eu-west-1", false, false, ""}).signing_region, "eu-west-1");
    EXPECT_EQ(resolve_rules_endpoint({"local", false, false, "http://127.0.0.1:9"}).signing_region, "local");
}

// Each partition of partitions.json, for one of its regions, with FIPS and dual-stack off and on:
// the hosts follow from its dnsSuffix and dualStackDnsSuffix.
TEST(EndpointRules, EveryPartitionsRegionsTimesFipsTimesDualStack) {
    struct expected {
        const char* region;
        const char* plain;
        const char* fips;
        const char* dual_stack;
        const char* fips_dual_stack;
    };
    const expected table[] = {
        {"eu-west-1", "https://dynamodb.eu-west-1.amazonaws.com", "https://dynamodb-fips.eu-west-1.amazonaws.com",
         "https://dynamodb.eu-west-1.api.aws", "https://dynamodb-fips.eu-west-1.api.aws"},
        {"cn-northwest-1", "https://dynamodb.cn-northwest-1.amazonaws.com.cn",
         "https://dynamodb-fips.cn-northwest-1.amazonaws.com.cn",
         "https://dynamodb.cn-northwest-1.api.amazonwebservices.com.cn",
         "https://dynamodb-fips.cn-northwest-1.api.amazonwebservices.com.cn"},
        {"eusc-de-east-1", "https://dynamodb.eusc-de-east-1.amazonaws.eu", "https://dynamodb-fips.eusc-de-east-1.amazonaws.eu",
         "https://dynamodb.eusc-de-east-1.api.amazonwebservices.eu",
         "https://dynamodb-fips.eusc-de-east-1.api.amazonwebservices.eu"},
        // GovCloud: the FIPS host is the regional one (the rule set's special case), except with dual-stack.
        {"us-gov-west-1", "https://dynamodb.us-gov-west-1.amazonaws.com", "https://dynamodb.us-gov-west-1.amazonaws.com",
         "https://dynamodb.us-gov-west-1.api.aws", "https://dynamodb-fips.us-gov-west-1.api.aws"},
        {"us-iso-west-1", "https://dynamodb.us-iso-west-1.c2s.ic.gov", "https://dynamodb-fips.us-iso-west-1.c2s.ic.gov",
         "https://dynamodb.us-iso-west-1.api.aws.ic.gov", "https://dynamodb-fips.us-iso-west-1.api.aws.ic.gov"},
        {"us-isob-west-1", "https://dynamodb.us-isob-west-1.sc2s.sgov.gov",
         "https://dynamodb-fips.us-isob-west-1.sc2s.sgov.gov", "https://dynamodb.us-isob-west-1.api.aws.scloud",
         "https://dynamodb-fips.us-isob-west-1.api.aws.scloud"},
        {"eu-isoe-west-1", "https://dynamodb.eu-isoe-west-1.cloud.adc-e.uk",
         "https://dynamodb-fips.eu-isoe-west-1.cloud.adc-e.uk", "https://dynamodb.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
         "https://dynamodb-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
        {"us-isof-south-1", "https://dynamodb.us-isof-south-1.csp.hci.ic.gov",
         "https://dynamodb-fips.us-isof-south-1.csp.hci.ic.gov", "https://dynamodb.us-isof-south-1.api.aws.hci.ic.gov",
         "https://dynamodb-fips.us-isof-south-1.api.aws.hci.ic.gov"},
    };
    for (const expected& e : table) {
        EXPECT_EQ(resolve_rules_endpoint({e.region, false, false, ""}).url, e.plain);
        EXPECT_EQ(resolve_rules_endpoint({e.region, true, false, ""}).url, e.fips);
        EXPECT_EQ(resolve_rules_endpoint({e.region, false, true, ""}).url, e.dual_stack);
        EXPECT_EQ(resolve_rules_endpoint({e.region, true, true, ""}).url, e.fips_dual_stack);
    }
}

TEST(Partitions, ListedRegionsThenRegexesThenAws) {
    EXPECT_EQ(dynamodb::partition_of("us-gov-east-1").name, "aws-us-gov");
    EXPECT_EQ(dynamodb::partition_of("aws-iso-b-global").name, "aws-iso-b"); // listed, matches no regex
    EXPECT_EQ(dynamodb::partition_of("us-gov-north-7").name, "aws-us-gov");  // not listed: by its regex
    EXPECT_EQ(dynamodb::partition_of("us-isof-east-9").name, "aws-iso-f");
    EXPECT_EQ(dynamodb::partition_of("cn-south-3").name, "aws-cn");
    EXPECT_EQ(dynamodb::partition_of("mx-central-2").name, "aws");
    EXPECT_EQ(dynamodb::partition_of("local").name, "aws");
    EXPECT_EQ(dynamodb::partition_of("zz-nowhere-1").name, "aws");
    EXPECT_EQ(resolve_rules_endpoint({"zz-nowhere-1", false, false, ""}).url, "https://dynamodb.zz-nowhere-1.amazonaws.com");
}

// No partition of today's partitions.json lacks FIPS or dual-stack (the ISO ones lacked dual-stack
// before): the rule set's errors for one that does, with a partition of the test's own.
TEST(EndpointRules, APartitionWithoutFipsOrDualStackRefusesThem) {
    constexpr std::array<std::string_view, 1> regions{"xx-test-1"};
    const std::array<dynamodb::aws_partition, 1> partitions{
        {{"aws", R"(^xx\-\w+\-\d+$)", regions, "example.test", "dual.example.test", false, false}}};
    EXPECT_EQ(resolve_rules_endpoint({"xx-test-1", false, false, ""}, partitions).url, "https://dynamodb.xx-test-1.example.test");
    EXPECT_EQ(resolve_rules_endpoint({"xx-test-1", true, false, ""}, partitions).error,
              "FIPS is enabled but this partition does not support FIPS");
    EXPECT_EQ(resolve_rules_endpoint({"xx-test-1", false, true, ""}, partitions).error,
              "DualStack is enabled but this partition does not support DualStack");
    EXPECT_EQ(resolve_rules_endpoint({"xx-test-1", true, true, ""}, partitions).error,
              "FIPS and DualStack are enabled, but this partition does not support one or both");
}

TEST(IniFile, ServicesSectionsAndTheirNestedServiceSettingsAreRead) {
    using namespace credentials_files;
    const std::string text = "[profile dev]\nservices = local-dev\nendpoint_url = https://global.example\n"
                             "[services local-dev]\ndynamodb =\n  endpoint_url = http://127.0.0.1:8000\n"
                             "s3 =\n  endpoint_url = http://127.0.0.1:9000\n";
    parse_error error;
    auto services = parse(text, file_kind::services, error);
    ASSERT_TRUE(services) << error.reason;
    EXPECT_EQ((*services)["local-dev"]["dynamodb.endpoint_url"], "http://127.0.0.1:8000");
    EXPECT_EQ((*services)["local-dev"]["s3.endpoint_url"], "http://127.0.0.1:9000");
    EXPECT_EQ(services->count("dev"), 0u);
    auto profiles = parse(text, file_kind::config, error);
    ASSERT_TRUE(profiles) << error.reason;
    EXPECT_EQ((*profiles)["dev"]["services"], "local-dev");
    EXPECT_EQ(profiles->count("local-dev"), 0u);
}

// The environment variables these tests set, restored afterwards; a scratch config file.
class ConfiguredSettings : public testing::Test {
protected:
    test::scoped_environment environment{"AWS_CONFIG_FILE", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
                                         "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT",
                                         "AWS_USE_DUALSTACK_ENDPOINT", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
                                         "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"};
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ddbcache-endpoints-" + std::to_string(getpid()));

    void SetUp() override {
        std::filesystem::create_directories(dir);
        setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    void config(const std::string& text) { std::ofstream(dir / "config") << text; }

    // The endpoint chosen for `o` in `region`; its URL, or "error: " and the message.
    static std::string endpoint(const client_options& o = {}, const std::string& region = "eu-west-1",
                                std::string* source = nullptr) {
        dynamodb::configured_endpoint chosen;
        std::string why;
        if (error_code ec = dynamodb::resolve_endpoint(o, region, chosen, why)) return "error: " + why;
        if (source) *source = chosen.source;
        return chosen.url;
    }
};

using EndpointOrder = ConfiguredSettings;

const char* const full_profile = "[default]\nservices = dev-services\nendpoint_url = http://127.0.0.1:5\n"
                                 "[services dev-services]\ndynamodb =\n  endpoint_url = http://127.0.0.1:4\n";

TEST_F(EndpointOrder, TheExplicitOptionWinsOverEveryConfiguredEndpoint) {
    config(full_profile);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:3", 1);
    client_options o;
    o.endpoint = "http://127.0.0.1:1";
    std::string source;
    EXPECT_EQ(endpoint(o, "eu-west-1", &source), "http://127.0.0.1:1");
    EXPECT_EQ(source, "client_options::endpoint");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    EXPECT_EQ(endpoint(o), "http://127.0.0.1:1") << "ignoring configured endpoints never ignores the option";
}

TEST_F(EndpointOrder, TheServiceVariableComesBeforeTheGlobalOne) {
    config(full_profile);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:3", 1);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2", 1);
    std::string source;
    EXPECT_EQ(endpoint({}, "eu-west-1", &source), "http://127.0.0.1:2");
    EXPECT_EQ(source, "AWS_ENDPOINT_URL_DYNAMODB");
}

TEST_F(EndpointOrder, TheGlobalVariableComesBeforeTheProfilesServicesSection) {
    config(full_profile);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:3", 1);
    std::string source;
    EXPECT_EQ(endpoint({}, "eu-west-1", &source), "http://127.0.0.1:3");
    EXPECT_EQ(source, "AWS_ENDPOINT_URL");
}

TEST_F(EndpointOrder, TheServicesSectionComesBeforeTheProfilesEndpointUrl) {
    config(full_profile);
    std::string source;
    EXPECT_EQ(endpoint({}, "eu-west-1", &source), "http://127.0.0.1:4");
    EXPECT_EQ(source, "endpoint_url under dynamodb in [services dev-services] of " + (dir / "config").string());
}

TEST_F(EndpointOrder, TheProfilesEndpointUrlComesBeforeTheRules) {
    // A services section for other services only.
    config("[default]\nservices = s3-only\nendpoint_url = http://127.0.0.1:5\n"
           "[services s3-only]\ns3 =\n  endpoint_url = http://127.0.0.1:9\n");
    std::string source;
    EXPECT_EQ(endpoint({}, "eu-west-1", &source), "http://127.0.0.1:5");
    EXPECT_EQ(source, "endpoint_url in profile 'default' of " + (dir / "config").string());
    config("[default]\nregion = eu-west-1\n");
    EXPECT_EQ(endpoint({}, "eu-west-1", &source), "https://dynamodb.eu-west-1.amazonaws.com");
    EXPECT_EQ(source, "DynamoDB's endpoint rules for region 'eu-west-1'");
}

TEST_F(EndpointOrder, TheSelectedProfileIsTheOptionsThenAwsProfile) {
    config("[default]\nendpoint_url = http://127.0.0.1:5\n[profile ci]\nendpoint_url = http://127.0.0.1:6\n"
           "[profile other]\nendpoint_url = http://127.0.0.1:7\n");
    setenv("AWS_PROFILE", "ci", 1);
    EXPECT_EQ(endpoint(), "http://127.0.0.1:6");
    client_options o;
    o.credentials.profile = "other";
    EXPECT_EQ(endpoint(o), "http://127.0.0.1:7");
}

TEST_F(EndpointOrder, IgnoringConfiguredEndpointsLeavesTheRules) {
    config("[default]\nignore_configured_endpoint_urls = true\n" + std::string(full_profile).substr(10));
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:3", 1);
    EXPECT_EQ(endpoint(), "https://dynamodb.eu-west-1.amazonaws.com") << "by the profile's key";
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
    EXPECT_EQ(endpoint(), "http://127.0.0.1:3") << "the variable comes before the profile's key";
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
    EXPECT_EQ(endpoint(), "https://dynamodb.eu-west-1.amazonaws.com");
}

TEST_F(EndpointOrder, AServicesNameWithoutItsSectionIsAnErrorNamingBoth) {
    config("[default]\nservices = missing\n");
    EXPECT_EQ(endpoint(), "error: services in profile 'default' of " + (dir / "config").string() +
                              " names 'missing', but that file has no [services missing] section");
}

TEST_F(EndpointOrder, FipsAndDualStackComeFromTheOptionThenTheVariableThenTheProfile) {
    config("[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = true\n");
    EXPECT_EQ(endpoint({}, "us-east-2"), "https://dynamodb-fips.us-east-2.api.aws");
    setenv("AWS_USE_DUALSTACK_ENDPOINT", "false", 1);
    EXPECT_EQ(endpoint({}, "us-east-2"), "https://dynamodb-fips.us-east-2.amazonaws.com");
    client_options o;
    o.use_fips_endpoint = false;
    EXPECT_EQ(endpoint(o, "us-east-2"), "https://dynamodb.us-east-2.amazonaws.com");
    o.use_dualstack_endpoint = true;
    EXPECT_EQ(endpoint(o, "cn-north-1"), "https://dynamodb.cn-north-1.api.amazonwebservices.com.cn");
}

TEST_F(EndpointOrder, FipsWithAConfiguredEndpointIsRefusedNamingWhereEachCameFrom) {
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:3", 1);
    EXPECT_EQ(endpoint(), "error: DynamoDB's endpoint rules refuse this configuration: Invalid Configuration: FIPS "
                          "and custom endpoint are not supported (FIPS is on by AWS_USE_FIPS_ENDPOINT) (the endpoint "
                          "'http://127.0.0.1:3' is from AWS_ENDPOINT_URL)");
    unsetenv("AWS_USE_FIPS_ENDPOINT");
    client_options o;
    o.use_dualstack_endpoint = true;
    EXPECT_EQ(endpoint(o, "local"), "error: DynamoDB's endpoint rules refuse this configuration: Invalid "
                                    "Configuration: Dualstack and custom endpoint are not supported (dual-stack is on "
                                    "by client_options::use_dualstack_endpoint) (the endpoint 'http://127.0.0.1:3' is "
                                    "from AWS_ENDPOINT_URL)");
    unsetenv("AWS_ENDPOINT_URL");
    EXPECT_EQ(endpoint(o, "local"), "error: DynamoDB's endpoint rules refuse this configuration: Invalid "
                                    "Configuration: Dualstack and local endpoint are not supported (dual-stack is on "
                                    "by client_options::use_dualstack_endpoint) (region 'local')");
}

TEST_F(EndpointOrder, TheRegionsDualStackHostAsAConfiguredEndpointIsRefused) {
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "https://dynamodb.eu-west-1.api.aws", 1);
    EXPECT_NE(endpoint().find("Endpoint override is not supported for dual-stack endpoints"), std::string::npos);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "https://vpce-1a2b3c4d-5e6f.dynamodb.eu-west-1.vpce.api.aws", 1);
    EXPECT_EQ(endpoint(), "https://vpce-1a2b3c4d-5e6f.dynamodb.eu-west-1.vpce.api.aws");
}

TEST_F(EndpointOrder, ABooleanThatIsNeitherTrueNorFalseIsRefusedNamingItsSource) {
    setenv("AWS_USE_FIPS_ENDPOINT", "yes", 1);
    EXPECT_EQ(endpoint(), "error: AWS_USE_FIPS_ENDPOINT is 'yes'; it must be true or false");
    unsetenv("AWS_USE_FIPS_ENDPOINT");
    config("[default]\nuse_dualstack_endpoint = 1\n");
    EXPECT_EQ(endpoint(), "error: use_dualstack_endpoint in profile 'default' of " + (dir / "config").string() +
                              " is '1'; it must be true or false");
    config("[default]\nignore_configured_endpoint_urls = on\n");
    EXPECT_NE(endpoint().find("ignore_configured_endpoint_urls in profile 'default'"), std::string::npos);
}

TEST_F(EndpointOrder, AConfigFileThatDoesNotParseIsAnErrorNamingItsLine) {
    config("[default]\nendpoint_url http://127.0.0.1:5\n");
    EXPECT_EQ(endpoint(), "error: " + (dir / "config").string() + ":2: expected 'key = value'");
}

using RetrySettings = ConfiguredSettings;

// options.retry after resolution, or the error's message.
std::string resolved_retry(client_options o, unsigned* attempts = nullptr, retry_mode* mode = nullptr) {
    std::string why;
    if (error_code ec = dynamodb::resolve_retry(o, why)) return "error: " + why;
    if (attempts) *attempts = *o.retry.max_attempts;
    if (mode) *mode = *o.retry.mode;
    return {};
}

TEST_F(RetrySettings, DefaultsAreFourAttemptsInStandardMode) {
    unsigned attempts = 0;
    retry_mode mode = retry_mode::adaptive;
    EXPECT_EQ(resolved_retry({}, &attempts, &mode), "");
    EXPECT_EQ(attempts, 4u);
    EXPECT_EQ(mode, retry_mode::standard);
}

TEST_F(RetrySettings, TheOptionThenTheVariableThenTheProfile) {
    config("[default]\nmax_attempts = 7\nretry_mode = legacy\n");
    unsigned attempts = 0;
    retry_mode mode = retry_mode::standard;
    EXPECT_EQ(resolved_retry({}, &attempts, &mode), "");
    EXPECT_EQ(attempts, 7u);
    EXPECT_EQ(mode, retry_mode::legacy);
    setenv("AWS_MAX_ATTEMPTS", "2", 1);
    setenv("AWS_RETRY_MODE", "adaptive", 1);
    EXPECT_EQ(resolved_retry({}, &attempts, &mode), "");
    EXPECT_EQ(attempts, 2u);
    EXPECT_EQ(mode, retry_mode::adaptive);
    client_options o;
    o.retry.max_attempts = 9;
    o.retry.mode = retry_mode::standard;
    EXPECT_EQ(resolved_retry(o, &attempts, &mode), "");
    EXPECT_EQ(attempts, 9u);
    EXPECT_EQ(mode, retry_mode::standard);
}

TEST_F(RetrySettings, InvalidValuesAreRefusedNamingTheSettingAndWhatIsAllowed) {
    for (const char* bad : {"0", "-1", "three", "1e3", "4294967297", " 3", ""}) {
        if (!*bad) continue; // an empty variable is unset
        setenv("AWS_MAX_ATTEMPTS", bad, 1);
        EXPECT_EQ(resolved_retry({}), std::string("error: AWS_MAX_ATTEMPTS is '") + bad +
                                          "'; it must be a whole number of attempts from 1 (no retries) to 999999999");
    }
    unsetenv("AWS_MAX_ATTEMPTS");
    setenv("AWS_RETRY_MODE", "Adaptive", 1);
    EXPECT_EQ(resolved_retry({}), "error: AWS_RETRY_MODE is 'Adaptive'; it must be legacy, standard or adaptive");
    unsetenv("AWS_RETRY_MODE");
    config("[profile ci]\nretry_mode = fast\n");
    setenv("AWS_PROFILE", "ci", 1);
    EXPECT_EQ(resolved_retry({}), "error: retry_mode in profile 'ci' of " + (dir / "config").string() +
                                      " is 'fast'; it must be legacy, standard or adaptive");
}

using ClientConfiguration = ConfiguredSettings;

client make_client(boost::asio::io_context& io, client_options o) {
    o.credentials.explicit_credentials = credentials{"AKIDEXAMPLE", "secret", ""};
    return client(io.get_executor(), std::move(o));
}

TEST_F(ClientConfiguration, TheClientsOptionsShowTheResolvedRetrySettingsAndEndpoint) {
    boost::asio::io_context io;
    config("[default]\nregion = cn-north-1\nretry_mode = adaptive\nmax_attempts = 6\n");
    const client c = make_client(io, {});
    EXPECT_EQ(c.options().retry.max_attempts, 6u);
    EXPECT_EQ(c.options().retry.mode, retry_mode::adaptive);
    EXPECT_EQ(c.endpoint(), "https://dynamodb.cn-north-1.amazonaws.com.cn");
    const std::string in_profile = " in profile 'default' of " + (dir / "config").string();
    EXPECT_EQ(c.configuration().region_source, "region" + in_profile);
    EXPECT_EQ(c.configuration().retry_mode_source, "retry_mode" + in_profile);
    EXPECT_EQ(c.configuration().max_attempts_source, "max_attempts" + in_profile);
    client_options local;
    local.region = "local";
    local.retry.max_attempts = 2;
    const client_configuration chosen = make_client(io, local).configuration();
    EXPECT_EQ(chosen.endpoint, "http://localhost:8000");
    EXPECT_EQ(chosen.region_source, "client_options::region");
    EXPECT_EQ(chosen.max_attempts_source, "client_options::retry.max_attempts");
    EXPECT_EQ(chosen.retry_mode_source, "retry_mode" + in_profile);
    EXPECT_EQ(io.poll(), 0u) << "nothing was started";
}

TEST_F(ClientConfiguration, AClientRefusesWhatTheRulesRefuseBeforeAnyRequest) {
    boost::asio::io_context io;
    client_options o;
    o.region = "us-east-1";
    o.endpoint = "http://127.0.0.1:1";
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    try {
        make_client(io, o);
        ADD_FAILURE() << "FIPS with a custom endpoint was accepted";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_configuration);
        EXPECT_NE(std::string(e.what()).find("FIPS and custom endpoint are not supported"), std::string::npos) << e.what();
    }
    unsetenv("AWS_USE_FIPS_ENDPOINT");
    setenv("AWS_RETRY_MODE", "turbo", 1);
    try {
        make_client(io, o);
        ADD_FAILURE() << "an unknown retry mode was accepted";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_configuration);
        EXPECT_NE(std::string(e.what()).find("AWS_RETRY_MODE is 'turbo'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(io.poll(), 0u) << "nothing was started";
}

TEST_F(ClientConfiguration, AClientRefusesAProfileNeitherFileHasBeforeReadingItsSettings) {
    boost::asio::io_context io;
    test::scoped_environment credentials_file{"AWS_SHARED_CREDENTIALS_FILE"};
    setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
    config("[default]\nregion = eu-west-1\n[profile dev]\nregion = eu-north-1\n");
    setenv("AWS_PROFILE", "deve", 1);
    try {
        make_client(io, {});
        ADD_FAILURE() << "a misspelt profile was accepted";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), client_errc::invalid_configuration);
        EXPECT_NE(std::string(e.what()).find("the profile 'deve' (named by AWS_PROFILE) is in neither " +
                                             (dir / "credentials").string() + " nor " + (dir / "config").string()),
                  std::string::npos)
            << e.what();
    }
    setenv("AWS_PROFILE", "dev", 1);
    EXPECT_EQ(make_client(io, {}).endpoint(), "https://dynamodb.eu-north-1.amazonaws.com");
    EXPECT_EQ(io.poll(), 0u) << "nothing was started";
}

} // namespace
} // namespace ddbcache
