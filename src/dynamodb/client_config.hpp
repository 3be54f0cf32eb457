// Endpoint, region and retry settings resolution, in the order the AWS SDKs use.
#pragma once

#include "../http/proxy.hpp"
#include "../http/tls_context.hpp"

#include <ddbcache/client.hpp>

#include <string>

namespace ddbcache::dynamodb {

// Where settings came from, as client_configuration reports them: the option
// ("client_options::region"), the variable, "KEY in profile 'NAME' of PATH", or "default".
struct setting_sources {
    std::string region, retry_mode, max_attempts;
};

// options.region, AWS_REGION, AWS_DEFAULT_REGION, the config file's profile; empty when none is
// set. `source`, when given, receives where it came from (empty when none is set).
std::string resolve_region(const client_options& options, std::string* source = nullptr);

// Checks the numbers of the options against their ranges: timeouts from 1 ms to 1 day, backoff
// delays up to 1 hour, 1 to 100000 connections, at least one attempt, a quota up to 10^9 (so that
// deadlines and backoffs cannot overflow). Sets `why`, naming the option, its value and the range.
error_code check_limits(const client_options& options, std::string& why);

// Where calls go, and the region their signatures name.
struct configured_endpoint {
    std::string url;
    std::string source;         // where the URL came from: "client_options::endpoint", a variable, a profile key, "the rule set"
    std::string signing_region; // the region, except for the rule set's "local" (us-east-1)
};

// The endpoint in the order of the AWS SDKs and Tools Reference Guide ("Service-specific
// endpoints"): options.endpoint; unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's
// ignore_configured_endpoint_urls) is true, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL,
// `endpoint_url` under `dynamodb =` in the [services NAME] section the profile's `services` names,
// the profile's `endpoint_url`; the URL found is then DynamoDB's rule set's Endpoint parameter,
// with FIPS (options.use_fips_endpoint, AWS_USE_FIPS_ENDPOINT, use_fips_endpoint) and dual-stack
// (options.use_dualstack_endpoint, AWS_USE_DUALSTACK_ENDPOINT, use_dualstack_endpoint): see
// endpoint_rules.hpp. The profile is options.credentials.profile, AWS_PROFILE or "default", in the
// config file (AWS_CONFIG_FILE, ~/.aws/config). Reads the environment and that file; no I/O else.
// Fails with client_errc::invalid_configuration when a setting is not "true" or "false", when the
// profile names a [services] section the file lacks, or when the rule set ends in an error (its
// message, with where each setting came from); with client_errc::invalid_credentials_file when the
// config file does not parse. `why` names the variable or key, never a secret.
error_code resolve_endpoint(const client_options& options, const std::string& region, configured_endpoint& out,
                            std::string& why);

// Fills what options.retry leaves unset: max_attempts from AWS_MAX_ATTEMPTS, else `max_attempts`
// in the config file's profile, else 4; mode from AWS_RETRY_MODE, else `retry_mode` in the
// profile ("legacy", "standard" or "adaptive"), else standard. Fails with
// client_errc::invalid_configuration when a value is not allowed (`why` names the variable or
// key, the value and what is allowed), invalid_credentials_file when the file does not parse.
// `sources`, when given, receives where each came from.
error_code resolve_retry(client_options& options, std::string& why, setting_sources* sources = nullptr);

// What TLS trusts, for DynamoDB and the credentials endpoints alike: options.ca_file and
// options.ca_dir when either is set; else AWS_CA_BUNDLE; else `ca_bundle` in the config file's
// profile; else the system store (all empty). ca_file_source names where a bundle came from.
http::tls_options resolve_trust(const client_options& options);

// The proxies: options.proxy for every host when set (empty: none); else https_proxy, then
// HTTPS_PROXY, for HTTPS endpoints, http_proxy then HTTP_PROXY for plain HTTP, and no_proxy then
// NO_PROXY: lowercase first as curl reads them, uppercase too as botocore does. Fails with
// client_errc::invalid_configuration for a URL that cannot be used; `why` names where it was set,
// never its user info.
error_code resolve_proxies(const client_options& options, http::proxy_settings& out, std::string& why);

// The longest application ID the AWS SDKs and Tools Reference Guide allows ("Application ID").
constexpr std::size_t max_app_id_length = 50;

// The User-Agent of every request: "ddbcache/<version>", then " app/<id>" with the application ID
// from options.app_id, else AWS_SDK_UA_APP_ID, else `sdk_ua_app_id` in the config file's profile.
// As the SDKs do, each byte of the ID outside letters, digits and !#$%&'*+-.^_`|~ becomes '-'.
// An ID over max_app_id_length bytes fails with client_errc::invalid_argument; `why` names where
// it was set and its length.
error_code resolve_user_agent(const client_options& options, std::string& user_agent, std::string& why);

} // namespace ddbcache::dynamodb
