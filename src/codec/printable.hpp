// Untrusted text (a key, an attribute name) made safe to quote in an error message.
#pragma once

#include <string>
#include <string_view>

namespace ddbcache::codec {

// Printable ASCII kept, every other byte as \xNN, cut after 100 bytes ("..." then).
std::string printable(std::string_view text);

// Replaces every occurrence of `secret` (when not empty) in `text` with "[redacted]": for a server's
// answer that may quote what it was sent (a token, a signed header) before it goes into a message.
void redact(std::string& text, std::string_view secret);

} // namespace ddbcache::codec
