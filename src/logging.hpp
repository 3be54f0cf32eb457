// Writing to client_options::log: the message is built only when its level is enabled.
#pragma once

#include <ddbcache/logger.hpp>

#include <string>

namespace ddbcache {

template <class MakeMessage>
void write_log(const logger& log, log_level level, std::string_view component, MakeMessage&& make_message) {
    if (!log.enabled(level)) return;
    try {
        const std::string message = make_message();
        log.sink(log_record{level, component, message});
    } catch (...) {
        // A failing sink must not fail the call that logs.
    }
}

} // namespace ddbcache
