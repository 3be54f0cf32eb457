// credential_process: runs the profile's command with /bin/sh -c (as the Go and Java SDKs do on
// Unix) and reads its JSON, all on the io_context: the output through a pipe, the exit by polling
// waitpid. One deadline covers the whole run. The child gets the application's standard input and
// error, the pipe as its output and no other descriptor (as Python's subprocess closes them), and
// a process group of its own, killed with everything in it when the run goes over its time or is
// abandoned (the io_context torn down mid-run): no process or thread outlives a fetch.
#include "answer_parsing.hpp"
#include "sources.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace ddbcache::credentials_sources {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using steady = std::chrono::steady_clock;

constexpr std::size_t max_output = std::size_t{1} << 20;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A started command's process group. Killed and reaped on destruction unless the command was
// reaped already: after a deadline, an early return, or a frame destroyed with its io_context.
struct child_process {
    pid_t pid = -1;
    bool reaped = false;

    child_process() = default;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        if (pid <= 0 || reaped) return;
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
};

// Starts /bin/sh -c `command` with `output` as its standard output, descriptors 3 and up closed,
// in a new process group, SIGPIPE at its default and no signal blocked. Returns an errno value.
int spawn(const std::string& command, int output, pid_t& pid) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, pipe_signal;
    sigemptyset(&none);
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &pipe_signal);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    const int failed = ::posix_spawn(&pid, "/bin/sh", &actions, &attributes, const_cast<char**>(argv), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return failed;
}

std::string in_words(std::chrono::milliseconds limit) {
    if (limit.count() % 1000 == 0) return std::to_string(limit.count() / 1000) + " s";
    return std::to_string(limit.count()) + " ms";
}

// Runs on a strand: the deadline's timer and the pipe are never touched from two threads at once.
asio::awaitable<fetched> run(std::string command, std::string name, std::chrono::milliseconds limit) {
    const auto executor = co_await asio::this_coro::executor;
    const std::string too_slow = "the command did not finish within " + in_words(limit);
    asio::steady_timer deadline(executor, steady::now() + limit);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) co_return fetch_failure(name, "cannot create a pipe");
    asio::posix::stream_descriptor output(executor, pipe_fds[0]);
    child_process child;
    const int failed = spawn(command, pipe_fds[1], child.pid);
    ::close(pipe_fds[1]);
    if (failed != 0) {
        child.pid = -1;
        co_return fetch_failure(name, "cannot start /bin/sh: " + std::string(std::strerror(failed)));
    }

    std::string out;
    for (char buffer[4096];;) {
        auto step = co_await (output.async_read_some(asio::buffer(buffer), use_tuple) || deadline.async_wait(use_tuple));
        if (step.index() == 1) co_return fetch_failure(name, too_slow);
        const auto [ec, n] = std::get<0>(step);
        if (ec) break; // end of file, or the pipe failed: the exit status tells
        out.append(buffer, n);
        if (out.size() > max_output) co_return fetch_failure(name, "the command wrote more than 1 MB");
    }
    output.close();

    // Its output is closed, but it may still run (it can close its output early): same deadline.
    int status = 0;
    asio::steady_timer pause(executor);
    for (auto wait = 1ms;; wait = std::min<std::chrono::milliseconds>(wait * 2, 50ms)) {
        const pid_t done = ::waitpid(child.pid, &status, WNOHANG);
        if (done == child.pid) break;
        if (const int error = errno; done < 0 && error == ECHILD) {
            // SIGCHLD ignored: the kernel reaped it and its status is gone. Its output, closed
            // and complete, decides (as Python's subprocess does then).
            child.reaped = true;
            co_return parse_json_credentials(name, out, true);
        } else if (done < 0 && error != EINTR) {
            child.reaped = true;
            co_return fetch_failure(name, "cannot learn the command's exit status: " + std::string(std::strerror(error)));
        }
        if (steady::now() >= deadline.expiry()) co_return fetch_failure(name, too_slow);
        pause.expires_after(std::min<steady::duration>(wait, deadline.expiry() - steady::now()));
        co_await pause.async_wait(use_tuple);
    }
    child.reaped = true;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        co_return fetch_failure(name, WIFEXITED(status) ? "the command exited with status " + std::to_string(WEXITSTATUS(status))
                                                        : std::string("the command was killed by a signal"));
    co_return parse_json_credentials(name, out, true);
}

asio::awaitable<fetched> run_process(std::string command, std::string name, std::chrono::milliseconds limit) {
    auto strand = asio::make_strand(co_await asio::this_coro::executor);
    co_return co_await asio::co_spawn(strand, run(std::move(command), std::move(name), limit), asio::use_awaitable);
}

} // namespace

source process_source(const source_settings& s, const std::string& command) {
    std::string name = "credential_process";
    return {name, [command, name, limit = s.process_timeout]() { return run_process(command, name, limit); }};
}

} // namespace ddbcache::credentials_sources
