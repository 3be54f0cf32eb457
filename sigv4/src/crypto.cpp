#include "crypto.hpp"

// OpenSSL 3's EVP interface allocates a provider context at each digest's init (and HMAC's init
// and final copy one): two or three mallocs per hash on the signing path. The low-level SHA-256
// functions, deprecated in 3.0 but not removed, run the same assembly over a context on the stack.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>

namespace sigv4::detail {

digest sha256(std::string_view data) {
    SHA256_CTX ctx;
    digest out{};
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data.data(), data.size());
    SHA256_Final(out.data(), &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx); // it may have hashed a key longer than a block
    return out;
}

// HMAC (RFC 2104) over SHA-256: H((K ^ opad) || H((K ^ ipad) || text)), with 64-byte blocks; a key
// longer than a block is hashed first.
digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
    constexpr std::size_t block_size = 64;
    std::array<std::uint8_t, block_size> block{}, pad{};
    if (key.size() > block_size) {
        digest hashed = sha256({reinterpret_cast<const char*>(key.data()), key.size()});
        std::copy(hashed.begin(), hashed.end(), block.begin());
        OPENSSL_cleanse(hashed.data(), hashed.size()); // as good as the key
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    SHA256_CTX ctx;
    digest inner{}, out{};
    std::transform(block.begin(), block.end(), pad.begin(), [](std::uint8_t b) { return b ^ 0x36; });
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad.data(), pad.size());
    SHA256_Update(&ctx, data.data(), data.size());
    SHA256_Final(inner.data(), &ctx);
    std::transform(block.begin(), block.end(), pad.begin(), [](std::uint8_t b) { return b ^ 0x5c; });
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad.data(), pad.size());
    SHA256_Update(&ctx, inner.data(), inner.size());
    SHA256_Final(out.data(), &ctx);
    // The key is a secret, or derived from one: no copy of it stays on the stack.
    OPENSSL_cleanse(block.data(), block.size());
    OPENSSL_cleanse(pad.data(), pad.size());
    OPENSSL_cleanse(&ctx, sizeof ctx);
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
