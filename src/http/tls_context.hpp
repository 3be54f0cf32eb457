// The client side of TLS for one endpoint: trust store, SNI, host-name verification, and session
// resumption (the last session the server gave us is offered on the next connection).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

namespace ddbcache::http {

struct tls_options {
    std::string ca_file; // PEM bundle to trust instead of the system store
    std::string ca_dir;  // hashed directory to trust instead of the system store
    std::string ca_file_source; // where ca_file was configured (AWS_CA_BUNDLE, ...), for errors; may be empty
};

class tls_context {
public:
    // Throws boost::system::system_error when the CA file or directory cannot be loaded; the message
    // names the file (and where it was configured) and why.
    explicit tls_context(const tls_options& options);
    ~tls_context();
    tls_context(const tls_context&) = delete;
    tls_context& operator=(const tls_context&) = delete;

    boost::asio::ssl::context& native() noexcept { return context_; }

    // Before the handshake: SNI (for names, not IP literals), verification of `host`, and the
    // session to resume. False when OpenSSL refuses.
    bool prepare(SSL* ssl, const std::string& host);

    // Why the last handshake on `ssl` failed verification, or nullptr (static text from OpenSSL).
    static const char* verify_failure(SSL* ssl) noexcept;

private:
    static int on_new_session(SSL* ssl, SSL_SESSION* session);

    boost::asio::ssl::context context_;
    std::mutex mutex_;
    SSL_SESSION* last_session_ = nullptr; // owned reference
};

} // namespace ddbcache::http
