#include "tls_context.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <string>

namespace ddbcache::http {
namespace asio = boost::asio;

namespace {
// The tls_context that owns an SSL_CTX, for OpenSSL's callbacks.
int context_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}
// Why a CA bundle did not load: OpenSSL's own error says little ("system lib", "no certificate
// or crl found").
std::string ca_file_problem(const std::string& path) {
    if (::access(path.c_str(), F_OK) != 0) return "no such file";
    if (::access(path.c_str(), R_OK) != 0) return "not readable";
    return "not a PEM file of certificates";
}
} // namespace

tls_context::tls_context(const tls_options& options) : context_(asio::ssl::context::tls_client) {
    context_.set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty() && options.ca_dir.empty()) context_.set_default_verify_paths();
    boost::system::error_code ec;
    if (!options.ca_file.empty() && context_.load_verify_file(options.ca_file, ec))
        throw boost::system::system_error(ec, "cannot load the CA file '" + options.ca_file + "'" +
                                                  (options.ca_file_source.empty() ? "" : " (from " + options.ca_file_source + ")") +
                                                  ": " + ca_file_problem(options.ca_file));
    if (!options.ca_dir.empty() && context_.add_verify_path(options.ca_dir, ec))
        throw boost::system::system_error(ec, "cannot use the CA directory '" + options.ca_dir + "'");

    SSL_CTX* ctx = context_.native_handle();
    SSL_CTX_set_ex_data(ctx, context_index(), this);
    // Sessions are kept here, not in OpenSSL's internal store (which a client never looks up).
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &tls_context::on_new_session);
}

tls_context::~tls_context() {
    if (last_session_) SSL_SESSION_free(last_session_);
}

int tls_context::on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<tls_context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
    if (!self) return 0;
    std::lock_guard lock(self->mutex_);
    if (self->last_session_) SSL_SESSION_free(self->last_session_);
    self->last_session_ = session;
    return 1; // we keep the reference OpenSSL handed us
}

bool tls_context::prepare(SSL* ssl, const std::string& host) {
    boost::system::error_code not_an_address;
    asio::ip::make_address(host, not_an_address);
    const bool is_ip_literal = !not_an_address;
    if (!is_ip_literal && !SSL_set_tlsext_host_name(ssl, host.c_str())) return false;
    // The certificate must name the host we asked for (a name, or an IP address SAN).
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int named = is_ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                    : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (named != 1) return false;
    std::lock_guard lock(mutex_);
    return !last_session_ || SSL_set_session(ssl, last_session_) == 1;
}

const char* tls_context::verify_failure(SSL* ssl) noexcept {
    const long result = SSL_get_verify_result(ssl);
    return result == X509_V_OK ? nullptr : X509_verify_cert_error_string(result);
}

} // namespace ddbcache::http
