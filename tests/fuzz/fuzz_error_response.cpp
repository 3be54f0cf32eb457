// The DynamoDB error parser: any status and body give an error code, never a crash.
#include "dynamodb/error_response.hpp"
#include "fuzz_input.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ddbcache::fuzz::input in(data, size);
    const unsigned status = 400u + in.byte() % 200u;
    const auto e = ddbcache::dynamodb::parse_error_response(status, in.rest());
    if (!e.code) std::abort(); // an error answer is never success
    return 0;
}
