// A logging hook (client_options::log). Off by default: the library writes nothing to the process's
// streams unless a sink is set. Records never hold a secret (keys, tokens, signatures).
#pragma once

#include <functional>
#include <string_view>

namespace ddbcache {

enum class log_level { debug, info, warning, error, off };

// One record. `component` is "client" (calls, retries, clock skew, stale credentials) or "cache"
// (table bootstrap); the views are valid during the sink's call only.
struct log_record {
    log_level level = log_level::info;
    std::string_view component;
    std::string_view message;
};

struct logger {
    // Records below this level are not even formatted.
    log_level level = log_level::warning;
    // Called from whichever thread runs the operation (any thread running the io_context), possibly
    // from several at once: it must be thread-safe, and should be quick (it runs on the I/O path).
    // Empty: nothing is logged.
    std::function<void(const log_record&)> sink;

    bool enabled(log_level l) const noexcept { return sink && l >= level && l != log_level::off; }
};

// A logger that writes "ddbcache <level> <component>: <message>" lines to std::clog, from `level` on.
logger clog_logger(log_level level = log_level::warning);

} // namespace ddbcache
