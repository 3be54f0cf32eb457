// AWS credentials and where they come from.
#pragma once

#include <ddbcache/error.hpp>

#include <sigv4/sigv4.hpp>

#include <optional>
#include <string>

namespace ddbcache {

// Access key, secret and optional session token. Never printed by the library.
using credentials = sigv4::credentials;

// Where to look, in the AWS SDKs' order: the explicit credentials when given; the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); then the shared credentials and
// config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE).
struct credentials_options {
    std::optional<credentials> explicit_credentials;
    std::string profile; // empty: AWS_PROFILE, else "default"
};

// Resolves credentials once. Fails with client_errc::no_credentials (the message in `diag` names
// every source tried) or client_errc::invalid_credentials_file.
credentials resolve_credentials(const credentials_options& options, error_code& ec, diagnostics& diag);

// The `region` of the selected profile in the config file; empty when there is none.
std::string resolve_profile_region(const credentials_options& options);

} // namespace ddbcache
