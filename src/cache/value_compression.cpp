#include "value_compression.hpp"

#include <zstd.h>

#include <algorithm>
#include <memory>

namespace ddbcache::value_compression_codec {

namespace {
struct context_deleter {
    void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
    void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};
} // namespace

std::optional<std::string> compress_zstd(std::string_view value, int level) {
    const std::unique_ptr<ZSTD_CCtx, context_deleter> ctx(ZSTD_createCCtx());
    if (!ctx) throw std::bad_alloc();
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, std::clamp(level, 1, ZSTD_maxCLevel()));
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_contentSizeFlag, 1);
    std::string out(ZSTD_compressBound(value.size()), '\0');
    const std::size_t n = ZSTD_compress2(ctx.get(), out.data(), out.size(), value.data(), value.size());
    if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n >= value.size()) return std::nullopt;
    out.resize(n);
    return out;
}

error_code decompress_zstd(std::string_view frame, std::size_t limit, std::string& out, std::string& why) {
    out.clear();
    const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR) {
        why = "the stored value is marked zstd but is not a zstd frame";
        return client_errc::unsupported_value;
    }
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > limit) {
        why = "the stored zstd frame declares " + std::to_string(declared) + " bytes, over the limit of " +
              std::to_string(limit);
        return client_errc::unsupported_value;
    }
    // Streamed into a buffer that grows to `limit` at most: a frame's declared size is not trusted.
    const std::unique_ptr<ZSTD_DCtx, context_deleter> ctx(ZSTD_createDCtx());
    if (!ctx) throw std::bad_alloc();
    // Starts from what the frame's own bytes can plausibly hold, growing by doubling: a 20-byte frame
    // declaring 1 GiB costs no gigabyte before it fails.
    const std::size_t plausible = std::min<std::size_t>(limit + 1, (std::size_t{1} << 20) + frame.size() * 4);
    out.resize(declared != ZSTD_CONTENTSIZE_UNKNOWN
                   ? std::min<std::size_t>(static_cast<std::size_t>(declared) + 1, plausible)
                   : plausible);
    ZSTD_inBuffer in{frame.data(), frame.size(), 0};
    ZSTD_outBuffer to{out.data(), out.size(), 0};
    for (;;) {
        const std::size_t left = ZSTD_decompressStream(ctx.get(), &to, &in);
        if (ZSTD_isError(left)) {
            why = std::string("the stored zstd frame cannot be decompressed: ") + ZSTD_getErrorName(left);
            out.clear();
            return client_errc::unsupported_value;
        }
        if (to.pos > limit) {
            why = "the stored zstd frame holds more than the limit of " + std::to_string(limit) + " bytes";
            out.clear();
            return client_errc::unsupported_value;
        }
        if (left == 0) break; // the frame is complete (and its checksum verified)
        if (in.pos == in.size && to.pos < to.size) {
            why = "the stored zstd frame is truncated";
            out.clear();
            return client_errc::unsupported_value;
        }
        if (to.pos == to.size) {
            out.resize(std::min(limit + 1, out.size() * 2));
            to.dst = out.data();
            to.size = out.size();
        }
    }
    if (in.pos != in.size) {
        why = "the stored zstd frame is followed by " + std::to_string(in.size - in.pos) + " other bytes";
        out.clear();
        return client_errc::unsupported_value;
    }
    out.resize(to.pos);
    return {};
}

} // namespace ddbcache::value_compression_codec
