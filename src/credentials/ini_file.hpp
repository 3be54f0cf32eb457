// The AWS shared credentials and config files: INI with profiles.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ddbcache::credentials_files {

using profile = std::map<std::string, std::string>;
using profiles = std::map<std::string, profile>;

enum class file_kind {
    credentials, // sections are profile names: [default], [dev]
    config,      // sections are [default] and [profile dev]; other kinds ([sso-session x]) are skipped
    services,    // the config file's [services NAME] sections, by NAME; every other section is skipped
};

struct parse_error {
    unsigned line = 0;
    std::string reason; // never quotes the line: it may hold a secret
};

// Parses the text of a file. Comments start with '#' or ';' (inline when preceded by a space);
// keys and values are trimmed; indented lines below a key with an empty value are sub-settings
// (as in the "s3 =" block) and are kept as "parent.key".
std::optional<profiles> parse(std::string_view text, file_kind kind, parse_error& error);

} // namespace ddbcache::credentials_files
