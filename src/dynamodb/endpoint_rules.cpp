#include "endpoint_rules.hpp"

#include <algorithm>
#include <array>
#include <regex>

namespace ddbcache::dynamodb {
namespace {

using namespace std::string_view_literals;

// botocore/data/partitions.json, version 1.1: regions listed by name, regex, suffixes. Every
// partition there supports FIPS and dual-stack today; the rules' errors for one that does not stay
// (older files had ISO partitions without dual-stack), and tests reach them with a partition of their own.
constexpr std::array aws_regions{"af-south-1"sv,     "ap-east-1"sv,      "ap-east-2"sv,      "ap-northeast-1"sv,
                                 "ap-northeast-2"sv, "ap-northeast-3"sv, "ap-south-1"sv,     "ap-south-2"sv,
                                 "ap-southeast-1"sv, "ap-southeast-2"sv, "ap-southeast-3"sv, "ap-southeast-4"sv,
                                 "ap-southeast-5"sv, "ap-southeast-6"sv, "ap-southeast-7"sv, "aws-global"sv,
                                 "ca-central-1"sv,   "ca-west-1"sv,      "eu-central-1"sv,   "eu-central-2"sv,
                                 "eu-north-1"sv,     "eu-south-1"sv,     "eu-south-2"sv,     "eu-west-1"sv,
                                 "eu-west-2"sv,      "eu-west-3"sv,      "il-central-1"sv,   "me-central-1"sv,
                                 "me-south-1"sv,     "mx-central-1"sv,   "sa-east-1"sv,      "us-east-1"sv,
                                 "us-east-2"sv,      "us-west-1"sv,      "us-west-2"sv};
constexpr std::array cn_regions{"aws-cn-global"sv, "cn-north-1"sv, "cn-northwest-1"sv};
constexpr std::array eusc_regions{"eusc-de-east-1"sv};
constexpr std::array iso_regions{"aws-iso-global"sv, "us-iso-east-1"sv, "us-iso-west-1"sv};
constexpr std::array iso_b_regions{"aws-iso-b-global"sv, "us-isob-east-1"sv, "us-isob-west-1"sv};
constexpr std::array iso_e_regions{"aws-iso-e-global"sv, "eu-isoe-west-1"sv};
constexpr std::array iso_f_regions{"aws-iso-f-global"sv, "us-isof-east-1"sv, "us-isof-south-1"sv};
constexpr std::array us_gov_regions{"aws-us-gov-global"sv, "us-gov-east-1"sv, "us-gov-west-1"sv};

const std::array<aws_partition, 8> partitions{{
    {"aws", R"(^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$)", aws_regions, "amazonaws.com", "api.aws", true, true},
    {"aws-cn", R"(^cn\-\w+\-\d+$)", cn_regions, "amazonaws.com.cn", "api.amazonwebservices.com.cn", true, true},
    {"aws-eusc", R"(^eusc\-(de)\-\w+\-\d+$)", eusc_regions, "amazonaws.eu", "api.amazonwebservices.eu", true, true},
    {"aws-iso", R"(^us\-iso\-\w+\-\d+$)", iso_regions, "c2s.ic.gov", "api.aws.ic.gov", true, true},
    {"aws-iso-b", R"(^us\-isob\-\w+\-\d+$)", iso_b_regions, "sc2s.sgov.gov", "api.aws.scloud", true, true},
    {"aws-iso-e", R"(^eu\-isoe\-\w+\-\d+$)", iso_e_regions, "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", true, true},
    {"aws-iso-f", R"(^us\-isof\-\w+\-\d+$)", iso_f_regions, "csp.hci.ic.gov", "api.aws.hci.ic.gov", true, true},
    {"aws-us-gov", R"(^us\-gov\-\w+\-\d+$)", us_gov_regions, "amazonaws.com", "api.aws", true, true},
}};

bool matches(std::string_view regex, std::string_view region) {
    const std::regex compiled(regex.begin(), regex.end(), std::regex::ECMAScript);
    return std::regex_search(region.begin(), region.end(), compiled);
}

// The authority (host[:port]) of an http or https URL without a query, as the rules' parseURL
// gives it; empty when parseURL would not parse it.
std::string_view authority_of(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || url.find('?') != std::string_view::npos) return {};
    const std::string_view scheme = url.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") return {};
    const std::string_view rest = url.substr(scheme_end + 3);
    return rest.substr(0, rest.find_first_of("/#"));
}

rules_endpoint failure(std::string message) { return {{}, {}, std::move(message)}; }

rules_endpoint regional(const endpoint_parameters& p, const aws_partition& partition) {
    const std::string& region = p.region;
    const auto url = [&](std::string_view host_prefix, std::string_view suffix) {
        return rules_endpoint{"https://" + std::string(host_prefix) + "." + region + "." + std::string(suffix), region, {}};
    };
    if (p.use_fips && p.use_dual_stack) {
        if (!partition.supports_fips || !partition.supports_dual_stack)
            return failure("FIPS and DualStack are enabled, but this partition does not support one or both");
        return url("dynamodb-fips", partition.dual_stack_dns_suffix);
    }
    if (p.use_fips) {
        if (!partition.supports_fips) return failure("FIPS is enabled but this partition does not support FIPS");
        // GovCloud's regional DynamoDB endpoints are FIPS endpoints already.
        if (partition.name == "aws-us-gov") return url("dynamodb", partition.dns_suffix);
        return url("dynamodb-fips", partition.dns_suffix);
    }
    if (p.use_dual_stack) {
        if (!partition.supports_dual_stack) return failure("DualStack is enabled but this partition does not support DualStack");
        return url("dynamodb", partition.dual_stack_dns_suffix);
    }
    return url("dynamodb", partition.dns_suffix);
}

} // namespace

std::span<const aws_partition> known_partitions() noexcept { return partitions; }

const aws_partition& partition_of(std::string_view region, std::span<const aws_partition> candidates) {
    for (const aws_partition& p : candidates)
        if (std::find(p.regions.begin(), p.regions.end(), region) != p.regions.end()) return p;
    for (const aws_partition& p : candidates)
        if (matches(p.region_regex, region)) return p;
    for (const aws_partition& p : candidates)
        if (p.name == "aws") return p;
    return candidates.front();
}

rules_endpoint resolve_rules_endpoint(const endpoint_parameters& p, std::span<const aws_partition> candidates) {
    if (!p.endpoint.empty()) {
        if (p.use_fips) return failure("Invalid Configuration: FIPS and custom endpoint are not supported");
        if (p.use_dual_stack) return failure("Invalid Configuration: Dualstack and custom endpoint are not supported");
        if (!p.region.empty()) {
            const std::string dual_stack_host =
                "dynamodb." + p.region + "." + std::string(partition_of(p.region, candidates).dual_stack_dns_suffix);
            if (authority_of(p.endpoint) == dual_stack_host)
                return failure("Endpoint override is not supported for dual-stack endpoints. Please enable dual-stack "
                               "functionality by enabling the configuration. For more details, see: "
                               "https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html");
        }
        return {p.endpoint, p.region, {}};
    }
    if (p.region.empty()) return failure("Invalid Configuration: Missing Region");
    if (p.region == "local") {
        if (p.use_fips) return failure("Invalid Configuration: FIPS and local endpoint are not supported");
        if (p.use_dual_stack) return failure("Invalid Configuration: Dualstack and local endpoint are not supported");
        return {"http://localhost:8000", "us-east-1", {}};
    }
    return regional(p, partition_of(p.region, candidates));
}

} // namespace ddbcache::dynamodb
