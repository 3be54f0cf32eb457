#include "shared_files.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ddbcache::credentials_files {
namespace {

std::string home_file(const char* relative) {
    const char* home = std::getenv("HOME");
    return home ? std::string(home) + "/" + relative : std::string();
}

} // namespace

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

std::string credentials_file_path() { return env_or("AWS_SHARED_CREDENTIALS_FILE", home_file(".aws/credentials")); }
std::string config_file_path() { return env_or("AWS_CONFIG_FILE", home_file(".aws/config")); }

std::string selected_profile(const std::string& explicit_name) {
    return explicit_name.empty() ? env_or("AWS_PROFILE", "default") : explicit_name;
}

std::optional<profile> load_profile(const std::string& path, file_kind kind, const std::string& name,
                                    error_code& ec, diagnostics& diag) {
    ec = {};
    if (path.empty()) return std::nullopt;
    const std::optional<std::string> text = read_whole_file(path);
    if (!text) return std::nullopt;
    parse_error error;
    auto parsed = parse(*text, kind, error);
    if (!parsed) {
        ec = client_errc::invalid_credentials_file;
        diag.message = path + ":" + std::to_string(error.line) + ": " + error.reason;
        return std::nullopt;
    }
    auto it = parsed->find(name);
    if (it == parsed->end()) return std::nullopt;
    return std::move(it->second);
}

} // namespace ddbcache::credentials_files
