// AWS credentials and where they come from.
#pragma once

#include <ddbcache/error.hpp>

#include <sigv4/sigv4.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ddbcache {

// Access key, secret and optional session token. Never printed by the library.
using credentials = sigv4::credentials;

// Where the client looks, in the AWS SDKs' order: the explicit credentials when given; the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); web identity
// (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME: STS AssumeRoleWithWebIdentity
// at AWS_ENDPOINT_URL_STS or the regional endpoint); the profile (AWS_PROFILE) in the shared files
// (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE): its keys in the credentials file, its
// web_identity_token_file/role_arn, its credential_process, its keys in the config file; the
// container agent (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
// AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE); EC2 instance metadata, IMDSv2
// (AWS_EC2_METADATA_SERVICE_ENDPOINT; AWS_EC2_METADATA_DISABLED=true skips it).
struct credentials_options {
    std::optional<credentials> explicit_credentials;
    std::string profile; // empty: AWS_PROFILE, else "default"
    // Credentials that expire are fetched again this long before; calls wait for the new ones
    // only within the last fifth of it (before that they keep signing with the old ones).
    std::chrono::seconds refresh_before_expiry{300};
    std::chrono::milliseconds metadata_timeout{1000}; // per request to IMDS or the container agent
};

// The static sources only (explicit, environment, keys in the shared files), resolved at once;
// the client also uses the sources that fetch. Fails with client_errc::no_credentials (the
// message in `diag` names every source tried), client_errc::invalid_credentials_file, or
// client_errc::invalid_configuration when a profile that was named (options.profile, AWS_PROFILE)
// is in neither shared file, whatever the other sources hold (botocore's ProfileNotFound).
credentials resolve_credentials(const credentials_options& options, error_code& ec, diagnostics& diag);

// The `region` of the selected profile in the config file; empty when there is none.
std::string resolve_profile_region(const credentials_options& options);

} // namespace ddbcache
