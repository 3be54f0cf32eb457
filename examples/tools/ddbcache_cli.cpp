// ddbcache: the cache from the shell. Reads and writes the same items as the library (and as
// Python cachelib), so it can inspect or seed a table that services share. Run `ddbcache --help`.
#include <ddbcache/cache.hpp>

#include "codec/base64.hpp"
#include "dynamodb/json_writer.hpp"
#include "command_line.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string_view>

namespace asio = boost::asio;
using ddbcache::cache;
namespace tools = ddbcache::tools;

namespace {

constexpr std::string_view usage = R"(usage: ddbcache [OPTIONS] COMMAND [ARGS]

Commands:
  get KEY                  print the value's bytes exactly (no newline added)
  set KEY VALUE            store, overwriting           [--timeout S]
  add KEY VALUE            store only if absent         [--timeout S]
  delete KEY               delete the entry
  has KEY                  tell whether an unexpired entry exists (exit status only)
  clear                    delete this prefix's entries (every item without --prefix)
  inc KEY [DELTA]          add DELTA (default 1) atomically; print the new value
  dec KEY [DELTA]          subtract DELTA (default 1) atomically; print the new value
  get-many KEY...          one JSON line per key: {"key":K,"value":V} with V null when absent,
                           or {"key":K,"value_b64":B} when the value is not UTF-8
  VALUE "-" reads the value from standard input.

Options (defaults as Python cachelib's DynamoDbCache):
  --endpoint URL           DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL,
                           then https://dynamodb.REGION.amazonaws.com)
  --region R               AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the config profile)
  --table T                table name (default python-cache)
  --prefix P               key prefix (default none)
  --key-field F            key attribute (default cache_key)
  --expiration-field F     expiration attribute (default expiration_time)
  --timeout S              seconds until the entry expires, 0 = never (default 300)
  --no-create-table        fail instead of creating a missing table
  --codec cachelib|raw     value encoding (default cachelib: readable by Python cachelib)
  --help                   this text
  --                       the arguments after it are not options
Credentials come from the usual AWS environment variables and shared files.

Exit status: 0 hit, stored, deleted or true (get-many: every key hit); 1 miss, not stored,
absent or false; 2 error, with one line on standard error naming the cause.
)";

using tools::parse_integer;
using tools::usage_error;

struct invocation {
    ddbcache::cache_options options;
    std::string command;
    std::vector<std::string> operands;
    ddbcache::timeout_option timeout;
    std::int64_t delta = 1; // inc and dec
    bool help = false;
};

ddbcache::value_codec parse_codec(std::string_view name) {
    if (name == "cachelib") return ddbcache::value_codec::cachelib;
    if (name == "raw") return ddbcache::value_codec::raw;
    throw usage_error("--codec must be cachelib or raw, not \"" + std::string(name) + "\"");
}

// Applies option `name` (with its argument, when it takes one); false when it is unknown.
bool apply_option(invocation& inv, std::string_view name, auto&& next_argument) {
    auto& o = inv.options;
    if (name == "--help") inv.help = true;
    else if (name == "--no-create-table") o.create_table = false;
    else if (name == "--endpoint") o.client.endpoint = next_argument();
    else if (name == "--region") o.client.region = next_argument();
    else if (name == "--table") o.table_name = next_argument();
    else if (name == "--prefix") o.key_prefix = next_argument();
    else if (name == "--key-field") o.key_field = next_argument();
    else if (name == "--expiration-field") o.expiration_time_field = next_argument();
    else if (name == "--codec") o.codec = parse_codec(next_argument());
    else if (name == "--timeout") {
        const std::int64_t seconds = parse_integer(next_argument(), "--timeout");
        if (seconds < 0) throw usage_error("--timeout must be 0 (never expires) or more");
        inv.timeout = std::chrono::seconds(seconds);
    } else
        return false;
    return true;
}

// Options may come anywhere; the first other argument is the command, the rest its operands.
invocation parse_arguments(std::span<char*> args) {
    invocation inv;
    tools::walk_arguments(
        args, "ddbcache", [&](std::string_view name, auto&& next_argument) { return apply_option(inv, name, next_argument); },
        [&](std::string_view arg) {
            if (inv.command.empty()) inv.command = arg;
            else inv.operands.emplace_back(arg);
        });
    return inv;
}

std::string read_stdin() {
    std::cin >> std::noskipws;
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

void write_stdout(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
        throw std::runtime_error("cannot write to standard output");
}

// The value operand: "-" means standard input.
std::string value_operand(const invocation& inv) {
    return inv.operands[1] == "-" ? read_stdin() : inv.operands[1];
}

// One line on stderr naming the cause: the error, and the AWS type and message when there are.
int report(const ddbcache::error_code& ec, const ddbcache::diagnostics& diag, std::string_view command) {
    // The diagnostics message already names the AWS type and the attempts when there are any.
    std::string line = "ddbcache: " + std::string(command) + ": " + (diag.message.empty() ? ec.message() : diag.message);
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    std::cerr << line << '\n';
    return 2;
}

// {"key":K,"value":V}, {"key":K,"value":null} or {"key":K,"value_b64":B}.
std::string json_line(const std::string& key, const cache::value& value) {
    std::string line;
    ddbcache::dynamodb::json_writer json(line);
    json.begin_object();
    json.member("key", key);
    if (!value) {
        json.key("value");
        json.null();
    } else if (simdjson::validate_utf8(value->data(), value->size())) {
        json.member("value", *value);
    } else {
        std::string encoded;
        ddbcache::codec::append_base64(*value, encoded);
        json.member("value_b64", encoded);
    }
    json.end_object();
    line.push_back('\n');
    return line;
}

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
using command_result = asio::awaitable<int>;

command_result run_get(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto [ec, value] = co_await c.async_get(inv.operands[0], {.diag = &diag}, as_result);
    if (ec) co_return report(ec, diag, inv.command);
    if (!value) co_return 1;
    write_stdout(*value);
    co_return 0;
}

command_result run_store(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    std::string value = value_operand(inv);
    std::tuple<ddbcache::error_code, bool> outcome;
    if (inv.command == "set")
        outcome = co_await c.async_set(inv.operands[0], std::move(value), {.timeout = inv.timeout, .diag = &diag}, as_result);
    else
        outcome = co_await c.async_add(inv.operands[0], std::move(value), {.timeout = inv.timeout, .diag = &diag}, as_result);
    auto [ec, stored] = outcome;
    if (ec) co_return report(ec, diag, inv.command);
    co_return stored ? 0 : 1;
}

command_result run_delete(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto [ec, deleted] = co_await c.async_erase(inv.operands[0], {.diag = &diag}, as_result);
    if (ec) co_return report(ec, diag, inv.command);
    co_return deleted ? 0 : 1;
}

command_result run_has(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto [ec, present] = co_await c.async_has(inv.operands[0], {.diag = &diag}, as_result);
    if (ec) co_return report(ec, diag, inv.command);
    co_return present ? 0 : 1;
}

command_result run_clear(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto [ec, cleared] = co_await c.async_clear({.diag = &diag}, as_result);
    if (ec) co_return report(ec, diag, inv.command);
    co_return cleared ? 0 : 1;
}

command_result run_counter(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    std::tuple<ddbcache::error_code, std::int64_t> outcome;
    if (inv.command == "inc")
        outcome = co_await c.async_inc(inv.operands[0], {.delta = inv.delta, .diag = &diag}, as_result);
    else
        outcome = co_await c.async_dec(inv.operands[0], {.delta = inv.delta, .diag = &diag}, as_result);
    auto [ec, counter] = outcome;
    if (ec) co_return report(ec, diag, inv.command);
    write_stdout(std::to_string(counter) + "\n");
    co_return 0;
}

command_result run_get_many(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto [ec, values] = co_await c.async_get_many(inv.operands, {.diag = &diag}, as_result);
    if (ec) co_return report(ec, diag, inv.command);
    std::string out;
    bool every_key_hit = true;
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += json_line(inv.operands[i], values[i]);
        every_key_hit = every_key_hit && values[i].has_value();
    }
    write_stdout(out);
    co_return every_key_hit ? 0 : 1;
}

struct command {
    std::string_view name;
    std::size_t min_operands;
    std::size_t max_operands;
    command_result (*run)(cache&, const invocation&, ddbcache::diagnostics&);
};

constexpr command commands[] = {
    {"get", 1, 1, run_get},         {"set", 2, 2, run_store},        {"add", 2, 2, run_store},
    {"delete", 1, 1, run_delete},   {"has", 1, 1, run_has},          {"clear", 0, 0, run_clear},
    {"inc", 1, 2, run_counter},     {"dec", 1, 2, run_counter},      {"get-many", 1, SIZE_MAX, run_get_many},
};

// The command named, its operands checked (before any request).
const command& find_command(invocation& inv) {
    if (inv.command.empty()) throw usage_error("no command given (see ddbcache --help)");
    for (const command& cmd : commands) {
        if (cmd.name != inv.command) continue;
        if (inv.operands.size() < cmd.min_operands || inv.operands.size() > cmd.max_operands)
            throw usage_error("wrong number of arguments for " + inv.command + " (see ddbcache --help)");
        if ((cmd.name == "inc" || cmd.name == "dec") && inv.operands.size() == 2)
            inv.delta = parse_integer(inv.operands[1], "DELTA");
        return cmd;
    }
    throw usage_error("unknown command \"" + inv.command + "\" (see ddbcache --help)");
}

int run(const invocation& inv, const command& cmd) {
    asio::io_context io;
    cache c(io.get_executor(), inv.options); // throws when the region or credentials are missing
    int status = 2;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            ddbcache::diagnostics diag;
            status = co_await cmd.run(c, inv, diag);
            c.dynamodb().close(); // idle connections would keep io.run() busy until they time out
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    io.run();
    return status;
}

int report_exception(const std::exception& e) {
    const std::string line = ddbcache::tools::failure_line(e);
    std::cerr << (line.starts_with("ddbcache: ") ? "" : "ddbcache: ") << line << '\n';
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    try {
        invocation inv = parse_arguments(std::span<char*>(argv + 1, static_cast<std::size_t>(argc - 1)));
        if (inv.help) {
            std::cout << usage;
            return 0;
        }
        const command& cmd = find_command(inv);
        return run(inv, cmd);
    } catch (const std::exception& e) {
        return report_exception(e);
    }
}
