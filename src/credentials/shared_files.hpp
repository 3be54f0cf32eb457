// The AWS shared files (~/.aws/credentials and ~/.aws/config, or AWS_SHARED_CREDENTIALS_FILE and
// AWS_CONFIG_FILE) and the profile in use (an explicit name, AWS_PROFILE, else "default").
#pragma once

#include "ini_file.hpp"

#include <ddbcache/error.hpp>

#include <optional>
#include <string>

namespace ddbcache::credentials_files {

// The variable's value; `fallback` when it is unset or empty.
std::string env_or(const char* name, const std::string& fallback = {});

// Every file read for credentials is bounded: shared files and tokens are a few KB.
constexpr std::size_t max_shared_file = std::size_t{1} << 20;
constexpr std::size_t max_token_file = std::size_t{64} << 10;

// The whole file, when it has at most `limit` bytes and reading it cannot wait (not a FIFO or a
// socket; a device that would block, or one without end, is refused). nullopt when it cannot be
// opened (`refusal` empty), or is refused (`refusal` says why, naming the limit; never the content).
std::optional<std::string> read_whole_file(const std::string& path, std::size_t limit, std::string& refusal);

std::string credentials_file_path();
std::string config_file_path();
std::string selected_profile(const std::string& explicit_name);

// A profile that was named (`explicit_name`, else AWS_PROFILE) must be in the credentials file or
// the config file, as botocore's ProfileNotFound requires; only the unnamed "default" may be
// absent. Fails with client_errc::invalid_configuration, `why` naming the profile, who named it
// and both files; with client_errc::invalid_credentials_file when a file does not parse.
error_code check_named_profile(const std::string& explicit_name, std::string& why);

// A setting of the selected profile (`explicit_name`, else AWS_PROFILE, else "default") in the
// config file. Empty when unset, and when the file is missing or does not parse (reading
// credentials reports that file's errors). `source`, when given, receives "profile 'NAME' in PATH".
std::string config_file_setting(const std::string& explicit_name, const char* key, std::string* source = nullptr);

// The profile's settings in one file; nullopt when the file or the profile does not exist.
// A file that exists but does not parse fails with client_errc::invalid_credentials_file, and
// `diag.message` names the file and line (never its content).
std::optional<profile> load_profile(const std::string& path, file_kind kind, const std::string& name,
                                    error_code& ec, diagnostics& diag);

} // namespace ddbcache::credentials_files
