#include "credentials_chain.hpp"
#include "shared_files.hpp"

#include <ddbcache/credentials.hpp>

namespace ddbcache {
namespace {
using credentials_files::env_or;
using credentials_files::profile;

std::string setting(const std::optional<profile>& p, const char* key) {
    if (!p) return {};
    auto it = p->find(key);
    return it == p->end() ? std::string() : it->second;
}

std::optional<credentials> keys_of(const std::optional<profile>& p) {
    credentials c{setting(p, "aws_access_key_id"), setting(p, "aws_secret_access_key"), setting(p, "aws_session_token")};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

std::optional<credentials> keys_from_env() {
    credentials c{env_or("AWS_ACCESS_KEY_ID"), env_or("AWS_SECRET_ACCESS_KEY"), env_or("AWS_SESSION_TOKEN")};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

// One key of the environment's pair without the other: an error, as botocore's
// PartialCredentialsError, rather than credentials from a source further down the chain.
bool partial_keys_in_env(error_code& ec, diagnostics& diag) {
    const bool id = !env_or("AWS_ACCESS_KEY_ID").empty(), secret = !env_or("AWS_SECRET_ACCESS_KEY").empty();
    if (id == secret) return false;
    ec = client_errc::no_credentials;
    diag.message = std::string("partial credentials in the environment: ") +
                   (id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                       : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    return true;
}

// The selected profile as the credentials file and the config file define it.
struct profiles_in_files {
    std::string name, credentials_path, config_path;
    std::optional<profile> in_credentials, in_config;
};

profiles_in_files load_profiles(const credentials_options& options, error_code& ec, diagnostics& diag) {
    using namespace credentials_files;
    profiles_in_files p{selected_profile(options.profile), credentials_file_path(), config_file_path(), {}, {}};
    p.in_credentials = load_profile(p.credentials_path, file_kind::credentials, p.name, ec, diag);
    if (!ec) p.in_config = load_profile(p.config_path, file_kind::config, p.name, ec, diag);
    return p;
}

// A profile setting, from the credentials file first (the SDKs read both).
std::string profile_setting(const profiles_in_files& p, const char* key) {
    std::string v = setting(p.in_credentials, key);
    return v.empty() ? setting(p.in_config, key) : v;
}

std::string nothing_found(const profiles_in_files& p) {
    return "no AWS credentials: none given explicitly, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not both set, no "
           "AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN, and profile '" + p.name +
           "' has no aws_access_key_id/aws_secret_access_key, web_identity_token_file or credential_process in " +
           p.credentials_path + " or " + p.config_path;
}

} // namespace

credentials resolve_credentials(const credentials_options& options, error_code& ec, diagnostics& diag) {
    ec = {};
    if (std::string why; (ec = credentials_files::check_named_profile(options.profile, why))) {
        diag.message = why;
        return {};
    }
    if (options.explicit_credentials) return *options.explicit_credentials;
    if (auto c = keys_from_env()) return *c;
    if (partial_keys_in_env(ec, diag)) return {};
    const profiles_in_files p = load_profiles(options, ec, diag);
    if (ec) return {};
    if (auto c = keys_of(p.in_credentials)) return *c;
    if (auto c = keys_of(p.in_config)) return *c;
    ec = client_errc::no_credentials;
    diag.message = nothing_found(p);
    return {};
}

std::string resolve_profile_region(const credentials_options& options) {
    return credentials_files::config_file_setting(options.profile, "region");
}

namespace credentials_sources {
namespace {

std::shared_ptr<refreshing_credentials> fetching(const credentials_options& options, const source_settings& s,
                                                 source chosen) {
    return std::make_shared<refreshing_credentials>(s.executor, std::move(chosen.name), std::move(chosen.fetch),
                                                    options.refresh_before_expiry,
                                                    s.clock ? s.clock : wall_now(wall_clock::now));
}

// No source, with `why` the setting that cannot be used (the caller has set the error code).
std::shared_ptr<refreshing_credentials> unusable(const std::string& why, diagnostics& diag) {
    diag.message = "cannot use the configured credentials source: " + why;
    return nullptr;
}

std::shared_ptr<refreshing_credentials> fixed(credentials c, std::string name, error_code& ec, diagnostics& diag) {
    if (const char* field = unsafe_credentials_field(c)) {
        ec = client_errc::invalid_header_value;
        return unusable(name + ": the " + field + " holds a control character", diag);
    }
    return std::make_shared<refreshing_credentials>(std::move(c), std::move(name));
}

} // namespace

std::shared_ptr<refreshing_credentials> choose_credentials(const credentials_options& options,
                                                           const source_settings& s, error_code& ec,
                                                           diagnostics& diag) {
    ec = {};
    std::string why;
    if (options.explicit_credentials) return fixed(*options.explicit_credentials, "explicit credentials", ec, diag);
    if (auto c = keys_from_env()) return fixed(*c, "environment variables", ec, diag);
    if (partial_keys_in_env(ec, diag)) return nullptr;
    if (const std::string file = env_or("AWS_WEB_IDENTITY_TOKEN_FILE"), role = env_or("AWS_ROLE_ARN");
        !file.empty() && !role.empty()) {
        source src = web_identity_source(s, {file, role, env_or("AWS_ROLE_SESSION_NAME")}, ec, why);
        return ec ? unusable(why, diag) : fetching(options, s, std::move(src));
    }
    const profiles_in_files p = load_profiles(options, ec, diag);
    if (ec) return nullptr;
    const std::string in_profile = "profile '" + p.name + "'";
    if (auto c = keys_of(p.in_credentials)) return fixed(*c, in_profile + " in " + p.credentials_path, ec, diag);
    if (const std::string file = profile_setting(p, "web_identity_token_file"); !file.empty()) {
        const std::string role = profile_setting(p, "role_arn");
        if (role.empty()) {
            ec = client_errc::no_credentials;
            return unusable(in_profile + " has web_identity_token_file but no role_arn", diag);
        }
        source src = web_identity_source(s, {file, role, profile_setting(p, "role_session_name")}, ec, why);
        return ec ? unusable(why, diag) : fetching(options, s, std::move(src));
    }
    if (const std::string command = profile_setting(p, "credential_process"); !command.empty())
        return fetching(options, s, process_source(s, command));
    if (auto c = keys_of(p.in_config)) return fixed(*c, in_profile + " in " + p.config_path, ec, diag);
    if (!profile_setting(p, "role_arn").empty()) {
        ec = client_errc::no_credentials;
        return unusable(in_profile + " assumes a role with source_profile or credential_source (AssumeRole), which ddbcache does not support", diag);
    }
    if (auto src = container_source_from_env(s, ec, why)) return fetching(options, s, std::move(*src));
    if (ec) return unusable(why, diag);
    if (auto src = imds_source_from_env(s, ec, why)) return fetching(options, s, std::move(*src));
    if (ec) return unusable(why, diag);
    ec = client_errc::no_credentials;
    diag.message = nothing_found(p) + ", no container credentials variables, and AWS_EC2_METADATA_DISABLED is true";
    return nullptr;
}

} // namespace credentials_sources
} // namespace ddbcache
