// ddbcache: the cache from the shell. Reads and writes the same items as the library (and as
// Python cachelib), so it can inspect or seed a table that services share. Run `ddbcache --help`.
#include <ddbcache/cache.hpp>

#include "codec/base64.hpp"
#include "dynamodb/json_writer.hpp"
#include "command_line.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <simdjson.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>

extern char** environ;

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
  touch KEY                move an unexpired entry's expiry to --timeout from now, without
                           rewriting it (exit 1 when absent or expired)   [--timeout S]
  get-or-set KEY -- COMMAND [ARG...]
                           print the value; on a miss run COMMAND (no shell), store its standard
                           output and print it. Across processes one runs COMMAND for a key while
                           the others wait for its value, for up to --lease-wait. When COMMAND
                           fails nothing is stored and the status is 2, unless a value expired at
                           most --max-stale ago is printed instead (status 0, one line on standard
                           error saying it is stale). Exit 1 when the stored value is Python's None.
                           [--timeout S] [--max-stale S] [--lease-ttl S] [--lease-wait S]
  lock NAME -- COMMAND [ARG...]
                           run COMMAND (no shell) holding the lock NAME, taken within --wait and
                           extended every --ttl/3 while COMMAND runs; release it when COMMAND ends.
                           Exit with COMMAND's status (128+N when a signal N killed it), 1 when
                           another held NAME all of --wait. COMMAND finds the lock's fencing token
                           in DDBCACHE_FENCING_TOKEN: it grows with every grant of NAME, so what
                           COMMAND writes can refuse a smaller one than it has seen. SIGTERM and
                           SIGHUP are passed on to COMMAND. If ddbcache itself is killed (-9),
                           COMMAND runs on after the lease lapses: the token is then the guard.
                                                                           [--ttl S] [--wait S]
  config                   print the resolved configuration as "name value" lines, like
                           aws configure list: endpoint, region, credentials (the source, never
                           a key), retry_mode, max_attempts, ca_bundle, proxy (without its
                           user info), user_agent, and where the endpoint, the CA bundle and
                           the proxy came from. Sends nothing.
  VALUE "-" reads the value from standard input.

Options (defaults as Python cachelib's DynamoDbCache):
  --endpoint URL           DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL,
                           the profile's endpoint_url, then DynamoDB's endpoint rules for the
                           region; `ddbcache config` shows which)
  --region R               AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the config profile)
  --profile NAME           the profile of the shared AWS files, instead of AWS_PROFILE (default
                           "default"): its credentials, region, ca_bundle and sdk_ua_app_id
  --ca-file PEM            trust the certificates in PEM instead of AWS_CA_BUNDLE, the profile's
                           ca_bundle or the system's
  --table T                table name (default python-cache)
  --prefix P               key prefix (default none)
  --key-field F            key attribute (default cache_key)
  --expiration-field F     expiration attribute (default expiration_time)
  --timeout S              seconds until the entry expires, 0 = never (default 300)
  --max-stale S            get-or-set: when COMMAND or DynamoDB fails, print a value expired at
                           most S seconds ago (default 0: never)
  --lease-ttl S            get-or-set: after how long others take over from a process that ran
                           COMMAND and died (default 10)
  --lease-wait S           get-or-set: how long to wait for another process's COMMAND before
                           running it here too (default 30)
  --ttl S                  lock: how long the lock outlives a ddbcache that dies holding it
                           (default 30)
  --wait S                 lock: how long to keep trying while another holds it (default 0: once)
                           --ttl, --wait and --lease-* take fractions of seconds (0.5).
  --no-create-table        fail instead of creating a missing table
  --codec cachelib|raw     value encoding (default cachelib: readable by Python cachelib)
  --compression none|zstd  raw codec: store values of 1 KiB or more as zstd frames when smaller
                           (default none; every reader decompresses, whatever its options)
  --max-value-size BYTES   raw codec: store values up to BYTES (at most 1 GiB), those over one
                           item's 400 KB across several items (default 409600: one item)
  --help                   this text
  --version                print "ddbcache VERSION" and exit
  --                       the arguments after it are not options
Credentials come from the usual AWS environment variables and shared files; proxies from
HTTPS_PROXY, HTTP_PROXY and NO_PROXY (see the README's Configuration table).

Exit status: 0 hit, stored, deleted or true (get-many: every key hit); 1 miss, not stored,
absent or false; 2 error, with one line on standard error naming the cause (lock: COMMAND's
status, 1 when not taken, 2 on an error, also when the lock could not be released or was lost
while COMMAND ran).
)";

using tools::parse_integer;
using tools::parse_seconds;
using tools::usage_error;

// A lease's length: at least the millisecond DynamoDB's lease items count in.
std::chrono::milliseconds positive_seconds(std::string_view text, std::string_view what) {
    const std::chrono::milliseconds ms = parse_seconds(text, what);
    if (ms.count() == 0) throw usage_error(std::string(what) + " must be at least 0.001");
    return ms;
}

struct invocation {
    ddbcache::cache_options options;
    std::string command;
    std::vector<std::string> operands;
    ddbcache::timeout_option timeout;
    std::int64_t delta = 1; // inc and dec
    ddbcache::get_or_set_options get_or_set; // max_stale, lease_ttl, lease_wait
    ddbcache::lock_options lock;             // ttl, wait
    std::vector<std::string> command_options; // those given, each checked against the command's
    bool help = false;
    bool version = false;
};

ddbcache::value_compression parse_compression(std::string_view name) {
    if (name == "none") return ddbcache::value_compression::none;
    if (name == "zstd") return ddbcache::value_compression::zstd;
    throw usage_error("--compression must be none or zstd, not \"" + std::string(name) + "\"");
}

ddbcache::value_codec parse_codec(std::string_view name) {
    if (name == "cachelib") return ddbcache::value_codec::cachelib;
    if (name == "raw") return ddbcache::value_codec::raw;
    throw usage_error("--codec must be cachelib or raw, not \"" + std::string(name) + "\"");
}

// An argument that an empty string would silently turn into the default.
std::string nonempty_argument(std::string value, std::string_view option) {
    if (value.empty()) throw usage_error(std::string(option) + " needs a non-empty argument");
    return value;
}

// Applies option `name` (with its argument, when it takes one); false when it is unknown.
bool apply_option(invocation& inv, std::string_view name, auto&& next_argument) {
    auto& o = inv.options;
    if (name == "--help") inv.help = true;
    else if (name == "--version") inv.version = true;
    else if (name == "--no-create-table") o.create_table = false;
    else if (name == "--profile") o.client.credentials.profile = nonempty_argument(next_argument(), name);
    else if (name == "--ca-file") o.client.ca_file = nonempty_argument(next_argument(), name);
    else if (name == "--endpoint") o.client.endpoint = next_argument();
    else if (name == "--region") o.client.region = next_argument();
    else if (name == "--table") o.table_name = next_argument();
    else if (name == "--prefix") o.key_prefix = next_argument();
    else if (name == "--key-field") o.key_field = next_argument();
    else if (name == "--expiration-field") o.expiration_time_field = next_argument();
    else if (name == "--codec") o.codec = parse_codec(next_argument());
    else if (name == "--compression") o.compression.algorithm = parse_compression(next_argument());
    else if (name == "--max-value-size") {
        const std::int64_t bytes = parse_integer(next_argument(), "--max-value-size");
        if (bytes < 1) throw usage_error("--max-value-size must be 1 or more");
        o.max_value_size = static_cast<std::size_t>(bytes);
    }
    else if (name == "--timeout") {
        const std::int64_t seconds = parse_integer(next_argument(), "--timeout");
        if (seconds < 0) throw usage_error("--timeout must be 0 (never expires) or more");
        inv.timeout = std::chrono::seconds(seconds);
    } else if (name == "--max-stale") {
        const std::int64_t seconds = parse_integer(next_argument(), "--max-stale");
        if (seconds < 0) throw usage_error("--max-stale must be 0 (never) or more");
        inv.get_or_set.max_stale = std::chrono::seconds(seconds);
    } else if (name == "--lease-ttl") inv.get_or_set.lease_ttl = positive_seconds(next_argument(), name);
    else if (name == "--lease-wait") inv.get_or_set.lease_wait = parse_seconds(next_argument(), name);
    else if (name == "--ttl") inv.lock.ttl = positive_seconds(next_argument(), name);
    else if (name == "--wait") inv.lock.wait = parse_seconds(next_argument(), name);
    else
        return false;
    if (name == "--timeout" || name == "--max-stale" || name.starts_with("--lease-") || name == "--ttl" || name == "--wait")
        inv.command_options.emplace_back(name);
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

command_result run_touch(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto [ec, touched] = co_await c.async_touch(inv.operands[0], {.timeout = inv.timeout, .diag = &diag}, as_result);
    if (ec) co_return report(ec, diag, inv.command);
    co_return touched ? 0 : 1;
}

// How a child process ended: its wait status, or the errno that kept it from starting.
struct child_end {
    int wait_status = 0;
    int spawn_error = 0;
};

// The line naming how COMMAND failed ("COMMAND 'false' exited with status 1"); empty when it
// exited 0.
std::string failure_of(const std::string& program, const child_end& end) {
    const std::string name = "COMMAND '" + program + "'";
    if (end.spawn_error) return name + " could not be run: " + std::strerror(end.spawn_error);
    if (WIFSIGNALED(end.wait_status)) return name + " was killed by signal " + std::to_string(WTERMSIG(end.wait_status));
    if (WEXITSTATUS(end.wait_status) != 0) return name + " exited with status " + std::to_string(WEXITSTATUS(end.wait_status));
    return {};
}

// Reaps `pid` once it exits. SIGTERM and SIGHUP meanwhile go on to the child, which decides when
// to end (a lock is released after it); SIGINT from a terminal reaches it directly.
asio::awaitable<int> wait_for_exit(asio::signal_set& signals, pid_t pid) {
    for (;;) {
        int status = 0;
        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid) co_return status;
        if (reaped < 0 && errno != EINTR) throw boost::system::system_error(errno, boost::system::system_category(), "waitpid");
        const int signal = co_await signals.async_wait(asio::use_awaitable);
        if (signal == SIGTERM || signal == SIGHUP) ::kill(pid, signal);
    }
}

asio::awaitable<void> read_to_end(asio::posix::stream_descriptor& pipe, std::string& out) {
    auto [ec, n] = co_await asio::async_read(pipe, asio::dynamic_buffer(out), as_result);
    if (ec && ec != asio::error::eof) throw boost::system::system_error(ec, "reading COMMAND's output");
}

// Runs argv (searched in PATH, no shell) to its end, with `env_entry` ("NAME=value") added to
// the environment when given, its standard output read into `out` when given (else inherited).
asio::awaitable<child_end> run_child(const std::vector<std::string>& argv, std::string env_entry, std::string* out) {
    const auto executor = co_await asio::this_coro::executor;
    // Catching SIGCHLD before the child exists, so its exit cannot go unnoticed.
    asio::signal_set signals(executor, SIGCHLD, SIGTERM, SIGHUP);
    signals.add(SIGINT); // would end ddbcache without releasing the lock

    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> env;
    const std::string_view env_name = std::string_view(env_entry).substr(0, env_entry.find('=') + 1);
    for (char** e = environ; *e; ++e)
        if (env_name.empty() || !std::string_view(*e).starts_with(env_name)) env.push_back(*e);
    if (!env_entry.empty()) env.push_back(const_cast<char*>(env_entry.c_str()));
    env.push_back(nullptr);

    int pipe_ends[2] = {-1, -1};
    if (out && ::pipe2(pipe_ends, O_CLOEXEC) != 0)
        throw boost::system::system_error(errno, boost::system::system_category(), "pipe");
    asio::posix::stream_descriptor reader(executor);
    if (out) reader.assign(pipe_ends[0]);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    if (out) ::posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    // Asio's sockets are not close-on-exec: COMMAND must not inherit a DynamoDB connection.
    ::posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    pid_t pid = 0;
    const int spawn_error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
    ::posix_spawn_file_actions_destroy(&actions);
    if (out) ::close(pipe_ends[1]); // the child's copy alone keeps the pipe open: its end is our end of file
    if (spawn_error) co_return child_end{.spawn_error = spawn_error};

    using namespace asio::experimental::awaitable_operators;
    const int status = out ? co_await (read_to_end(reader, *out) && wait_for_exit(signals, pid))
                           : co_await wait_for_exit(signals, pid);
    co_return child_end{.wait_status = status};
}

// COMMAND [ARG...]: the operands after the key or name.
std::vector<std::string> command_operands(const invocation& inv) {
    return {inv.operands.begin() + 1, inv.operands.end()};
}

// get-or-set's compute: COMMAND's standard output when it exits 0; else the failure, also kept
// in `failure` for the line ddbcache prints.
asio::awaitable<std::string> run_compute(std::vector<std::string> argv, std::shared_ptr<std::string> failure) {
    std::string out;
    const child_end end = co_await run_child(argv, "", &out);
    *failure = failure_of(argv[0], end);
    if (!failure->empty()) throw std::runtime_error(*failure);
    co_return out;
}

command_result run_get_or_set(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    auto failure = std::make_shared<std::string>();
    ddbcache::get_or_set_options o = inv.get_or_set;
    o.timeout = inv.timeout;
    o.lease = true;
    o.diag = &diag;
    auto compute = [argv = command_operands(inv), failure] { return run_compute(argv, failure); };
    auto [ec, result] = co_await c.async_get_or_set(inv.operands[0], compute, o, as_result);
    if (ec == ddbcache::client_errc::compute_failed && !failure->empty()) {
        std::cerr << "ddbcache: " << *failure << '\n';
        co_return 2;
    }
    if (ec) co_return report(ec, diag, inv.command);
    if (!result.value) co_return 1;
    if (result.source == ddbcache::value_source::stale)
        std::cerr << "ddbcache: printed a stale value of '" << inv.operands[0] << "' (expired at most "
                  << inv.get_or_set.max_stale.count() << " s ago): "
                  << (failure->empty() ? "DynamoDB failed, or the process computing it stored nothing within --lease-wait"
                                       : *failure)
                  << '\n';
    write_stdout(*result.value);
    co_return 0;
}

command_result run_lock(cache& c, const invocation& inv, ddbcache::diagnostics& diag) {
    ddbcache::lock_options o = inv.lock;
    o.heartbeat = true;
    o.diag = &diag;
    auto [ec, lease] = co_await c.async_lock(inv.operands[0], o, as_result);
    if (ec == ddbcache::client_errc::lock_not_acquired) co_return 1;
    if (ec) co_return report(ec, diag, inv.command);
    const std::vector<std::string> argv = command_operands(inv);
    const std::string token = "DDBCACHE_FENCING_TOKEN=" + std::to_string(lease.fencing_token());
    const child_end end = co_await run_child(argv, token, nullptr);
    auto [release_ec, released] = co_await lease.async_release({.diag = &diag}, as_result);
    if (release_ec) co_return report(release_ec, diag, "lock: release");
    if (!released) {
        // Its lease lapsed (a heartbeat failed) and another took it: COMMAND may have overlapped theirs.
        std::cerr << "ddbcache: lock: '" << inv.operands[0] << "' was lost while COMMAND ran\n";
        co_return 2;
    }
    if (end.spawn_error) {
        std::cerr << "ddbcache: " << failure_of(argv[0], end) << '\n';
        co_return 2;
    }
    co_return WIFSIGNALED(end.wait_status) ? 128 + WTERMSIG(end.wait_status) : WEXITSTATUS(end.wait_status);
}

struct command {
    std::string_view name;
    std::size_t min_operands;
    std::size_t max_operands;
    std::string_view options; // the command's own options, of those recorded in command_options
    command_result (*run)(cache&, const invocation&, ddbcache::diagnostics&);
};

constexpr command commands[] = {
    {"get", 1, 1, "", run_get},
    {"set", 2, 2, "--timeout", run_store},
    {"add", 2, 2, "--timeout", run_store},
    {"delete", 1, 1, "", run_delete},
    {"has", 1, 1, "", run_has},
    {"clear", 0, 0, "", run_clear},
    {"inc", 1, 2, "", run_counter},
    {"dec", 1, 2, "", run_counter},
    {"get-many", 1, SIZE_MAX, "", run_get_many},
    {"touch", 1, 1, "--timeout", run_touch},
    {"get-or-set", 2, SIZE_MAX, "--timeout --max-stale --lease-ttl --lease-wait", run_get_or_set},
    {"lock", 2, SIZE_MAX, "--ttl --wait", run_lock},
};

// The command named, its operands checked (before any request).
const command& find_command(invocation& inv) {
    if (inv.command.empty()) throw usage_error("no command given (see ddbcache --help)");
    for (const command& cmd : commands) {
        if (cmd.name != inv.command) continue;
        if (inv.operands.size() < cmd.min_operands || inv.operands.size() > cmd.max_operands)
            throw usage_error("wrong number of arguments for " + inv.command + " (see ddbcache --help)");
        for (const std::string& option : inv.command_options)
            if ((" " + std::string(cmd.options) + " ").find(" " + option + " ") == std::string::npos)
                throw usage_error(option + " does not apply to " + inv.command + " (see ddbcache --help)");
        if ((cmd.name == "inc" || cmd.name == "dec") && inv.operands.size() == 2)
            inv.delta = parse_integer(inv.operands[1], "DELTA");
        return cmd;
    }
    throw usage_error("unknown command \"" + inv.command + "\" (see ddbcache --help)");
}

int run(const invocation& inv, const command& cmd) {
    asio::io_context io;
    // Errors to stderr: what a command cannot report in its status (a computed value that could
    // not be stored, a lock's heartbeat that stopped).
    ddbcache::cache_options options = inv.options;
    options.client.log = ddbcache::clog_logger(ddbcache::log_level::error);
    cache c(io.get_executor(), options); // throws when the region or credentials are missing
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

const char* name_of(ddbcache::retry_mode mode) {
    switch (mode) {
    case ddbcache::retry_mode::standard: return "standard";
    case ddbcache::retry_mode::adaptive: return "adaptive";
    case ddbcache::retry_mode::legacy: return "legacy";
    }
    return "unknown";
}

// `ddbcache config`: what the client resolved, without a request.
int print_configuration(const invocation& inv) {
    if (!inv.operands.empty() || !inv.command_options.empty())
        throw usage_error("config takes no arguments (see ddbcache --help)");
    asio::io_context io;
    const ddbcache::client client(io.get_executor(), inv.options.client); // throws what it cannot resolve
    const ddbcache::client_configuration c = client.configuration();
    const auto line = [](std::string_view name, const std::string& value) {
        std::cout << name << ' ' << (value.empty() ? "<not set>" : value) << '\n';
    };
    line("endpoint", c.endpoint);
    line("endpoint_source", c.endpoint_source);
    line("region", c.region);
    line("region_source", c.region_source);
    line("credentials", c.credentials_source);
    line("retry_mode", name_of(c.mode));
    line("retry_mode_source", c.retry_mode_source);
    line("max_attempts", std::to_string(c.max_attempts));
    line("max_attempts_source", c.max_attempts_source);
    line("ca_bundle", c.ca_bundle.empty() ? "system" : c.ca_bundle);
    line("ca_bundle_source", c.ca_bundle_source);
    line("proxy", c.proxy);
    line("proxy_source", c.proxy_source);
    line("user_agent", c.user_agent);
    return 0;
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
        if (inv.version) {
            std::cout << tools::version_line("ddbcache");
            return 0;
        }
        if (inv.command == "config") return print_configuration(inv);
        const command& cmd = find_command(inv);
        return run(inv, cmd);
    } catch (const std::exception& e) {
        return report_exception(e);
    }
}
