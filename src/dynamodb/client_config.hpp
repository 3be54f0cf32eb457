// Endpoint and region resolution, in the order the AWS SDKs use.
#pragma once

#include "../http/tls_context.hpp"

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

// What TLS trusts, for DynamoDB and the credentials endpoints alike: options.ca_file and
// options.ca_dir when either is set; else AWS_CA_BUNDLE; else `ca_bundle` in the config file's
// profile; else the system store (all empty). ca_file_source names where a bundle came from.
http::tls_options resolve_trust(const client_options& options);

// The longest application ID the AWS SDKs and Tools Reference Guide allows ("Application ID").
constexpr std::size_t max_app_id_length = 50;

// The User-Agent of every request: "ddbcache/<version>", then " app/<id>" with the application ID
// from options.app_id, else AWS_SDK_UA_APP_ID, else `sdk_ua_app_id` in the config file's profile.
// As the SDKs do, each byte of the ID outside letters, digits and !#$%&'*+-.^_`|~ becomes '-'.
// An ID over max_app_id_length bytes fails with client_errc::invalid_argument; `why` names where
// it was set and its length.
error_code resolve_user_agent(const client_options& options, std::string& user_agent, std::string& why);

} // namespace ddbcache::dynamodb
