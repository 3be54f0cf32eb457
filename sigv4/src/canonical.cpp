#include "canonical.hpp"

#include <algorithm>
#include <cstdint>

namespace sigv4::detail {
namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Malformed escapes are kept as they are, so that what the server sees is what was signed.
std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

std::string uri_encoded(std::string_view text) {
    std::string out;
    append_uri_encoded(out, text);
    return out;
}

void append_folded_value(std::string& out, std::string_view value) {
    bool pending_space = false;
    bool started = false;
    for (char c : value) {
        if (is_space(c)) {
            pending_space = started;
            continue;
        }
        if (pending_space) out.push_back(' ');
        out.push_back(c);
        pending_space = false;
        started = true;
    }
}

// Per-thread scratch space for header canonicalisation, so that signing does not allocate.
struct header_entry {
    std::size_t name_begin, name_size; // lower-cased name, in the arena
    std::size_t value_begin, value_size;
};

struct header_scratch {
    std::string arena;
    std::vector<header_entry> entries;
};

std::string_view slice(const std::string& arena, std::size_t begin, std::size_t size) {
    return std::string_view(arena).substr(begin, size);
}

} // namespace

void append_uri_encoded(std::string& out, std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 0xF]);
        }
    }
}

void append_canonical_path(std::string& out, std::string_view path, bool normalize) {
    if (path.empty() || path == "/") {
        out.push_back('/');
        return;
    }
    std::vector<std::string_view> segments;
    std::size_t pos = (path.front() == '/') ? 1 : 0;
    while (pos <= path.size()) {
        const std::size_t end = std::min(path.find('/', pos), path.size());
        const std::string_view segment = path.substr(pos, end - pos);
        pos = end + 1;
        if (normalize && segment == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!normalize || (!segment.empty() && segment != ".")) {
            segments.push_back(segment);
        }
    }
    for (std::string_view segment : segments) {
        out.push_back('/');
        append_uri_encoded(out, segment);
    }
    const bool trailing_slash = path.back() == '/';
    if (segments.empty() || (normalize && trailing_slash)) out.push_back('/');
}

void append_canonical_query(std::string& out, std::string_view raw_query,
                            std::span<const query_param> extra) {
    std::vector<query_param> params;
    while (!raw_query.empty()) {
        const std::size_t amp = raw_query.find('&');
        const std::string_view pair = raw_query.substr(0, amp);
        raw_query = (amp == std::string_view::npos) ? std::string_view{} : raw_query.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        const std::string_view value = (eq == std::string_view::npos) ? "" : pair.substr(eq + 1);
        params.emplace_back(uri_encoded(percent_decode(name)), uri_encoded(percent_decode(value)));
    }
    for (const auto& [name, value] : extra) params.emplace_back(uri_encoded(name), uri_encoded(value));
    std::sort(params.begin(), params.end());
    bool first = true;
    for (const auto& [name, value] : params) {
        if (!first) out.push_back('&');
        first = false;
        out += name;
        out.push_back('=');
        out += value;
    }
}

void append_canonical_headers(std::string& lines, std::string& signed_names,
                              std::span<const header> headers) {
    thread_local header_scratch scratch;
    std::string& arena = scratch.arena;
    auto& entries = scratch.entries;
    arena.clear();
    entries.clear();
    for (const header& h : headers) {
        header_entry e{arena.size(), h.name.size(), 0, 0};
        for (char c : h.name) arena.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c));
        e.value_begin = arena.size();
        append_folded_value(arena, h.value);
        e.value_size = arena.size() - e.value_begin;
        entries.push_back(e);
    }
    // Repeated names keep their values in the order given: ties go by position in the arena, which
    // is the order given (std::stable_sort would allocate a buffer on every call).
    std::sort(entries.begin(), entries.end(), [&](const header_entry& a, const header_entry& b) {
        const std::string_view x = slice(arena, a.name_begin, a.name_size), y = slice(arena, b.name_begin, b.name_size);
        return x < y || (x == y && a.name_begin < b.name_begin);
    });
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string_view name = slice(arena, entries[i].name_begin, entries[i].name_size);
        const bool continues = i > 0 && name == slice(arena, entries[i - 1].name_begin,
                                                      entries[i - 1].name_size);
        if (continues) {
            lines.back() = ','; // replace the previous line's '\n'
        } else {
            if (!signed_names.empty()) signed_names.push_back(';');
            signed_names += name;
            lines += name;
            lines.push_back(':');
        }
        lines += slice(arena, entries[i].value_begin, entries[i].value_size);
        lines.push_back('\n');
    }
}

} // namespace sigv4::detail
