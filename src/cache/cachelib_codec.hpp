// The value encoding of cachelib's DynamoDbSerializer (used by Flask-Caching's DynamoDB backend):
// integers as ASCII digits, everything else as '!' + a pickle. Only the pickles of plain values
// are read (bytes, str, int, float, bool, None); the reader is a bounded parser of a few opcodes,
// never an interpreter.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ddbcache::cache_codec {

// '!' + pickle.dumps(bytes(value), protocol=5), byte for byte as CPython 3.8+ writes it.
void encode_cachelib(std::string_view value, std::string& out);

// '!' + pickle.dumps(None, protocol=5): what cachelib stores for None.
std::string encode_none();

// The ASCII digits cachelib writes for an int (and reads back as one).
std::string encode_integer(long long n);

struct decoded {
    enum class kind { value, none, unsupported } what = kind::value;
    std::string text;   // the value (bytes, UTF-8 of a str, or Python's str() of a number or bool)
    std::string reason; // for unsupported: what was found
};

// Reads a `response` attribute written by cachelib or by encode_cachelib/encode_integer.
decoded decode_cachelib(std::string_view stored);

// Python's repr() of a float (the shortest text that reads back to the same double).
std::string python_float_repr(double value);

// True for what Python's int() accepts as cachelib writes it: an optional '-' then digits.
bool is_integer_text(std::string_view text) noexcept;

} // namespace ddbcache::cache_codec
