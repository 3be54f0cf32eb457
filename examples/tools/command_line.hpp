// What the command-line tools (ddbcache, ddbcache-bench, ddbcache-soak) share: usage errors, their
// options' parsing and their failure lines, so that a mistake is reported the same way by all.
#pragma once

#include <ddbcache/error.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ddbcache::tools {

// A mistake in the command line: the tool prints it as one line and exits with status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `text` as a whole decimal integer; anything else is a usage_error naming `what`.
std::int64_t parse_integer(std::string_view text, std::string_view what);

// `text` as seconds from 0 to a year, fractional allowed ("0.5"), rounded to milliseconds;
// anything else is a usage_error naming `what`.
std::chrono::milliseconds parse_seconds(std::string_view text, std::string_view what);

// Walks `args`: "--name" options go to apply_option(name, next_argument), which returns false
// for an unknown one; every other argument (all of them after "--") goes to positional(arg).
template <class ApplyOption, class Positional>
void walk_arguments(std::span<char*> args, std::string_view tool, ApplyOption&& apply_option, Positional&& positional) {
    bool options_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        auto next_argument = [&]() -> std::string {
            if (i + 1 >= args.size()) throw usage_error(std::string(arg) + " needs an argument");
            return args[++i];
        };
        if (!options_ended && arg.starts_with("--")) {
            if (arg == "--") options_ended = true;
            else if (!apply_option(arg, next_argument))
                throw usage_error("unknown option " + std::string(arg) + " (see " + std::string(tool) + " --help)");
        } else {
            positional(arg);
        }
    }
}

// What `TOOL --version` prints: "TOOL VERSION" (ddbcache::version) and a newline.
std::string version_line(std::string_view tool);

// A failed operation as an exception that names the cause: the diagnostics' message (with the AWS
// type and message when DynamoDB refused it), else the error's own.
[[noreturn]] void throw_failure(std::string_view operation, const error_code& ec, const diagnostics& diag);

// An exception as the one line a tool prints: a system_error without Boost's "[category:value]"
// suffix (its explanation already names the cause), anything else as it is.
std::string failure_line(const std::exception& e);

} // namespace ddbcache::tools
