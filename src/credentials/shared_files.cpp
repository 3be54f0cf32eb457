#include "shared_files.hpp"

#include "../codec/printable.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

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

std::optional<std::string> read_whole_file(const std::string& path, std::size_t limit, std::string& refusal) {
    refusal.clear();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    std::string text;
    struct stat info {};
    // Opened without blocking, and no FIFO or socket, whose reads wait on another program: a read
    // ends at once. (/dev/null stays usable: some set AWS_CONFIG_FILE to it.)
    if (::fstat(fd, &info) != 0) {
        refusal = "cannot be read";
    } else if (S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode)) {
        refusal = "is a pipe or socket, whose reads could wait without end";
    } else {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) refusal = "cannot be read"; // EAGAIN too: a terminal, say
            if (n <= 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
            if (text.size() > limit) {
                refusal = "is larger than " + std::to_string(limit) + " bytes";
                break;
            }
        }
    }
    ::close(fd);
    if (!refusal.empty()) return std::nullopt;
    return text;
}

std::string credentials_file_path() { return env_or("AWS_SHARED_CREDENTIALS_FILE", home_file(".aws/credentials")); }
std::string config_file_path() { return env_or("AWS_CONFIG_FILE", home_file(".aws/config")); }

std::string selected_profile(const std::string& explicit_name) {
    return explicit_name.empty() ? env_or("AWS_PROFILE", "default") : explicit_name;
}

error_code check_named_profile(const std::string& explicit_name, std::string& why) {
    const char* named_by = explicit_name.empty() ? "by AWS_PROFILE" : "explicitly";
    const std::string name = explicit_name.empty() ? env_or("AWS_PROFILE") : explicit_name;
    if (name.empty()) return {};
    const std::string credentials_path = credentials_file_path(), config_path = config_file_path();
    error_code ec;
    diagnostics diag;
    bool found = load_profile(credentials_path, file_kind::credentials, name, ec, diag).has_value();
    if (!ec && !found) found = load_profile(config_path, file_kind::config, name, ec, diag).has_value();
    if (ec) {
        why = diag.message;
        return ec;
    }
    if (found) return {};
    const auto shown = [](const std::string& path) { return path.empty() ? std::string("(no file: HOME is not set)") : path; };
    why = "the profile '" + codec::printable(name) + "' (named " + named_by + ") is in neither " +
          shown(credentials_path) + " nor " + shown(config_path);
    return client_errc::invalid_configuration;
}

std::string config_file_setting(const std::string& explicit_name, const char* key, std::string* source) {
    const std::string name = selected_profile(explicit_name), path = config_file_path();
    if (source) *source = "profile '" + name + "' in " + path;
    error_code ec;
    diagnostics diag;
    const std::optional<profile> p = load_profile(path, file_kind::config, name, ec, diag);
    if (!p) return {};
    auto it = p->find(key);
    return it == p->end() ? std::string() : it->second;
}

std::optional<profile> load_profile(const std::string& path, file_kind kind, const std::string& name,
                                    error_code& ec, diagnostics& diag) {
    ec = {};
    if (path.empty()) return std::nullopt;
    std::string refusal;
    const std::optional<std::string> text = read_whole_file(path, max_shared_file, refusal);
    if (!refusal.empty()) {
        ec = client_errc::invalid_credentials_file;
        diag.message = path + " " + refusal;
        return std::nullopt;
    }
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
