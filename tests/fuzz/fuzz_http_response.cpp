// The HTTP response reader: any bytes from the socket, in any split, parse or fail with an error;
// a body never exceeds the limit.
#include "fuzz_input.hpp"
#include "http/response_reader.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ddbcache::fuzz::input in(data, size);
    const std::size_t piece = 1 + in.byte() % 64; // how the bytes arrive
    constexpr std::size_t body_limit = 4096;
    ddbcache::http::response out;
    out.spare_capacity = 64;
    ddbcache::http::response_reader reader(out);
    reader.body_limit(body_limit);
    reader.eager(true);
    std::string_view rest = in.rest();
    std::string pending;
    boost::system::error_code ec;
    while (!rest.empty() && !ec && !reader.is_done()) {
        pending.append(rest.substr(0, piece));
        rest.remove_prefix(std::min(piece, rest.size()));
        const std::size_t used = reader.put(boost::asio::buffer(pending), ec);
        if (ec == boost::beast::http::error::need_more) ec = {};
        pending.erase(0, used);
    }
    if (!ec && !reader.is_done()) reader.put_eof(ec);
    if (out.body.size() > body_limit) std::abort();
    (void)out.header("x-amz-crc32");
    return 0;
}
