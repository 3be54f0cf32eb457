// AWS Signature Version 4 (header signing and presigned URLs).
//
// Knows nothing of HTTP transports: it takes a request description and returns what to add to it.
// Depends only on OpenSSL.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace sigv4 {

struct credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; // empty when the credentials are not temporary
};

struct header {
    std::string_view name;
    std::string_view value;
};

// The request to sign. Every header given is signed; it must include Host (with the port when the
// request carries one). Repeated names are signed as one header, values joined in the given order.
struct request {
    std::string_view method;
    std::string_view path;  // as sent on the wire, without the query; encoded again when signing
    std::string_view query; // as sent on the wire, after '?'; may be empty
    std::span<const header> headers;
    std::string_view payload;        // the exact body bytes; ignored when payload_sha256 is set
    std::string_view payload_sha256; // lower-case hex SHA-256 of the body, when already known
};

struct signing_params {
    std::string_view region;
    std::string_view service;
    std::chrono::system_clock::time_point time;
    // Resolve "." and "..", and drop empty segments, as every service but S3 expects.
    bool normalize_path = true;
    // Also send (and sign) X-Amz-Content-Sha256. Optional for DynamoDB; required by S3.
    bool add_content_sha256 = false;
};

// Headers to add to the request. Strings are reused across calls when the object is reused.
struct signed_headers {
    std::string x_amz_date;           // X-Amz-Date, e.g. 20150830T123600Z
    std::string x_amz_security_token; // X-Amz-Security-Token; empty when there is no token
    std::string x_amz_content_sha256; // X-Amz-Content-Sha256; empty unless asked for
    std::string authorization;        // Authorization
};

// The intermediate products, for diagnostics and tests.
struct signature_details {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature; // 64 lower-case hex digits
};

using signing_key = std::array<std::uint8_t, 32>;

// HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
signing_key derive_signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                               std::string_view region, std::string_view service);

// Remembers the last derived key, so that signing costs one HMAC rather than five until the date,
// region, service or secret changes. Safe to use from several threads at once.
class signing_key_cache {
public:
    signing_key get(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                    std::string_view region, std::string_view service);

private:
    std::mutex mutex_;
    std::string secret_, date_, region_, service_;
    signing_key key_{};
    bool valid_ = false;
};

// Signs requests. One signer may be shared by many threads.
class signer {
public:
    // Fills `out` with the headers to add. `details`, when given, receives the canonical request,
    // the string to sign and the signature.
    void sign(const request& req, const credentials& creds, const signing_params& params,
              signed_headers& out, signature_details* details = nullptr);

    signed_headers sign(const request& req, const credentials& creds, const signing_params& params,
                        signature_details* details = nullptr);

    // Presigned URL: returns the query string to send instead of req.query (the request's own
    // parameters plus X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, the token when
    // there is one, and -Signature), in canonical order.
    std::string presign(const request& req, const credentials& creds, const signing_params& params,
                        std::chrono::seconds expires, signature_details* details = nullptr);

private:
    signing_key_cache keys_;
};

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// `YYYYMMDDTHHMMSSZ` in UTC.
std::string format_amz_date(std::chrono::system_clock::time_point time);

} // namespace sigv4
