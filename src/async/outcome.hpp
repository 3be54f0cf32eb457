// How the internal layers (src/async/, src/http/, src/credentials/) report failure, in one way:
//
// - A step that can fail returns an error_code, or detail::outcome<T> when it also yields a value.
//   The value means something only without ec. Asynchronous steps co_return the same.
// - Words that explain a failure go to a `std::string& why` argument, written only when the step
//   fails, never holding a secret. The layer that answers the user copies them into
//   diagnostics::message; nothing below it fills a diagnostics.
// - No error_code out-parameter next to a return value, and no result struct with its own error
//   code or message field.
//
// What does not follow it yet, and why: see the end of this file.
#pragma once

#include <ddbcache/error.hpp>

namespace ddbcache::detail {

template <class T>
struct outcome {
    error_code ec;
    T value{};
};

} // namespace ddbcache::detail

// Not converted (yet):
// - http::exchange_result ({ec, stage, detail, sends}): besides the code it tells how far a
//   failed exchange got and how many times it was sent, which the retry policy in src/dynamodb/
//   reads on failure; its callers there are being rewritten.
// - credentials_sources::fetched ({ec, message, credentials, expiration}): what a source's fetcher
//   (a type-erased std::function) and the answer parsers give back; the sources' tests and the
//   answers fuzzer read its fields directly.
// - The source factories (web_identity_source, container_source_from_env, imds_source_from_env)
//   still take `error_code& ec, std::string& why`; http::parse_endpoint(url, ec) too, called from
//   src/dynamodb/ and the examples.
// - credentials_sources::choose_credentials(..., ec, diag) and credentials_files::load_profile(...,
//   ec, diag) mirror the public resolve_credentials(options, ec, diag) and fill the diagnostics the
//   client throws with: they are the boundary, not a step below it.
