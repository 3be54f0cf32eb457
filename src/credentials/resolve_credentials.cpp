#include <ddbcache/credentials.hpp>

#include <cstdlib>

namespace ddbcache {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

} // namespace

credentials resolve_credentials(const credentials_options& options, error_code& ec, diagnostics& diag) {
    ec = {};
    if (options.explicit_credentials) return *options.explicit_credentials;

    credentials from_env{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
    if (!from_env.access_key_id.empty() && !from_env.secret_access_key.empty()) return from_env;

    ec = client_errc::no_credentials;
    diag.message = "no AWS credentials: none given explicitly, and AWS_ACCESS_KEY_ID/"
                   "AWS_SECRET_ACCESS_KEY are not both set";
    return {};
}

} // namespace ddbcache
