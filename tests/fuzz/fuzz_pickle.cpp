// The pickle decoder: any stored bytes decode or are refused with a reason; and any bytes the
// encoder writes decode back to themselves.
#include "cache/cachelib_codec.hpp"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using ddbcache::cache_codec::decoded;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const decoded d = ddbcache::cache_codec::decode_cachelib(bytes);
    if (d.what == decoded::kind::unsupported && d.reason.empty()) std::abort();
    std::string stored;
    ddbcache::cache_codec::encode_cachelib(bytes, stored);
    const decoded back = ddbcache::cache_codec::decode_cachelib(stored);
    if (back.what != decoded::kind::value || back.text != bytes) std::abort();
    return 0;
}
