// The HTTP messages the pool exchanges: a light view of a request, and a response whose headers
// are kept in one string so that reading one costs no allocation per header.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ddbcache::http {

struct header_field {
    std::string_view name;
    std::string_view value;
};

// Whether text may go into a header value as it is: no control character (CR, LF, NUL, DEL, ...)
// other than horizontal tab. A request whose head fails it is refused before it is sent.
bool fits_header_value(std::string_view text) noexcept;

// Host and Content-Length come from the pool's endpoint, and so does the target unless given.
struct request {
    std::string_view method = "POST";
    std::span<const header_field> headers;
    std::string_view body;
    std::string_view target; // path and query; empty: the endpoint's
};

struct response {
    unsigned status = 0;
    std::string body;
    std::string header_block; // "name:value\n" per field, names lower-cased
    // Capacity to leave after the body, reserved before it is read (for parsers that read in place).
    std::size_t spare_capacity = 0;

    // The first value of a header, by lower-case name; empty when absent.
    std::string_view header(std::string_view lower_case_name) const;
};

// An RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form of the Date header; nullopt
// for anything else, the obsolete RFC 850 and asctime forms and a weekday that does not match the
// date included.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// How far an exchange got before it failed: retrying is safe only when the request may not have
// reached the server, or when the operation is idempotent.
enum class failure_stage { none, acquire, connect, send, receive_before_response, receive_after_response };

} // namespace ddbcache::http
