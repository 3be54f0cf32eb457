// The answers of the credentials sources: JSON (container, IMDS, credential_process), STS's XML,
// and the ISO 8601 times they expire at.
#pragma once

#include "fetched.hpp"

#include <string_view>

namespace ddbcache::credentials_sources {

// "2026-11-25T07:00:00Z", with optional fractional seconds and a "+hh:mm"/"-hh:mm" offset; years
// 1970 to 2200 (others would overflow the clock).
std::optional<wall_clock::time_point> parse_iso8601(std::string_view text);

// {"AccessKeyId", "SecretAccessKey", "Token" or "SessionToken", "Expiration"}. IMDS adds
// "Code" (anything but "Success" is a failure); credential_process adds "Version", the number 1,
// which its documented format requires (`needs_version`). On failure `ec` is set and `message`
// says what is wrong (never a value).
fetched parse_json_credentials(std::string_view source, std::string_view body, bool needs_version = false);

// AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials, or an
// ErrorResponse/Error whose Code and Message end up in the failure's message.
fetched parse_sts_credentials(std::string_view source, std::string_view body);

} // namespace ddbcache::credentials_sources
