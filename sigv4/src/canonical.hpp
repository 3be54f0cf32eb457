// The canonical forms SigV4 signs: URI path, query string and header block.
#pragma once

#include <sigv4/sigv4.hpp>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sigv4::detail {

// RFC 3986 encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex).
void append_uri_encoded(std::string& out, std::string_view text);

// The path with each segment encoded; with `normalize`, "." and ".." resolved and empty segments
// dropped, keeping a trailing slash.
void append_canonical_path(std::string& out, std::string_view path, bool normalize);

// A query parameter already decoded (used for the parameters a presigned URL adds).
using query_param = std::pair<std::string, std::string>;

// The raw query's parameters decoded, then re-encoded, merged with `extra`, and sorted by encoded
// name, then by encoded value, joined with '&'.
void append_canonical_query(std::string& out, std::string_view raw_query,
                            std::span<const query_param> extra);

// Appends "name:value\n" for each distinct lower-cased name in sorted order (repeated names
// joined with ',', values trimmed and inner whitespace folded) to `lines`, and the sorted names
// joined with ';' to `signed_names`.
void append_canonical_headers(std::string& lines, std::string& signed_names,
                              std::span<const header> headers);

} // namespace sigv4::detail
