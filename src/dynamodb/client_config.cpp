#include "client_config.hpp"

#include <cstdlib>

namespace ddbcache::dynamodb {
namespace {

std::string first_set(std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (const char* value = std::getenv(name); value && *value) return value;
    return {};
}

} // namespace

std::string resolve_region(const client_options& options) {
    if (!options.region.empty()) return options.region;
    if (auto region = first_set({"AWS_REGION", "AWS_DEFAULT_REGION"}); !region.empty()) return region;
    return resolve_profile_region(options.credentials);
}

std::string resolve_endpoint_url(const client_options& options, const std::string& region) {
    if (!options.endpoint.empty()) return options.endpoint;
    if (auto url = first_set({"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}); !url.empty()) return url;
    return "https://dynamodb." + region + ".amazonaws.com";
}

} // namespace ddbcache::dynamodb
