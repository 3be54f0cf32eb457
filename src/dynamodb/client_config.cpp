#include "client_config.hpp"

#include "../codec/printable.hpp"
#include "../credentials/shared_files.hpp"
#include "endpoint_rules.hpp"

#include <ddbcache/version.hpp>

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace ddbcache::dynamodb {
namespace {

std::string first_set(std::initializer_list<const char*> names, const char** which = nullptr) {
    for (const char* name : names)
        if (const char* value = std::getenv(name); value && *value) {
            if (which) *which = name;
            return value;
        }
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
    if (o.retry.max_attempts == 0u) {
        why = "client_options::retry.max_attempts is 0; it must be at least 1 (the first try)";
        return client_errc::invalid_argument;
    }
    if (o.retry.quota > 1'000'000'000) {
        why = "client_options::retry.quota is " + std::to_string(o.retry.quota) + "; it must be at most 1000000000";
        return client_errc::invalid_argument;
    }
    return {};
}

namespace {

// The selected profile of the config file, read once for the settings that follow.
struct config_profile {
    std::string name, path;
    std::optional<credentials_files::profile> values;

    std::string get(const std::string& key) const {
        if (!values) return {};
        auto it = values->find(key);
        return it == values->end() ? std::string() : it->second;
    }
    std::string where(const std::string& key) const { return key + " in profile '" + name + "' of " + path; }
};

error_code load_config_profile(const client_options& o, config_profile& out, std::string& why) {
    using namespace credentials_files;
    out.name = selected_profile(o.credentials.profile);
    out.path = config_file_path();
    error_code ec;
    diagnostics diag;
    out.values = load_profile(out.path, file_kind::config, out.name, ec, diag);
    if (ec) why = diag.message;
    return ec;
}

// A setting's value (empty: unset) and where it came from.
struct setting {
    std::string value, source;
};

// The variable when set, else the profile's key.
setting lookup(const char* variable, const char* key, const config_profile& profile) {
    if (std::string v = credentials_files::env_or(variable); !v.empty()) return {v, variable};
    if (std::string v = profile.get(key); !v.empty()) return {v, profile.where(key)};
    return {};
}

error_code refuse(const setting& s, const char* allowed, std::string& why) {
    why = s.source + " is '" + codec::printable(s.value) + "'; it must be " + allowed;
    return client_errc::invalid_configuration;
}

// "true" or "false" in any case, as the SDKs read them; `out` is left alone when unset.
error_code read_boolean(const setting& s, bool& out, std::string& why) {
    if (s.value.empty()) return {};
    std::string lower = s.value;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "true" && lower != "false") return refuse(s, "true or false", why);
    out = lower == "true";
    return {};
}

// An explicit option, else the variable, else the profile's key; `source` says which (empty: off by default).
error_code resolve_flag(const std::optional<bool>& option, const char* option_name, const char* variable,
                        const char* key, const config_profile& profile, bool& out, std::string& source,
                        std::string& why) {
    out = false;
    if (option) {
        out = *option;
        source = option_name;
        return {};
    }
    const setting s = lookup(variable, key, profile);
    source = s.source;
    return read_boolean(s, out, why);
}

// The endpoint configured outside the rule set, in the guide's order; empty url when none.
error_code configured_url(const client_options& o, const config_profile& profile, std::string& url,
                          std::string& source, std::string& why) {
    if (!o.endpoint.empty()) {
        url = o.endpoint;
        source = "client_options::endpoint";
        return {};
    }
    bool ignore = false;
    const setting ignore_setting = lookup("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls", profile);
    if (error_code ec = read_boolean(ignore_setting, ignore, why)) return ec;
    if (ignore) return {};
    for (const char* variable : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
        if (std::string v = credentials_files::env_or(variable); !v.empty()) {
            url = std::move(v);
            source = variable;
            return {};
        }
    }
    if (const std::string services = profile.get("services"); !services.empty()) {
        error_code ec;
        diagnostics diag;
        const auto section =
            credentials_files::load_profile(profile.path, credentials_files::file_kind::services, services, ec, diag);
        if (ec) return why = diag.message, ec;
        if (!section) {
            why = profile.where("services") + " names '" + codec::printable(services) + "', but that file has no [services " +
                  codec::printable(services) + "] section";
            return client_errc::invalid_configuration;
        }
        if (auto it = section->find("dynamodb.endpoint_url"); it != section->end() && !it->second.empty()) {
            url = it->second;
            source = "endpoint_url under dynamodb in [services " + services + "] of " + profile.path;
            return {};
        }
    }
    if (std::string v = profile.get("endpoint_url"); !v.empty()) {
        url = std::move(v);
        source = profile.where("endpoint_url");
    }
    return {};
}

} // namespace

std::string resolve_region(const client_options& options, std::string* source) {
    std::string region, where;
    const char* variable = nullptr;
    if (!options.region.empty()) {
        region = options.region;
        where = "client_options::region";
    } else if (std::string set = first_set({"AWS_REGION", "AWS_DEFAULT_REGION"}, &variable); !set.empty()) {
        region = std::move(set);
        where = variable;
    } else {
        // A config file that does not parse leaves the region unset: resolve_endpoint reports it.
        config_profile profile;
        if (std::string why; !load_config_profile(options, profile, why)) region = profile.get("region");
        if (!region.empty()) where = profile.where("region");
    }
    if (source) *source = std::move(where);
    return region;
}

error_code resolve_endpoint(const client_options& o, const std::string& region, configured_endpoint& out,
                            std::string& why) {
    config_profile profile;
    if (error_code ec = load_config_profile(o, profile, why)) return ec;
    endpoint_parameters parameters{region, false, false, {}};
    std::string fips_source, dual_stack_source;
    if (error_code ec = resolve_flag(o.use_fips_endpoint, "client_options::use_fips_endpoint", "AWS_USE_FIPS_ENDPOINT",
                                     "use_fips_endpoint", profile, parameters.use_fips, fips_source, why))
        return ec;
    if (error_code ec = resolve_flag(o.use_dualstack_endpoint, "client_options::use_dualstack_endpoint",
                                     "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint", profile,
                                     parameters.use_dual_stack, dual_stack_source, why))
        return ec;
    if (error_code ec = configured_url(o, profile, parameters.endpoint, out.source, why)) return ec;
    const rules_endpoint chosen = resolve_rules_endpoint(parameters);
    if (!chosen.error.empty()) {
        why = "DynamoDB's endpoint rules refuse this configuration: " + chosen.error;
        if (parameters.use_fips) why += " (FIPS is on by " + fips_source + ")";
        if (parameters.use_dual_stack) why += " (dual-stack is on by " + dual_stack_source + ")";
        if (!parameters.endpoint.empty())
            why += " (the endpoint '" + http::url_in_messages(parameters.endpoint) + "' is from " + out.source + ")";
        else why += " (region '" + region + "')";
        return client_errc::invalid_configuration;
    }
    out.url = chosen.url;
    out.signing_region = chosen.signing_region;
    if (parameters.endpoint.empty()) out.source = "DynamoDB's endpoint rules for region '" + region + "'";
    return {};
}

error_code resolve_retry(client_options& o, std::string& why, setting_sources* sources) {
    std::string attempts_source = "client_options::retry.max_attempts", mode_source = "client_options::retry.mode";
    config_profile profile;
    if (!o.retry.max_attempts || !o.retry.mode)
        if (error_code ec = load_config_profile(o, profile, why)) return ec;
    if (!o.retry.max_attempts) {
        const setting s = lookup("AWS_MAX_ATTEMPTS", "max_attempts", profile);
        o.retry.max_attempts = retry_options::default_max_attempts;
        attempts_source = s.value.empty() ? "default" : s.source;
        if (!s.value.empty()) {
            // Digits only, at most 9 of them: no sign, no overflow.
            const bool digits = s.value.size() <= 9 && s.value.find_first_not_of("0123456789") == std::string::npos;
            const unsigned long n = digits ? std::stoul(s.value) : 0;
            if (n < 1) return refuse(s, "a whole number of attempts from 1 (no retries) to 999999999", why);
            o.retry.max_attempts = static_cast<unsigned>(n);
        }
    }
    if (!o.retry.mode) {
        const setting s = lookup("AWS_RETRY_MODE", "retry_mode", profile);
        mode_source = s.value.empty() ? "default" : s.source;
        if (s.value.empty() || s.value == "standard") o.retry.mode = retry_mode::standard;
        else if (s.value == "adaptive") o.retry.mode = retry_mode::adaptive;
        else if (s.value == "legacy") o.retry.mode = retry_mode::legacy;
        else return refuse(s, "legacy, standard or adaptive", why);
    }
    if (sources) {
        sources->max_attempts = std::move(attempts_source);
        sources->retry_mode = std::move(mode_source);
    }
    return {};
}

http::tls_options resolve_trust(const client_options& options) {
    if (!options.ca_file.empty() || !options.ca_dir.empty())
        return {options.ca_file, options.ca_dir, options.ca_file.empty() ? "client_options::ca_dir" : "client_options::ca_file"};
    if (std::string bundle = first_set({"AWS_CA_BUNDLE"}); !bundle.empty()) return {bundle, {}, "AWS_CA_BUNDLE"};
    std::string source;
    std::string bundle = credentials_files::config_file_setting(options.credentials.profile, "ca_bundle", &source);
    if (bundle.empty()) return {};
    return {bundle, {}, "ca_bundle of " + source};
}

error_code resolve_proxies(const client_options& options, http::proxy_settings& out, std::string& why) {
    out = {};
    error_code ec;
    if (options.proxy) {
        if (options.proxy->empty()) return {};
        out.for_https = http::parse_proxy_url(*options.proxy, "client_options::proxy", ec, why);
        out.for_http = out.for_https;
        return ec;
    }
    const char* source = nullptr;
    if (std::string url = first_set({"https_proxy", "HTTPS_PROXY"}, &source); !url.empty()) {
        out.for_https = http::parse_proxy_url(url, source, ec, why);
        if (ec) return ec;
    }
    if (std::string url = first_set({"http_proxy", "HTTP_PROXY"}, &source); !url.empty()) {
        out.for_http = http::parse_proxy_url(url, source, ec, why);
        if (ec) return ec;
    }
    out.no_proxy = first_set({"no_proxy", "NO_PROXY"}, &source);
    if (!out.no_proxy.empty()) out.no_proxy_source = source;
    return {};
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
