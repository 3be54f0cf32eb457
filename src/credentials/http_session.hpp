// A few HTTP exchanges with a credentials endpoint (STS, the container agent, IMDS) over one
// short-lived connection, closed with the session (the pool's destructor), so nothing lingers
// on the io_context.
#pragma once

#include "../async/outcome.hpp"
#include "../http/connection_pool.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <span>
#include <string>

namespace ddbcache::credentials_sources {

// An answer, whatever its status (the status is not judged here).
struct http_answer {
    unsigned status = 0;
    std::string body;
};

class http_session {
public:
    // Through `via` when given (STS follows the proxy settings; IMDS and the container agent, on
    // link-local or loopback addresses, are reached directly, as botocore does).
    http_session(boost::asio::any_io_executor executor, http::endpoint ep, const http::tls_options& tls,
                 std::optional<http::proxy> via = std::nullopt);

    // Fails only when no answer came (the transport failed); `why` then says how.
    boost::asio::awaitable<detail::outcome<http_answer>> send(std::string_view method, std::string_view target,
                                                              std::span<const http::header_field> headers,
                                                              std::string_view body, http::clock::duration timeout,
                                                              std::string& why);

    const http::endpoint& endpoint() const noexcept { return pool_.target(); }

private:
    http::connection_pool pool_;
};

} // namespace ddbcache::credentials_sources
