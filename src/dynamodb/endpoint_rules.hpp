// DynamoDB's endpoint rule set, hand-written: the AWS partitions (which region belongs where, and
// each one's DNS suffixes) and the rules that turn a region, FIPS and dual-stack into a URL.
//
// Facts from botocore's data/partitions.json (version 1.1) and
// data/dynamodb/2012-08-10/endpoint-rule-set-1.json, without the rules for account-ID endpoints
// (AccountIdEndpointMode, which ddbcache does not set: they never apply) and the search operations.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace ddbcache::dynamodb {

// One AWS partition, as partitions.json describes it.
struct aws_partition {
    std::string_view name;                  // "aws", "aws-cn", "aws-us-gov", "aws-iso", ...
    std::string_view region_regex;          // ECMAScript regular expression of its regions' names
    std::span<const std::string_view> regions; // regions listed by name (matched before any regex)
    std::string_view dns_suffix;            // "amazonaws.com"
    std::string_view dual_stack_dns_suffix; // "api.aws"
    bool supports_fips = true;
    bool supports_dual_stack = true;
};

// Every partition partitions.json lists, in its order.
std::span<const aws_partition> known_partitions() noexcept;

// The partition of `region`, as the rule set's aws.partition function finds it: the partition
// that lists the region by name, else the first whose regionRegex matches, else "aws".
const aws_partition& partition_of(std::string_view region, std::span<const aws_partition> partitions = known_partitions());

// The rule set's parameters: Region, UseFIPS, UseDualStack, Endpoint (a configured endpoint URL,
// empty when none).
struct endpoint_parameters {
    std::string region;
    bool use_fips = false;
    bool use_dual_stack = false;
    std::string endpoint;
};

// What the rules chose: a URL and the region to sign with (the region itself, except for the
// special region "local": http://localhost:8000, signed for us-east-1). `error` is the rule set's
// own message when the rules end in an error instead (FIPS or dual-stack with a configured
// endpoint or with "local", FIPS or dual-stack in a partition without it, a configured endpoint
// that is the region's dual-stack host, no region); url is then empty.
struct rules_endpoint {
    std::string url;
    std::string signing_region;
    std::string error;
};

// Evaluates DynamoDB's rules. Pure: reads nothing but its arguments. Thread-safe.
rules_endpoint resolve_rules_endpoint(const endpoint_parameters& parameters,
                                      std::span<const aws_partition> partitions = known_partitions());

} // namespace ddbcache::dynamodb
