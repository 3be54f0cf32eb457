#include "client_config.hpp"

#include "../credentials/shared_files.hpp"

#include <ddbcache/version.hpp>

#include <cstdlib>
#include <string_view>

namespace ddbcache::dynamodb {
namespace {

std::string first_set(std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (const char* value = std::getenv(name); value && *value) return value;
    return {};
}

bool out_of_range(const char* name, std::chrono::milliseconds value, std::chrono::milliseconds low,
                  std::chrono::milliseconds high, const char* range, std::string& why) {
    if (value >= low && value <= high) return false;
    why = std::string("client_options::") + name + " is " + std::to_string(value.count()) + " ms; it must be " + range;
    return true;
}

} // namespace

error_code check_limits(const client_options& o, std::string& why) {
    using std::chrono::milliseconds;
    constexpr milliseconds day = std::chrono::hours(24), hour = std::chrono::hours(1);
    if (out_of_range("connect_timeout", o.connect_timeout, milliseconds(1), day, "from 1 ms to 1 day", why) ||
        out_of_range("attempt_timeout", o.attempt_timeout, milliseconds(1), day, "from 1 ms to 1 day", why) ||
        out_of_range("call_timeout", o.call_timeout, milliseconds(1), day, "from 1 ms to 1 day", why) ||
        out_of_range("idle_timeout", o.idle_timeout, milliseconds(0), day, "from 0 to 1 day", why) ||
        out_of_range("retry.base_delay", o.retry.base_delay, milliseconds(0), hour, "from 0 to 1 hour", why) ||
        out_of_range("retry.max_delay", o.retry.max_delay, milliseconds(0), hour, "from 0 to 1 hour", why))
        return client_errc::invalid_argument;
    if (out_of_range("credentials.metadata_timeout", o.credentials.metadata_timeout, milliseconds(1), day,
                     "from 1 ms to 1 day", why) ||
        out_of_range("credentials.refresh_before_expiry", o.credentials.refresh_before_expiry, milliseconds(0), day,
                     "from 0 to 1 day", why))
        return client_errc::invalid_argument;
    if (o.max_connections < 1 || o.max_connections > 100'000) {
        why = "client_options::max_connections is " + std::to_string(o.max_connections) + "; it must be from 1 to 100000";
        return client_errc::invalid_argument;
    }
    if (o.max_waiters > 100'000'000) {
        why = "client_options::max_waiters is " + std::to_string(o.max_waiters) + "; it must be at most 100000000";
        return client_errc::invalid_argument;
    }
    if (o.retry.max_attempts < 1) {
        why = "client_options::retry.max_attempts is 0; it must be at least 1 (the first try)";
        return client_errc::invalid_argument;
    }
    if (o.retry.quota > 1'000'000'000) {
        why = "client_options::retry.quota is " + std::to_string(o.retry.quota) + "; it must be at most 1000000000";
        return client_errc::invalid_argument;
    }
    return {};
}

std::string resolve_region(const client_options& options) {
    if (!options.region.empty()) return options.region;
    if (auto region = first_set({"AWS_REGION", "AWS_DEFAULT_REGION"}); !region.empty()) return region;
    return resolve_profile_region(options.credentials);
}

std::string resolve_endpoint_url(const client_options& options, const std::string& region, const char** source) {
    const char* unused = nullptr;
    const char*& from = source ? *source : unused;
    from = "client_options::endpoint";
    if (!options.endpoint.empty()) return options.endpoint;
    for (const char* name : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
        from = name;
        if (const char* value = std::getenv(name); value && *value) return value;
    }
    from = "the region";
    return "https://dynamodb." + region + ".amazonaws.com";
}

http::tls_options resolve_trust(const client_options& options) {
    if (!options.ca_file.empty() || !options.ca_dir.empty())
        return {options.ca_file, options.ca_dir, "client_options::ca_file"};
    if (std::string bundle = first_set({"AWS_CA_BUNDLE"}); !bundle.empty()) return {bundle, {}, "AWS_CA_BUNDLE"};
    std::string source;
    std::string bundle = credentials_files::config_file_setting(options.credentials.profile, "ca_bundle", &source);
    if (bundle.empty()) return {};
    return {bundle, {}, "ca_bundle of " + source};
}

error_code resolve_user_agent(const client_options& options, std::string& user_agent, std::string& why) {
    user_agent = "ddbcache/" + std::string(version);
    std::string app_id = options.app_id, source = "client_options::app_id";
    if (app_id.empty()) {
        app_id = first_set({"AWS_SDK_UA_APP_ID"});
        source = "AWS_SDK_UA_APP_ID";
    }
    if (app_id.empty()) {
        app_id = credentials_files::config_file_setting(options.credentials.profile, "sdk_ua_app_id", &source);
        source = "sdk_ua_app_id of " + source;
    }
    if (app_id.empty()) return {};
    if (app_id.size() > max_app_id_length) {
        why = "the application ID in " + source + " is " + std::to_string(app_id.size()) + " bytes; it may have at most " +
              std::to_string(max_app_id_length);
        return client_errc::invalid_argument;
    }
    constexpr std::string_view allowed_punctuation = "!#$%&'*+-.^_`|~";
    for (char& c : app_id) {
        const bool letter_or_digit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!letter_or_digit && allowed_punctuation.find(c) == std::string_view::npos) c = '-';
    }
    user_agent += " app/" + app_id;
    return {};
}

} // namespace ddbcache::dynamodb
