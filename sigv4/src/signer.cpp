#include <sigv4/sigv4.hpp>

#include "canonical.hpp"
#include "crypto.hpp"

#include <ctime>

namespace sigv4 {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Formatting a date costs more than the hash of a small body; one value per second suffices.
std::string_view cached_amz_date(std::chrono::system_clock::time_point time) {
    thread_local std::time_t last_second = -1;
    thread_local std::string last_text;
    const std::time_t second = std::chrono::system_clock::to_time_t(time);
    if (second != last_second) {
        last_text = format_amz_date(time);
        last_second = second;
    }
    return last_text;
}

struct scratch_buffers {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_names;
    std::string payload_hash;
    std::string signature;
};

scratch_buffers& scratch() {
    thread_local scratch_buffers buffers;
    return buffers;
}

std::string_view payload_hash_of(const request& req, std::string& storage) {
    if (!req.payload_sha256.empty()) return req.payload_sha256;
    if (req.payload.empty()) return empty_payload_sha256;
    storage.clear();
    detail::append_hex(storage, detail::sha256(req.payload));
    return storage;
}

void append_scope(std::string& out, std::string_view date, const signing_params& params) {
    out.append(date.substr(0, 8)).append("/");
    out.append(params.region).append("/").append(params.service).append("/aws4_request");
}

// Canonical request lines 1-3: method, path, query.
void begin_canonical_request(std::string& out, const request& req, const signing_params& params,
                             std::span<const detail::query_param> extra_query) {
    out.clear();
    out.append(req.method).push_back('\n');
    detail::append_canonical_path(out, req.path, params.normalize_path);
    out.push_back('\n');
    if (!req.query.empty() || !extra_query.empty())
        detail::append_canonical_query(out, req.query, extra_query);
    out.push_back('\n');
}

// String to sign from the finished canonical request; returns the hex signature.
void compute_signature(scratch_buffers& s, signing_key_cache& keys, const credentials& creds,
                       const signing_params& params, std::string_view amz_date,
                       std::string& signature_hex) {
    s.string_to_sign.clear();
    s.string_to_sign.append(algorithm).append("\n").append(amz_date).append("\n");
    append_scope(s.string_to_sign, amz_date, params);
    s.string_to_sign.push_back('\n');
    detail::append_hex(s.string_to_sign, detail::sha256(s.canonical_request));

    const signing_key key =
        keys.get(creds.secret_access_key, amz_date.substr(0, 8), params.region, params.service);
    signature_hex.clear();
    detail::append_hex(signature_hex, detail::hmac_sha256(key, s.string_to_sign));
}

void fill_details(signature_details* details, const scratch_buffers& s, std::string_view signature) {
    if (!details) return;
    details->canonical_request = s.canonical_request;
    details->string_to_sign = s.string_to_sign;
    details->signature.assign(signature);
}

} // namespace

std::string format_amz_date(std::chrono::system_clock::time_point time) {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[17];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return std::string(buf, 16);
}

std::string sha256_hex(std::string_view data) {
    std::string out;
    detail::append_hex(out, detail::sha256(data));
    return out;
}

signing_key derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
    std::string seed;
    seed.reserve(4 + secret.size());
    seed.append("AWS4").append(secret);
    const auto k_date = detail::hmac_sha256(bytes_of(seed), date);
    const auto k_region = detail::hmac_sha256(k_date, region);
    const auto k_service = detail::hmac_sha256(k_region, service);
    return detail::hmac_sha256(k_service, "aws4_request");
}

signing_key signing_key_cache::get(std::string_view secret, std::string_view date,
                                   std::string_view region, std::string_view service) {
    {
        std::lock_guard lock(mutex_);
        if (valid_ && date_ == date && region_ == region && service_ == service && secret_ == secret)
            return key_;
    }
    // Derived outside the lock: two threads may both derive on a change of day, which is harmless.
    const signing_key key = derive_signing_key(secret, date, region, service);
    std::lock_guard lock(mutex_);
    secret_.assign(secret);
    date_.assign(date);
    region_.assign(region);
    service_.assign(service);
    key_ = key;
    valid_ = true;
    return key;
}

void signer::sign(const request& req, const credentials& creds, const signing_params& params,
                  signed_headers& out, signature_details* details) {
    scratch_buffers& s = scratch();
    const std::string_view amz_date = cached_amz_date(params.time);
    const std::string_view payload_hash = payload_hash_of(req, s.payload_hash);

    out.x_amz_date.assign(amz_date);
    out.x_amz_security_token.assign(creds.session_token);
    if (params.add_content_sha256) out.x_amz_content_sha256.assign(payload_hash);
    else out.x_amz_content_sha256.clear();

    // The headers this signer adds are signed along with the caller's.
    thread_local std::vector<header> all_headers;
    all_headers.assign(req.headers.begin(), req.headers.end());
    all_headers.push_back({"X-Amz-Date", out.x_amz_date});
    if (!out.x_amz_security_token.empty())
        all_headers.push_back({"X-Amz-Security-Token", out.x_amz_security_token});
    if (params.add_content_sha256)
        all_headers.push_back({"X-Amz-Content-Sha256", out.x_amz_content_sha256});

    begin_canonical_request(s.canonical_request, req, params, {});
    s.signed_names.clear();
    detail::append_canonical_headers(s.canonical_request, s.signed_names, all_headers);
    s.canonical_request.append("\n").append(s.signed_names).append("\n").append(payload_hash);

    std::string& auth = out.authorization;
    auth.clear();
    auth.append(algorithm).append(" Credential=").append(creds.access_key_id).push_back('/');
    append_scope(auth, amz_date, params);
    auth.append(", SignedHeaders=").append(s.signed_names).append(", Signature=");
    compute_signature(s, keys_, creds, params, amz_date, s.signature);
    auth += s.signature;
    fill_details(details, s, s.signature);
}

signed_headers signer::sign(const request& req, const credentials& creds, const signing_params& params,
                            signature_details* details) {
    signed_headers out;
    sign(req, creds, params, out, details);
    return out;
}

std::string signer::presign(const request& req, const credentials& creds, const signing_params& params,
                            std::chrono::seconds expires, signature_details* details) {
    scratch_buffers& s = scratch();
    const std::string amz_date = format_amz_date(params.time);
    const std::string_view payload_hash = payload_hash_of(req, s.payload_hash);

    std::string signed_names, header_lines;
    detail::append_canonical_headers(header_lines, signed_names, req.headers);

    std::string credential(creds.access_key_id);
    credential.push_back('/');
    append_scope(credential, amz_date, params);
    std::vector<detail::query_param> added = {
        {"X-Amz-Algorithm", std::string(algorithm)},
        {"X-Amz-Credential", credential},
        {"X-Amz-Date", amz_date},
        {"X-Amz-Expires", std::to_string(expires.count())},
        {"X-Amz-SignedHeaders", signed_names},
    };
    if (!creds.session_token.empty()) added.emplace_back("X-Amz-Security-Token", creds.session_token);

    begin_canonical_request(s.canonical_request, req, params, added);
    s.canonical_request.append(header_lines).append("\n").append(signed_names).append("\n");
    s.canonical_request.append(payload_hash);

    compute_signature(s, keys_, creds, params, amz_date, s.signature);
    fill_details(details, s, s.signature);

    // The canonical query line is exactly the query to send, plus the signature.
    const std::size_t query_begin = s.canonical_request.find('\n', s.canonical_request.find('\n') + 1) + 1;
    const std::size_t query_end = s.canonical_request.find('\n', query_begin);
    std::string query = s.canonical_request.substr(query_begin, query_end - query_begin);
    query.append("&X-Amz-Signature=").append(s.signature);
    return query;
}

} // namespace sigv4
