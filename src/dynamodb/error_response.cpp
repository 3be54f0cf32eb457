#include "error_response.hpp"

#include <simdjson.h>

namespace ddbcache::dynamodb {

service_error parse_error_response(unsigned http_status, std::string_view body) {
    service_error out;
    simdjson::dom::parser parser; // error bodies are small and rare: no need for a cached parser
    simdjson::dom::element root;
    if (!body.empty() && parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS &&
        root.is_object()) {
        std::string_view type, message;
        if (root["__type"].get(type) == simdjson::SUCCESS) {
            if (const auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
            out.aws_type = type;
        }
        if (root["message"].get(message) == simdjson::SUCCESS || root["Message"].get(message) == simdjson::SUCCESS)
            out.message = message;
    }
    if (!out.aws_type.empty()) {
        out.code = service_errc_from_type(out.aws_type);
    } else if (http_status == 500) {
        out.code = service_errc::internal_server_error;
    } else if (http_status == 503) {
        out.code = service_errc::service_unavailable;
    } else {
        out.code = service_errc::http_status;
    }
    if (out.message.empty()) out.message = "HTTP status " + std::to_string(http_status);
    return out;
}

} // namespace ddbcache::dynamodb
