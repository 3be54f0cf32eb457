#include "ini_file.hpp"

namespace ddbcache::credentials_files {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string_view strip_inline_comment(std::string_view s) {
    for (std::size_t i = 1; i < s.size(); ++i)
        if ((s[i] == '#' || s[i] == ';') && (s[i - 1] == ' ' || s[i - 1] == '\t')) return s.substr(0, i);
    return s;
}

// The profile a section header names, or nullopt for sections that are not profiles.
std::optional<std::string> profile_name(std::string_view header, file_kind kind) {
    header = trim(header);
    if (kind == file_kind::credentials) return std::string(header);
    if (kind == file_kind::services) {
        if (header.starts_with("services ") || header.starts_with("services\t")) return std::string(trim(header.substr(9)));
        return std::nullopt;
    }
    if (header == "default") return std::string("default");
    if (header.starts_with("profile ") || header.starts_with("profile\t")) return std::string(trim(header.substr(8)));
    return std::nullopt;
}

} // namespace

std::optional<profiles> parse(std::string_view text, file_kind kind, parse_error& error) {
    profiles result;
    profile* current = nullptr; // null: before any section, or inside a skipped one
    bool in_skipped_section = false;
    std::string parent_key;     // a key whose value is an indented block
    unsigned line_number = 0;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        const std::string_view raw = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        ++line_number;
        const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;

        if (line.front() == '[') {
            const std::size_t close = line.find(']');
            if (close == std::string_view::npos) return error = {line_number, "section header without ']'"}, std::nullopt;
            const auto name = profile_name(line.substr(1, close - 1), kind);
            in_skipped_section = !name;
            current = name ? &result[*name] : nullptr;
            parent_key.clear();
            continue;
        }
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) return error = {line_number, "expected 'key = value'"}, std::nullopt;
        if (in_skipped_section) continue;
        if (!current) return error = {line_number, "setting outside any [section]"}, std::nullopt;
        const std::string key(trim(line.substr(0, eq)));
        const std::string value(trim(strip_inline_comment(line.substr(eq + 1))));
        if (key.empty()) return error = {line_number, "empty key"}, std::nullopt;
        if (indented && !parent_key.empty()) {
            std::string name = parent_key;
            name.append(1, '.').append(key);
            (*current)[name] = value;
            continue;
        }
        (*current)[key] = value;
        parent_key = value.empty() ? key : std::string();
    }
    return result;
}

} // namespace ddbcache::credentials_files
