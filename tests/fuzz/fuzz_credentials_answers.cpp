// What credential endpoints answer (container agent and IMDS JSON, STS XML, ISO 8601 times): any
// bytes are read or refused with a message.
#include "credentials/answer_parsing.hpp"
#include "fuzz_input.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace c = ddbcache::credentials_sources;
    ddbcache::fuzz::input in(data, size);
    const std::uint8_t kind = in.byte();
    const std::string_view text = in.rest();
    if (kind % 3 == 0) (void)c::parse_iso8601(text);
    else {
        const c::fetched f = kind % 3 == 1 ? c::parse_json_credentials("fuzz", text) : c::parse_sts_credentials("fuzz", text);
        if (f.ec && f.message.empty()) std::abort();
        if (!f.ec && (f.value.access_key_id.empty() || f.value.secret_access_key.empty())) std::abort();
    }
    return 0;
}
