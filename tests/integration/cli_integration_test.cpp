// The `ddbcache` command-line tool, run as a child process against both local servers: output
// bytes, exit statuses, error lines, and the items it writes (read back through the library).
#include "local_servers.hpp"
#include "../support/scoped_environment.hpp"
#include "tls_forwarder.hpp"

#include <ddbcache/cache.hpp>
#include <ddbcache/version.hpp>

#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace ddbcache::test {
namespace {
namespace asio = boost::asio;

struct cli_run {
    int exit_status = -1;
    std::string out;
    std::string err;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A directory of its own for each use (several runs may be under way at once, from threads too).
std::filesystem::path scratch_directory() {
    static std::atomic<int> uses{0};
    const auto dir = std::filesystem::temp_directory_path() /
                     ("ddbcache-cli-" + std::to_string(::getpid()) + "-" + std::to_string(++uses));
    std::filesystem::create_directories(dir);
    return dir;
}

// A run of the tool under way.
struct cli_child {
    pid_t pid = -1;
    std::filesystem::path dir;
};

// Starts the tool with `args`, feeding `input` on stdin; stdout and stderr go through files, so a
// large output cannot block the child. `wrapper`, when given, runs the tool (faketime ...).
cli_child start_cli(const std::vector<std::string>& args, const std::string& input = "",
                    const std::vector<std::string>& wrapper = {}) {
    const auto dir = scratch_directory();
    std::ofstream(dir / "in", std::ios::binary) << input;
    std::vector<char*> argv;
    for (const std::string& w : wrapper) argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(const_cast<char*>(DDBCACHE_CLI));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // Built before fork: the child of a threaded process may only make async-signal-safe calls.
    const std::string in_path = dir / "in", out_path = dir / "out", err_path = dir / "err";
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open(in_path.c_str(), O_RDONLY);
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return {pid, dir};
}

// Waits for the run to end: its exit status (-1 when killed), stdout and stderr.
cli_run wait_cli(const cli_child& child) {
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    cli_run r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(child.dir / "out"), read_file(child.dir / "err")};
    std::filesystem::remove_all(child.dir);
    return r;
}

cli_run run_cli(const std::vector<std::string>& args, const std::string& input = "",
                const std::vector<std::string>& wrapper = {}) {
    return wait_cli(start_cli(args, input, wrapper));
}

// The lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

class Cli : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
        ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
        ::setenv("AWS_REGION", "us-east-1", 1);
    }
    // The tool's arguments for this test's table: the common options, then `args`.
    std::vector<std::string> on_table(const std::vector<std::string>& args) {
        std::vector<std::string> all{"--endpoint", endpoint_of(GetParam()), "--table", table_};
        all.insert(all.end(), args.begin(), args.end());
        return all;
    }
    // The tool on this test's table.
    cli_run cli(const std::vector<std::string>& args, const std::string& input = "") {
        return run_cli(on_table(args), input);
    }
    // The tool under Debian's faketime, its wall clock `offset` ("-20m") from the real one (its
    // steady clock left alone, as the client's timeouts need).
    cli_run cli_with_clock(const std::string& offset, std::vector<std::string> args) {
        EXPECT_TRUE(std::filesystem::exists(DDBCACHE_FAKETIME))
            << "faketime is missing (" << DDBCACHE_FAKETIME << "): scripts/setup.sh installs it";
        ::setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
        // Under AddressSanitizer, faketime's LD_PRELOAD puts its library ahead of ASan's runtime,
        // which ASan refuses by default; the order does no harm to what faketime replaces.
        const char* asan = std::getenv("ASAN_OPTIONS");
        const std::string asan_before = asan ? asan : "";
        ::setenv("ASAN_OPTIONS", (asan_before + (asan_before.empty() ? "" : ":") + "verify_asan_link_order=0").c_str(), 1);
        cli_run r = run_cli(on_table(args), "", {DDBCACHE_FAKETIME, "-f", offset});
        ::unsetenv("FAKETIME_DONT_FAKE_MONOTONIC");
        if (asan) ::setenv("ASAN_OPTIONS", asan_before.c_str(), 1);
        else ::unsetenv("ASAN_OPTIONS");
        return r;
    }
    // The library's view of the same table; its clock (DynamoDB's time) `clock_offset` from the
    // real one.
    template <class Body>
    void with_cache(Body body, const std::string& prefix = "", std::chrono::seconds clock_offset = {}) {
        run_on_io([&]() -> asio::awaitable<void> {
            cache_options o;
            o.table_name = table_;
            o.key_prefix = prefix;
            o.client = local_client_options(GetParam());
            if (clock_offset != std::chrono::seconds{})
                o.client.clock = [clock_offset] { return std::chrono::system_clock::now() + clock_offset; };
            cache c(co_await asio::this_coro::executor, o);
            co_await body(c);
        }());
    }
    // The item as stored, read through the client (no cache rules applied).
    std::optional<item> stored_item(const std::string& key) {
        return run_on_io([&]() -> asio::awaitable<std::optional<item>> {
            client c(co_await asio::this_coro::executor, local_client_options(GetParam()));
            get_item_request get{table_, {}};
            get.key.set("cache_key", attribute_value::S(key));
            get_item_result r = co_await c.async_execute(get, asio::use_awaitable);
            co_return r.found;
        }());
    }
    const std::string table_ = unique_table_name("cli");
};

TEST_P(Cli, GetPrintsTheStoredBytesExactly) {
    const std::string value("bin\xff\0\n\"end", 9);
    const cli_run set = cli({"set", "k", "-"}, value);
    ASSERT_EQ(set.exit_status, 0) << set.err;
    const cli_run get = cli({"get", "k"});
    EXPECT_EQ(get.exit_status, 0) << get.err;
    EXPECT_EQ(get.out, value); // no newline added
    EXPECT_EQ(get.err, "");
}

TEST_P(Cli, AFileOfManyMegabytesRoundTripsWithMaxValueSizeAndCompression) {
    std::string file(12'000'000, '\0');
    std::uint64_t x = 88172645463325252ULL;
    for (std::size_t i = 0; i < file.size(); ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        file[i] = i % 3 == 0 ? 'a' : static_cast<char>(x); // compresses somewhat, still many chunks
    }
    const std::vector<std::string> large{"--codec", "raw", "--max-value-size", "100000000", "--compression", "zstd"};
    std::vector<std::string> set_args = large;
    set_args.insert(set_args.end(), {"set", "file", "-"});
    const cli_run set = cli(set_args, file);
    ASSERT_EQ(set.exit_status, 0) << set.err;
    const cli_run get = cli({"--codec", "raw", "get", "file"}); // a reader needs neither option
    EXPECT_EQ(get.exit_status, 0) << get.err;
    EXPECT_TRUE(get.out == file) << get.out.size() << " bytes read back of " << file.size();
}

TEST_P(Cli, AValueOverOneItemWithoutMaxValueSizeExitsTwoSayingWhichOptionStoresIt) {
    const cli_run set = cli({"--codec", "raw", "set", "k", "-"}, std::string(500'000, 'v'));
    EXPECT_EQ(set.exit_status, 2);
    EXPECT_NE(set.err.find("raise cache_options::max_value_size"), std::string::npos) << set.err;
}

TEST_P(Cli, AMissExitsOneAndPrintsNothing) {
    ASSERT_EQ(cli({"set", "present", "v"}).exit_status, 0);
    const cli_run get = cli({"get", "absent"});
    EXPECT_EQ(get.exit_status, 1);
    EXPECT_EQ(get.out, "");
    EXPECT_EQ(get.err, "");
    EXPECT_EQ(cli({"has", "absent"}).exit_status, 1);
    EXPECT_EQ(cli({"has", "present"}).exit_status, 0);
}

TEST_P(Cli, AddDeleteAndTheirExitStatuses) {
    EXPECT_EQ(cli({"add", "k", "first"}).exit_status, 0);
    EXPECT_EQ(cli({"add", "k", "second"}).exit_status, 1); // present: not stored
    EXPECT_EQ(cli({"get", "k"}).out, "first");
    EXPECT_EQ(cli({"delete", "k"}).exit_status, 0);
    EXPECT_EQ(cli({"delete", "k"}).exit_status, 1); // already gone
}

TEST_P(Cli, CountersPrintTheNewValueAndALineEnd) {
    EXPECT_EQ(cli({"inc", "n"}).out, "1\n");
    EXPECT_EQ(cli({"inc", "n", "41"}).out, "42\n");
    EXPECT_EQ(cli({"dec", "n", "50"}).out, "-8\n");
    EXPECT_EQ(cli({"dec", "n"}).out, "-9\n");
    EXPECT_EQ(cli({"get", "n"}).out, "-9"); // stored as digits, as cachelib stores ints
}

TEST_P(Cli, GetManyPrintsOneJsonLinePerKeyInOrder) {
    ASSERT_EQ(cli({"set", "text", "say \"hi\"\n"}).exit_status, 0);
    ASSERT_EQ(cli({"set", "bytes", "-"}, std::string("\xff\0", 2)).exit_status, 0);
    const cli_run many = cli({"get-many", "bytes", "absent", "text"});
    EXPECT_EQ(many.exit_status, 1); // one key missed
    EXPECT_EQ(many.out, "{\"key\":\"bytes\",\"value_b64\":\"/wA=\"}\n"
                        "{\"key\":\"absent\",\"value\":null}\n"
                        "{\"key\":\"text\",\"value\":\"say \\\"hi\\\"\\n\"}\n");
    EXPECT_EQ(cli({"get-many", "text", "text"}).exit_status, 0); // every key hit
}

TEST_P(Cli, ClearWithAPrefixLeavesOtherKeys) {
    ASSERT_EQ(cli({"--prefix", "mine:", "set", "a", "1"}).exit_status, 0);
    ASSERT_EQ(cli({"set", "other", "2"}).exit_status, 0);
    EXPECT_EQ(cli({"--prefix", "mine:", "clear"}).exit_status, 0);
    EXPECT_EQ(cli({"get", "mine:a"}).exit_status, 1);
    EXPECT_EQ(cli({"get", "other"}).out, "2");
}

TEST_P(Cli, WritesWhatTheLibraryReadsAndReadsWhatItWrites) {
    ASSERT_EQ(cli({"--prefix", "p:", "set", "from-cli", "hello", "--timeout", "0"}).exit_status, 0);
    with_cache(
        [](cache& c) -> asio::awaitable<void> {
            EXPECT_EQ(co_await c.async_get("from-cli", asio::use_awaitable), "hello");
            EXPECT_TRUE(co_await c.async_set("from-lib", "world", asio::use_awaitable));
        },
        "p:");
    EXPECT_EQ(cli({"get", "p:from-lib"}).out, "world");
}

TEST_P(Cli, TimeoutZeroWritesNoExpirationAndRawCodecStoresBytesAsTheyAre) {
    ASSERT_EQ(cli({"--codec", "raw", "set", "k", "plain", "--timeout", "0"}).exit_status, 0);
    const std::optional<item> found = stored_item("k");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->find("expiration_time"), nullptr);
    const attribute_value* response = found->find("response");
    ASSERT_TRUE(response && response->if_B());
    EXPECT_EQ(*response->if_B(), "plain");
}

// A timeout whose expiration would wrap around is refused, not stored as an entry no get can read.
TEST_P(Cli, ATimeoutPastTheLastExpirationIsRefusedNamingTheLimit) {
    const cli_run huge = cli({"set", "k", "hello", "--timeout", "9223372036854775807"});
    EXPECT_EQ(huge.exit_status, 2);
    EXPECT_NE(huge.err.find("puts its expiration past 9999-12-31T23:59:59Z"), std::string::npos) << huge.err;
    EXPECT_EQ(cli({"get", "k"}).exit_status, 1) << "nothing was stored";
    ASSERT_EQ(cli({"set", "k", "hello", "--timeout", "8000000000"}).exit_status, 0); // about 250 years
    EXPECT_EQ(cli({"get", "k"}).out, "hello");
}

TEST_P(Cli, ErrorsExitTwoWithOneLineNamingTheCause) {
    const cli_run empty_key = cli({"get", ""});
    EXPECT_EQ(empty_key.exit_status, 2);
    EXPECT_EQ(empty_key.err, "ddbcache: get: the key is empty\n");
    EXPECT_EQ(empty_key.out, "");

    const cli_run missing_table = cli({"--no-create-table", "--table", "no-such-table", "get", "k"});
    EXPECT_EQ(missing_table.exit_status, 2);
    EXPECT_NE(missing_table.err.find("ResourceNotFoundException"), std::string::npos) << missing_table.err;
    EXPECT_EQ(std::count(missing_table.err.begin(), missing_table.err.end(), '\n'), 1) << missing_table.err;

    ASSERT_EQ(cli({"set", "text", "abc"}).exit_status, 0);
    const cli_run not_a_counter = cli({"inc", "text"});
    EXPECT_EQ(not_a_counter.exit_status, 2);
    EXPECT_NE(not_a_counter.err.find("not an integer"), std::string::npos) << not_a_counter.err;
}

// Neither local server checks a signature's date (DynamoDB refuses one more than 5 minutes off,
// and the client re-signs: see client_integration_test's ClockSkew), but both date their answers,
// and the client learns DynamoDB's time from that.
std::int64_t seconds_from_now(std::chrono::seconds later) {
    return std::chrono::duration_cast<std::chrono::seconds>((std::chrono::system_clock::now() + later).time_since_epoch())
        .count();
}

TEST_P(Cli, WithItsClock20MinutesBehindANewTablesFirstEntryIsDatedByDynamoDbsClock) {
    const cli_run set = cli_with_clock("-20m", {"set", "k", "v", "--timeout", "600"});
    ASSERT_EQ(set.exit_status, 0) << set.err;
    const std::optional<item> found = stored_item("k");
    ASSERT_TRUE(found.has_value());
    const attribute_value* expiration = found->find("expiration_time");
    ASSERT_TRUE(expiration && expiration->if_N());
    // Wide bounds for a slow machine; dated by the tool's own clock it would be 1200 s early.
    EXPECT_NEAR(static_cast<double>(std::stoll(*expiration->if_N())),
                static_cast<double>(seconds_from_now(std::chrono::seconds(600))), 120.0);
}

TEST_P(Cli, WithItsClock30MinutesAheadAnEntryIsFoundUntilDynamoDbsClockExpiresIt) {
    with_cache([](cache& c) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await c.async_set("k", "still here", {.timeout = std::chrono::seconds(600)}, asio::use_awaitable));
    });
    const cli_run get = cli_with_clock("+30m", {"get", "k"});
    EXPECT_EQ(get.exit_status, 0) << get.err; // a miss (1) when its own clock says expired
    EXPECT_EQ(get.out, "still here");
}

// Cache-aside from the shell. Timing never decides a verdict: waits are bounded generously
// (--lease-ttl, --lease-wait, --wait of minutes) and only how often COMMAND ran is counted.
TEST_P(Cli, GetOrSetRunsTheCommandOnceForFourConcurrentProcessesOnAMissingKey) {
    ASSERT_EQ(cli({"set", "other", "x"}).exit_status, 0); // the table exists: the processes race for the key alone
    const auto dir = scratch_directory();
    const std::string runs = dir / "runs";
    const std::string command = "echo x >> '" + runs + "'; sleep 0.3; echo value";
    std::vector<cli_child> children;
    for (int i = 0; i < 4; ++i)
        children.push_back(start_cli(on_table(
            {"get-or-set", "k", "--lease-ttl", "300", "--lease-wait", "300", "--", "sh", "-c", command})));
    for (const cli_child& child : children) {
        const cli_run r = wait_cli(child);
        EXPECT_EQ(r.exit_status, 0) << r.err;
        EXPECT_EQ(r.out, "value\n");
        EXPECT_EQ(r.err, "");
    }
    EXPECT_EQ(read_file(runs), "x\n") << "COMMAND ran more than once";
    EXPECT_EQ(cli({"get", "k"}).out, "value\n");
    std::filesystem::remove_all(dir);
}

TEST_P(Cli, GetOrSetOnAHitPrintsTheStoredValueWithoutRunningTheCommand) {
    ASSERT_EQ(cli({"set", "k", "-"}, std::string("stored\0bytes", 12)).exit_status, 0);
    const cli_run r = cli({"get-or-set", "k", "--", "sh", "-c", "echo computed; exit 3"});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, std::string("stored\0bytes", 12));
}

TEST_P(Cli, GetOrSetWithAFailingCommandExitsTwoNamingItsStatusAndStoresNothing) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"false"}, "ddbcache: COMMAND 'false' exited with status 1\n"},
        {{"sh", "-c", "echo partial; kill -9 $$"}, "ddbcache: COMMAND 'sh' was killed by signal 9\n"},
        {{"/nonexistent/ddbcache-test-command"},
         "ddbcache: COMMAND '/nonexistent/ddbcache-test-command' could not be run: No such file or directory\n"},
    };
    for (const auto& [command, message] : cases) {
        std::vector<std::string> args{"get-or-set", "k", "--"};
        args.insert(args.end(), command.begin(), command.end());
        const cli_run r = cli(args);
        EXPECT_EQ(r.exit_status, 2) << testing::PrintToString(command);
        EXPECT_EQ(r.err, message);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(cli({"has", "k"}).exit_status, 1) << "stored after " << testing::PrintToString(command);
    }
}

// An entry that expired a minute ago: written through the library with its clock (DynamoDB's
// time) two minutes behind. Running the tool under faketime could not age it: the client learns
// DynamoDB's time from its answers (WithItsClock30MinutesAhead... above).
TEST_P(Cli, GetOrSetPrintsAStaleValueWithinMaxStaleWhenTheCommandFails) {
    with_cache(
        [](cache& c) -> asio::awaitable<void> {
            EXPECT_TRUE(co_await c.async_set("k", "old", {.timeout = std::chrono::seconds(60)}, asio::use_awaitable));
        },
        "", -std::chrono::minutes(2));
    const cli_run stale = cli({"get-or-set", "k", "--max-stale", "3600", "--", "false"});
    EXPECT_EQ(stale.exit_status, 0) << stale.err;
    EXPECT_EQ(stale.out, "old");
    EXPECT_NE(stale.err.find("stale"), std::string::npos) << stale.err;
    EXPECT_NE(stale.err.find("COMMAND 'false' exited with status 1"), std::string::npos) << stale.err;
    EXPECT_EQ(std::count(stale.err.begin(), stale.err.end(), '\n'), 1) << stale.err;

    const cli_run too_old = cli({"get-or-set", "k", "--max-stale", "30", "--", "false"});
    EXPECT_EQ(too_old.exit_status, 2);
    EXPECT_EQ(too_old.err, "ddbcache: COMMAND 'false' exited with status 1\n");
    EXPECT_EQ(too_old.out, "");

    const cli_run recomputed = cli({"get-or-set", "k", "--max-stale", "3600", "--", "echo", "new"});
    EXPECT_EQ(recomputed.exit_status, 0) << recomputed.err;
    EXPECT_EQ(recomputed.out, "new\n");
    EXPECT_EQ(recomputed.err, "");
}

// Each of 4 processes takes the lock 5 times; COMMAND fails (9) when it finds another inside.
TEST_P(Cli, LockRunsTheCommandsOfConcurrentProcessesOneAtATimeWithGrowingFencingTokens) {
    ASSERT_EQ(cli({"set", "other", "x"}).exit_status, 0); // the table exists
    const auto dir = scratch_directory();
    const std::string inside = dir / "inside", tokens = dir / "tokens";
    const std::string command = "mkdir '" + inside + "' || exit 9; echo \"$DDBCACHE_FENCING_TOKEN\" >> '" + tokens +
                                "'; sleep 0.05; rmdir '" + inside + "'";
    const std::vector<std::string> args = on_table({"lock", "shared", "--wait", "300", "--", "sh", "-c", command});
    std::vector<std::vector<cli_run>> runs(4);
    std::vector<std::thread> processes;
    for (auto& mine : runs)
        processes.emplace_back([&] {
            for (int i = 0; i < 5; ++i) mine.push_back(run_cli(args));
        });
    for (auto& p : processes) p.join();
    for (const auto& mine : runs)
        for (const cli_run& r : mine) {
            EXPECT_EQ(r.exit_status, 0) << r.err;
            EXPECT_EQ(r.out, "");
            EXPECT_EQ(r.err, "");
        }
    const std::vector<std::string> granted = lines_of(read_file(tokens));
    ASSERT_EQ(granted.size(), 20u);
    for (std::size_t i = 1; i < granted.size(); ++i)
        EXPECT_LT(std::stoll(granted[i - 1]), std::stoll(granted[i])) << "grant " << i;
    std::filesystem::remove_all(dir);
}

TEST_P(Cli, LockExitsOneWhileAnotherHoldsIt) {
    with_cache([&](cache& c) -> asio::awaitable<void> {
        lease held = co_await c.async_lock("held", {.ttl = std::chrono::minutes(5)}, asio::use_awaitable);
        for (const char* wait : {"0", "0.5"}) {
            const cli_run busy = cli({"lock", "held", "--wait", wait, "--", "sh", "-c", "exit 5"}); // 5 if it ran
            EXPECT_EQ(busy.exit_status, 1) << busy.err;
            EXPECT_EQ(busy.out, "");
            EXPECT_EQ(busy.err, "");
        }
        EXPECT_TRUE(co_await held.async_release(asio::use_awaitable));
    });
    EXPECT_EQ(cli({"lock", "held", "--", "true"}).exit_status, 0);
}

// COMMAND's status is the tool's; the lock is released however COMMAND ended (the next run
// takes it without waiting).
TEST_P(Cli, LockExitsWithTheCommandsStatusAndReleasesTheLock) {
    const std::vector<std::pair<std::vector<std::string>, int>> cases = {
        {{"true"}, 0},
        {{"sh", "-c", "exit 7"}, 7},
        {{"sh", "-c", "kill -9 $$"}, 128 + 9},
        {{"/nonexistent/ddbcache-test-command"}, 2},
    };
    for (const auto& [command, status] : cases) {
        std::vector<std::string> args{"lock", "name", "--wait", "0", "--"};
        args.insert(args.end(), command.begin(), command.end());
        const cli_run r = cli(args);
        EXPECT_EQ(r.exit_status, status) << testing::PrintToString(command) << r.err;
        EXPECT_EQ(r.out, "");
        if (status == 2)
            EXPECT_EQ(r.err, "ddbcache: COMMAND '/nonexistent/ddbcache-test-command' could not be run: No such file or "
                             "directory\n");
        else
            EXPECT_EQ(r.err, "");
    }
}

TEST_P(Cli, LockGivesTheCommandAFencingTokenThatGrowsWithEachGrant) {
    ::setenv("DDBCACHE_FENCING_TOKEN", "inherited", 1); // replaced, not passed on
    std::vector<std::int64_t> tokens;
    for (int i = 0; i < 3; ++i) {
        const cli_run r = cli({"lock", "fenced", "--", "sh", "-c", "printf %s \"$DDBCACHE_FENCING_TOKEN\""});
        ASSERT_EQ(r.exit_status, 0) << r.err;
        ASSERT_FALSE(r.out.empty());
        ASSERT_TRUE(std::all_of(r.out.begin(), r.out.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) << r.out;
        tokens.push_back(std::stoll(r.out));
    }
    ::unsetenv("DDBCACHE_FENCING_TOKEN");
    EXPECT_LT(tokens[0], tokens[1]);
    EXPECT_LT(tokens[1], tokens[2]);
}

TEST_P(Cli, ProfileSelectsTheNamedProfilesCredentialsAndRegion) {
    const auto dir = scratch_directory();
    std::ofstream(dir / "credentials") << "[cli-test]\naws_access_key_id = AKIDLOCALTEST\n"
                                          "aws_secret_access_key = local-test-secret\n";
    std::ofstream(dir / "config") << "[profile cli-test]\nregion = us-east-1\n";
    for (const char* n : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"}) ::unsetenv(n);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
    ::setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
    ::setenv("AWS_PROFILE", "absent", 1); // --profile wins over it
    const cli_run stored = cli({"--profile", "cli-test", "set", "k", "from a profile"});
    const cli_run read = cli({"--profile", "cli-test", "get", "k"});
    const cli_run without = cli({"get", "k"});
    const cli_run misspelt = cli({"--profile", "cli-tset", "get", "k"});
    ::unsetenv("AWS_PROFILE");
    const cli_run unnamed = cli({"get", "k"}); // the default profile may be absent
    for (const char* n : {"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) ::unsetenv(n);
    EXPECT_EQ(stored.exit_status, 0) << stored.err;
    EXPECT_EQ(read.out, "from a profile");
    EXPECT_EQ(without.exit_status, 2);
    EXPECT_EQ(without.err, "ddbcache: the profile 'absent' (named by AWS_PROFILE) is in neither " +
                               (dir / "credentials").string() + " nor " + (dir / "config").string() + "\n");
    EXPECT_EQ(misspelt.exit_status, 2);
    EXPECT_TRUE(misspelt.err.starts_with("ddbcache: the profile 'cli-tset' (named explicitly) is in neither"))
        << misspelt.err;
    EXPECT_EQ(unnamed.exit_status, 2);
    EXPECT_TRUE(unnamed.err.starts_with("ddbcache: no AWS region")) << unnamed.err;
    std::filesystem::remove_all(dir);
}

TEST_P(Cli, TouchExtendsAnUnexpiredEntryAndCreatesNoMissingOne) {
    ASSERT_EQ(cli({"set", "k", "v", "--timeout", "60"}).exit_status, 0);
    const cli_run touched = cli({"touch", "k", "--timeout", "3600"});
    EXPECT_EQ(touched.exit_status, 0) << touched.err;
    EXPECT_EQ(touched.out, "");
    const std::optional<item> found = stored_item("k");
    ASSERT_TRUE(found.has_value());
    const attribute_value* expiration = found->find("expiration_time");
    ASSERT_TRUE(expiration && expiration->if_N());
    // Wide bounds for a slow machine; untouched it would be 3540 s early.
    EXPECT_NEAR(static_cast<double>(std::stoll(*expiration->if_N())),
                static_cast<double>(seconds_from_now(std::chrono::seconds(3600))), 120.0);
    EXPECT_EQ(cli({"get", "k"}).out, "v");

    const cli_run missing = cli({"touch", "absent"});
    EXPECT_EQ(missing.exit_status, 1) << missing.err;
    EXPECT_EQ(missing.err, "");
    EXPECT_EQ(cli({"has", "absent"}).exit_status, 1);
    EXPECT_FALSE(stored_item("absent").has_value()) << "touch created an item";

    with_cache( // expired a minute ago (see GetOrSetPrintsAStaleValue...)
        [](cache& c) -> asio::awaitable<void> {
            EXPECT_TRUE(co_await c.async_set("expired", "old", {.timeout = std::chrono::seconds(60)}, asio::use_awaitable));
        },
        "", -std::chrono::minutes(2));
    EXPECT_EQ(cli({"touch", "expired"}).exit_status, 1);
    EXPECT_EQ(cli({"has", "expired"}).exit_status, 1) << "touch revived an expired entry";
}

INSTANTIATE_TEST_SUITE_P(LocalServers, Cli, testing::ValuesIn(server_names), server_param_name);

// Usage errors need no server.
TEST(CliUsage, BadArgumentsExitTwoBeforeAnyRequest) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{}, "ddbcache: no command given (see ddbcache --help)\n"},
        {{"frobnicate"}, "ddbcache: unknown command \"frobnicate\" (see ddbcache --help)\n"},
        {{"get"}, "ddbcache: wrong number of arguments for get (see ddbcache --help)\n"},
        {{"--colour", "get", "k"}, "ddbcache: unknown option --colour (see ddbcache --help)\n"},
        {{"inc", "k", "ten"}, "ddbcache: DELTA must be an integer, not \"ten\"\n"},
        {{"set", "k", "v", "--timeout", "-1"}, "ddbcache: --timeout must be 0 (never expires) or more\n"},
        {{"--codec", "json", "get", "k"}, "ddbcache: --codec must be cachelib or raw, not \"json\"\n"},
        {{"get", "k", "--endpoint"}, "ddbcache: --endpoint needs an argument\n"},
        {{"get-or-set", "k"}, "ddbcache: wrong number of arguments for get-or-set (see ddbcache --help)\n"},
        {{"lock", "name"}, "ddbcache: wrong number of arguments for lock (see ddbcache --help)\n"},
        {{"touch"}, "ddbcache: wrong number of arguments for touch (see ddbcache --help)\n"},
        {{"lock", "n", "--ttl", "0", "--", "true"}, "ddbcache: --ttl must be at least 0.001\n"},
        {{"lock", "n", "--wait", "-1", "--", "true"},
         "ddbcache: --wait must be seconds from 0 to 31536000 (such as 2 or 0.5), not \"-1\"\n"},
        {{"lock", "n", "--wait", "1e3", "--", "true"},
         "ddbcache: --wait must be seconds from 0 to 31536000 (such as 2 or 0.5), not \"1e3\"\n"},
        {{"get-or-set", "k", "--lease-wait", "soon", "--", "true"},
         "ddbcache: --lease-wait must be seconds from 0 to 31536000 (such as 2 or 0.5), not \"soon\"\n"},
        {{"get-or-set", "k", "--max-stale", "-1", "--", "true"}, "ddbcache: --max-stale must be 0 (never) or more\n"},
        {{"get-or-set", "k", "--ttl", "5", "--", "true"},
         "ddbcache: --ttl does not apply to get-or-set (see ddbcache --help)\n"},
        {{"get", "k", "--timeout", "5"}, "ddbcache: --timeout does not apply to get (see ddbcache --help)\n"},
    };
    for (const auto& [args, message] : cases) {
        const cli_run r = run_cli(args);
        EXPECT_EQ(r.exit_status, 2) << testing::PrintToString(args);
        EXPECT_EQ(r.err, message) << testing::PrintToString(args);
        EXPECT_EQ(r.out, "");
    }
}

// The endpoint is unreachable: only a check made before any request can name the rule.
TEST(CliUsage, NamesDynamoDbWouldRefuseExitTwoNamingTheValueAndTheRuleBeforeAnyRequest) {
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--table", "t1"}, "ddbcache: cache_options::table_name: table name 't1' is 2 characters long; DynamoDB "
                            "table names are 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'\n"},
        {{"--table", "cache/items"}, "ddbcache: cache_options::table_name: table name 'cache/items' has '/' at offset "
                                     "5; DynamoDB table names are 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and "
                                     "'-'\n"},
        {{"--key-field", ""}, "ddbcache: cache_options::key_field '' is 0 bytes long; DynamoDB key and TTL attribute "
                              "names are 1 to 255 bytes\n"},
        {{"--expiration-field", std::string(256, 'e')}, "ddbcache: cache_options::expiration_time_field '" +
                                                            std::string(100, 'e') + "...' is 256 bytes long; DynamoDB "
                                                            "key and TTL attribute names are 1 to 255 bytes\n"},
    };
    for (const auto& [names, message] : cases) {
        std::vector<std::string> args{"--endpoint", "http://127.0.0.1:1", "--region", "us-east-1"};
        args.insert(args.end(), names.begin(), names.end());
        args.insert(args.end(), {"get", "k"});
        const cli_run r = run_cli(args);
        EXPECT_EQ(r.exit_status, 2) << testing::PrintToString(names);
        EXPECT_EQ(r.err, message);
    }
}

TEST(CliUsage, CompressionAndLargeValuesWithTheCachelibCodecExitTwoSayingWhy) {
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
    const cli_run compressed =
        run_cli({"--endpoint", "http://127.0.0.1:1", "--region", "us-east-1", "--compression", "zstd", "get", "k"});
    EXPECT_EQ(compressed.exit_status, 2);
    EXPECT_EQ(compressed.err, "ddbcache: cache_options::compression needs value_codec::raw: Python cachelib cannot "
                              "read compressed values\n");
    const cli_run large =
        run_cli({"--endpoint", "http://127.0.0.1:1", "--region", "us-east-1", "--max-value-size", "1000000", "get", "k"});
    EXPECT_EQ(large.exit_status, 2);
    EXPECT_NE(large.err.find("needs value_codec::raw"), std::string::npos) << large.err;
    const cli_run unknown = run_cli({"--compression", "lz4", "get", "k"});
    EXPECT_EQ(unknown.exit_status, 2);
    EXPECT_NE(unknown.err.find("--compression must be none or zstd"), std::string::npos) << unknown.err;
}

TEST(CliUsage, AnUnreachableEndpointIsAnErrorNamingTheCause) {
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
    const cli_run r = run_cli({"--endpoint", "http://127.0.0.1:1", "--region", "us-east-1", "get", "k"});
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_EQ(r.err, "ddbcache: get: GetItem failed after 4 attempts: Connection refused\n");
}

TEST(CliUsage, AMissingRegionIsNamedWithoutErrorCodeNoise) {
    ::unsetenv("AWS_REGION");
    ::unsetenv("AWS_DEFAULT_REGION");
    ::setenv("AWS_CONFIG_FILE", "/nonexistent/ddbcache-test-config", 1);
    const cli_run r = run_cli({"--endpoint", "http://127.0.0.1:1", "get", "k"});
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.err.starts_with("ddbcache: no AWS region")) << r.err;
    EXPECT_EQ(r.err.find("[ddbcache"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(CliUsage, ARegionThatIsNotARegionNameIsRefusedNamingIt) {
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
    const cli_run r = run_cli({"--endpoint", "http://127.0.0.1:1", "--region", "evil.example/x", "get", "k"});
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_TRUE(r.err.starts_with("ddbcache: invalid AWS region 'evil.example/x'")) << r.err;
}

TEST(CliUsage, VersionPrintsTheToolsNameAndTheLibrarysVersion) {
    const cli_run r = run_cli({"--version"});
    EXPECT_EQ(r.exit_status, 0);
    EXPECT_EQ(r.out, "ddbcache " + std::string(ddbcache::version) + "\n");
    EXPECT_EQ(r.err, "");
}

TEST(CliUsage, AnEmptyProfileOrCaFileIsAUsageError) {
    for (const char* option : {"--profile", "--ca-file"}) {
        const cli_run r = run_cli({option, "", "--endpoint", "http://127.0.0.1:1", "get", "k"});
        EXPECT_EQ(r.exit_status, 2);
        EXPECT_EQ(r.err, "ddbcache: " + std::string(option) + " needs a non-empty argument\n");
    }
}

// ---- trust: --ca-file against a TLS front (tls_forwarder.hpp) of DynamoDB Local ----

std::string cert_file(const std::string& name) { return std::string(DDBCACHE_TEST_CERTS_DIR) + "/" + name; }

class CliTls : public testing::Test {
protected:
    void SetUp() override {
        ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
        ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
        ::setenv("AWS_REGION", "us-east-1", 1);
        ::unsetenv("AWS_CA_BUNDLE");
        ::setenv("AWS_CONFIG_FILE", "/nonexistent/ddbcache-test-config", 1);
    }
    void TearDown() override { ::unsetenv("AWS_CONFIG_FILE"); }
    tls_forwarder front{cert_file("server.pem"), cert_file("server.key"), loopback_endpoint_of(endpoint_of("dynamodb-local"))};
    // `ddbcache set` through the front, with `options` before the command.
    cli_run set_over_tls(std::vector<std::string> options) {
        const std::vector<std::string> rest{"--endpoint", "https://127.0.0.1:" + std::to_string(front.port()), "--table",
                                            unique_table_name("cli-tls"), "set", "k", "v"};
        options.insert(options.end(), rest.begin(), rest.end());
        return run_cli(options);
    }
};

TEST_F(CliTls, CaFileMakesTheTestCasCertificateTrusted) {
    const cli_run r = set_over_tls({"--ca-file", cert_file("ca.pem")});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_GE(front.handshakes(), 1);
}

TEST_F(CliTls, WithoutCaFileTheTestCasCertificateIsRefusedWithTheReason) {
    const cli_run r = set_over_tls({});
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_NE(r.err.find("unable to get local issuer certificate"), std::string::npos) << r.err;
}

TEST_F(CliTls, AMissingCaFileIsNamedBeforeAnyRequest) {
    const cli_run r = set_over_tls({"--ca-file", "/nonexistent/ca.pem"});
    EXPECT_EQ(r.exit_status, 2);
    EXPECT_NE(r.err.find("cannot load the CA file '/nonexistent/ca.pem'"), std::string::npos) << r.err;
    EXPECT_EQ(front.handshakes(), 0);
}

// ---- ddbcache config ----

class CliConfig : public testing::Test {
protected:
    scoped_environment environment{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_CONFIG_FILE",
                                   "AWS_MAX_ATTEMPTS",  "AWS_RETRY_MODE",        "AWS_CA_BUNDLE", "HTTPS_PROXY",
                                   "https_proxy",       "http_proxy",            "HTTP_PROXY",  "no_proxy", "NO_PROXY"};
    void SetUp() override {
        ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST", 1);
        ::setenv("AWS_SECRET_ACCESS_KEY", "local-test-secret", 1);
        ::setenv("AWS_CONFIG_FILE", "/nonexistent/ddbcache-test-config", 1);
    }
};

TEST_F(CliConfig, PrintsEachResolvedSettingAndItsSourceWithNoSecretAndSendsNothing) {
    ::setenv("AWS_REGION", "cn-north-1", 1);
    ::setenv("AWS_MAX_ATTEMPTS", "6", 1);
    ::setenv("AWS_RETRY_MODE", "adaptive", 1);
    ::setenv("AWS_CA_BUNDLE", cert_file("ca.pem").c_str(), 1);
    ::setenv("HTTPS_PROXY", "http://ops:hunter2@127.0.0.1:1", 1); // nothing listens on port 1
    const cli_run r = run_cli({"config"});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(r.out, "endpoint https://dynamodb.cn-north-1.amazonaws.com.cn\n"
                     "endpoint_source DynamoDB's endpoint rules for region 'cn-north-1'\n"
                     "region cn-north-1\n"
                     "region_source AWS_REGION\n"
                     "credentials environment variables\n"
                     "retry_mode adaptive\n"
                     "retry_mode_source AWS_RETRY_MODE\n"
                     "max_attempts 6\n"
                     "max_attempts_source AWS_MAX_ATTEMPTS\n"
                     "ca_bundle " + cert_file("ca.pem") + "\n"
                     "ca_bundle_source AWS_CA_BUNDLE\n"
                     "proxy http://****@127.0.0.1:1\n"
                     "proxy_source HTTPS_PROXY\n"
                     "user_agent ddbcache/" + std::string(ddbcache::version) + "\n");
    EXPECT_EQ(r.err, "");
    for (const char* secret : {"local-test-secret", "hunter2", "ops"})
        EXPECT_EQ((r.out + r.err).find(secret), std::string::npos) << secret;
}

TEST_F(CliConfig, UnsetSettingsPrintNotSetAndTheCommandTakesNoArguments) {
    const cli_run r = run_cli({"--endpoint", "http://127.0.0.1:1", "--region", "us-east-1", "config"});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    const std::vector<std::string> lines = lines_of(r.out);
    for (const char* line : {"endpoint_source client_options::endpoint", "region_source client_options::region",
                             "retry_mode_source default", "max_attempts_source default", "ca_bundle system",
                             "ca_bundle_source <not set>", "proxy <not set>", "proxy_source <not set>"})
        EXPECT_NE(std::find(lines.begin(), lines.end(), line), lines.end()) << line << " in\n" << r.out;
    const cli_run extra = run_cli({"--region", "us-east-1", "config", "now"});
    EXPECT_EQ(extra.exit_status, 2);
    EXPECT_EQ(extra.err, "ddbcache: config takes no arguments (see ddbcache --help)\n");
}

TEST(CliUsage, HelpDocumentsEveryCommandAndOption) {
    const cli_run r = run_cli({"--help"});
    EXPECT_EQ(r.exit_status, 0);
    for (const char* word : {"get KEY", "set KEY VALUE", "add KEY VALUE", "delete KEY", "has KEY", "clear",
                             "inc KEY [DELTA]", "dec KEY [DELTA]", "get-many KEY...", "value_b64", "touch KEY",
                             "get-or-set KEY -- COMMAND [ARG...]", "lock NAME -- COMMAND [ARG...]",
                             "DDBCACHE_FENCING_TOKEN", "--endpoint", "--region", "--table", "--prefix", "--key-field",
                             "--expiration-field", "--no-create-table", "--codec", "--timeout", "--max-stale",
                             "--lease-ttl", "--lease-wait", "--ttl", "--wait", "--profile NAME", "--ca-file PEM",
                             "--version", "config", "Exit status"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

} // namespace
} // namespace ddbcache::test
