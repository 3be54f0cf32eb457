// The credentials sources that fetch over the network or from a command: STS web identity, the
// container agent, EC2 instance metadata (IMDSv2), and credential_process. Each is a fetcher,
// asked again at every refresh; none knows of caching, refresh or DynamoDB.
#pragma once

#include "fetched.hpp"

#include "../http/proxy.hpp"
#include "../http/tls_context.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>

namespace ddbcache::credentials_sources {

struct source_settings {
    boost::asio::any_io_executor executor;
    std::string region;                         // for STS's regional endpoint
    http::tls_options tls;                      // trust for HTTPS endpoints
    std::chrono::milliseconds metadata_timeout; // per request, IMDS and the container agent
    std::chrono::milliseconds sts_timeout;      // per AssumeRoleWithWebIdentity request
    std::chrono::milliseconds process_timeout{60'000}; // a credential_process run, start to exit
    std::function<std::chrono::system_clock::time_point()> clock = {}; // expirations' time; empty: system_clock
    http::proxy_settings proxies = {}; // for STS; IMDS and the container agent are reached directly
};

struct source {
    std::string name; // how errors name it, e.g. "web identity (AssumeRoleWithWebIdentity)"
    fetcher fetch;
};

struct web_identity_settings {
    std::string token_file, role_arn, session_name; // session_name may be empty
};

// Each factory reads the environment it documents and checks what can be checked without a
// request. A setting that cannot be used fails with ec set and `why` naming the variable.

// STS at AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com.
source web_identity_source(const source_settings& s, web_identity_settings w, error_code& ec, std::string& why);

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI (and the authorization token or its file);
// nullopt when neither is set.
std::optional<source> container_source_from_env(const source_settings& s, error_code& ec, std::string& why);

// IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT, else 169.254.169.254; nullopt when
// AWS_EC2_METADATA_DISABLED is "true".
std::optional<source> imds_source_from_env(const source_settings& s, error_code& ec, std::string& why);

// Runs `command` with /bin/sh -c and reads its JSON from standard output, within
// `s.process_timeout`; the command is killed (with its process group) when it runs over.
source process_source(const source_settings& s, const std::string& command);

} // namespace ddbcache::credentials_sources
