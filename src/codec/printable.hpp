// Untrusted text (a key, an attribute name) made safe to quote in an error message.
#pragma once

#include <string>
#include <string_view>

namespace ddbcache::codec {

// Printable ASCII kept, every other byte as \xNN, cut after 100 bytes ("..." then).
std::string printable(std::string_view text);

} // namespace ddbcache::codec
