// The default credentials chain, in the AWS SDKs' order. Choosing a source reads only the
// environment and the shared files; fetching happens later, on the first call that signs.
#pragma once

#include "refreshing_credentials.hpp"
#include "sources.hpp"

namespace ddbcache::credentials_sources {

// The first configured source: explicit credentials; the environment's keys; web identity from
// the environment; the profile's keys in the credentials file; the profile's web identity; its
// credential_process; its keys in the config file; the container agent; IMDS (unless
// AWS_EC2_METADATA_DISABLED=true). Fails with no_credentials (`diag` names every source tried)
// or with the error of a setting that cannot be used.
std::shared_ptr<refreshing_credentials> choose_credentials(const credentials_options& options,
                                                           const source_settings& settings, error_code& ec,
                                                           diagnostics& diag);

} // namespace ddbcache::credentials_sources
