#include "crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace sigv4::detail {
namespace {

[[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string("sigv4: ") + what); }

// Algorithms are fetched once per process: a fetch per call costs more than the hash itself.
const EVP_MD* sha256_algorithm() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md) fail("OpenSSL has no SHA256");
    return md;
}

EVP_MAC* hmac_algorithm() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) fail("OpenSSL has no HMAC");
    return mac;
}

struct thread_contexts {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_MAC_CTX* mac = EVP_MAC_CTX_new(hmac_algorithm());

    thread_contexts() {
        if (!md || !mac) fail("cannot allocate a digest context");
        char digest_name[] = "SHA256";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
            OSSL_PARAM_construct_end()};
        if (!EVP_MAC_CTX_set_params(mac, params)) fail("cannot configure HMAC-SHA256");
    }
    ~thread_contexts() {
        EVP_MD_CTX_free(md);
        EVP_MAC_CTX_free(mac);
    }
    thread_contexts(const thread_contexts&) = delete;
    thread_contexts& operator=(const thread_contexts&) = delete;
};

thread_contexts& contexts() {
    thread_local thread_contexts ctx;
    return ctx;
}

} // namespace

digest sha256(std::string_view data) {
    EVP_MD_CTX* ctx = contexts().md;
    digest out{};
    unsigned int len = 0;
    if (!EVP_DigestInit_ex2(ctx, sha256_algorithm(), nullptr) ||
        !EVP_DigestUpdate(ctx, data.data(), data.size()) ||
        !EVP_DigestFinal_ex(ctx, out.data(), &len) || len != out.size())
        fail("SHA-256 failed");
    return out;
}

digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
    EVP_MAC_CTX* ctx = contexts().mac;
    digest out{};
    std::size_t len = 0;
    if (!EVP_MAC_init(ctx, key.data(), key.size(), nullptr) ||
        !EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) ||
        !EVP_MAC_final(ctx, out.data(), &len, out.size()) || len != out.size())
        fail("HMAC-SHA256 failed");
    return out;
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    const std::size_t start = out.size();
    out.resize(start + bytes.size() * 2);
    char* p = out.data() + start;
    for (std::uint8_t b : bytes) {
        *p++ = digits[b >> 4];
        *p++ = digits[b & 0xF];
    }
}

} // namespace sigv4::detail
