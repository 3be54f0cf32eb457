#include "shared_files.hpp"

#include <ddbcache/credentials.hpp>

#include <cstdlib>

namespace ddbcache {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

std::string setting(const credentials_files::profile& p, const char* key) {
    auto it = p.find(key);
    return it == p.end() ? std::string() : it->second;
}

std::optional<credentials> from_profile(const credentials_files::profile& p) {
    credentials c{setting(p, "aws_access_key_id"), setting(p, "aws_secret_access_key"),
                  setting(p, "aws_session_token")};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

} // namespace

credentials resolve_credentials(const credentials_options& options, error_code& ec, diagnostics& diag) {
    using namespace credentials_files;
    ec = {};
    if (options.explicit_credentials) return *options.explicit_credentials;

    credentials from_env{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
    if (!from_env.access_key_id.empty() && !from_env.secret_access_key.empty()) return from_env;

    // The credentials file wins over the config file, as in the AWS CLI and SDKs.
    const std::string name = selected_profile(options.profile);
    const std::pair<std::string, file_kind> files[] = {{credentials_file_path(), file_kind::credentials},
                                                        {config_file_path(), file_kind::config}};
    for (const auto& [path, kind] : files) {
        auto p = load_profile(path, kind, name, ec, diag);
        if (ec) return {};
        if (p) {
            if (auto c = from_profile(*p)) return *c;
        }
    }
    ec = client_errc::no_credentials;
    diag.message = "no AWS credentials: none given explicitly, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not both "
                   "set, and profile '" + name + "' has no aws_access_key_id/aws_secret_access_key in " +
                   files[0].first + " or " + files[1].first;
    return {};
}

std::string resolve_profile_region(const credentials_options& options) {
    using namespace credentials_files;
    error_code ec;
    diagnostics diag;
    auto p = load_profile(config_file_path(), file_kind::config, selected_profile(options.profile), ec, diag);
    if (!p) return {};
    return setting(*p, "region");
}

} // namespace ddbcache
