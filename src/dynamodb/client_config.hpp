// Endpoint and region resolution, in the order the AWS SDKs use.
#pragma once

#include <ddbcache/client.hpp>

#include <string>

namespace ddbcache::dynamodb {

// options.region, AWS_REGION, AWS_DEFAULT_REGION, the config file's profile; empty when none is set.
std::string resolve_region(const client_options& options);

// Checks the numbers of the options against their ranges: timeouts from 1 ms to 1 day, backoff
// delays up to 1 hour, 1 to 100000 connections, at least one attempt, a quota up to 10^9 (so that
// deadlines and backoffs cannot overflow). Sets `why`, naming the option, its value and the range.
error_code check_limits(const client_options& options, std::string& why);

// options.endpoint, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then https://dynamodb.<region>.amazonaws.com.
// `source`, when given, receives where the URL came from (the option's or the variable's name).
std::string resolve_endpoint_url(const client_options& options, const std::string& region,
                                 const char** source = nullptr);

} // namespace ddbcache::dynamodb
