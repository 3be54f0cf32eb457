// Endpoint and region resolution, in the order the AWS SDKs use.
#pragma once

#include <ddbcache/client.hpp>

#include <string>

namespace ddbcache::dynamodb {

// options.region, AWS_REGION, AWS_DEFAULT_REGION, the config file's profile; empty when none is set.
std::string resolve_region(const client_options& options);

// options.endpoint, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then https://dynamodb.<region>.amazonaws.com.
std::string resolve_endpoint_url(const client_options& options, const std::string& region);

} // namespace ddbcache::dynamodb
