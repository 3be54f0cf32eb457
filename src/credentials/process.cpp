// credential_process: runs the profile's command with /bin/sh -c (as the Go and Java SDKs do on
// Unix) on a thread of its own, so that the io_context never blocks on it, and reads its JSON.
#include "answer_parsing.hpp"
#include "sources.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <thread>

extern char** environ;

namespace ddbcache::credentials_sources {
namespace {
namespace asio = boost::asio;

constexpr std::size_t max_output = std::size_t{1} << 20;
constexpr int time_limit_ms = 60'000;

// Reads the child's standard output until it closes, the limit, or the time limit.
std::string read_output(int fd, bool& timed_out) {
    std::string out;
    char buffer[4096];
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(time_limit_ms);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
            timed_out = true;
            return out;
        }
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buffer, static_cast<std::size_t>(n));
        if (out.size() > max_output) return out;
    }
}

fetched run(const std::string& command, const std::string& name) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fetch_failure(name, "cannot create a pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
        ::close(pipe_fds[0]);
        return fetch_failure(name, "cannot start /bin/sh: " + std::string(std::strerror(spawned)));
    }
    bool timed_out = false;
    const std::string out = read_output(pipe_fds[0], timed_out);
    ::close(pipe_fds[0]);
    if (timed_out || out.size() > max_output) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) return fetch_failure(name, "the command did not finish within 60 s");
    if (out.size() > max_output) return fetch_failure(name, "the command wrote more than 1 MB");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fetch_failure(name, WIFEXITED(status) ? "the command exited with status " + std::to_string(WEXITSTATUS(status))
                                                     : std::string("the command was killed by a signal"));
    return parse_json_credentials(name, out);
}

// The thread that runs one command. The completion handler joins it before anything else, so
// that the thread has finished with the io_context (its post signals the scheduler after queueing
// the handler) before the caller can go on to destroy it.
struct command_thread {
    std::mutex mutex; // held while the thread is assigned, so the joiner never sees it half-made
    std::thread thread;
    ~command_thread() {
        if (thread.joinable()) thread.detach(); // the completion was abandoned with its io_context
    }
    void join() {
        std::lock_guard guard(mutex);
        if (thread.joinable()) thread.join();
    }
};

// Completes with the command's outcome on the caller's executor; the work guard keeps the
// io_context from running out of work (and being torn down) while the thread runs.
template <class Token>
auto async_run(std::string shell_command, std::string source_name, Token&& token) {
    return asio::async_initiate<Token, void(fetched)>(
        [](auto handler, const std::string& command, const std::string& name) {
            auto work = asio::make_work_guard(asio::get_associated_executor(handler));
            auto runner = std::make_shared<command_thread>();
            std::lock_guard guard(runner->mutex);
            runner->thread = std::thread([runner, handler = std::move(handler), work = std::move(work), command,
                                          name]() mutable {
                fetched result = run(command, name);
                asio::post(work.get_executor(),
                           [runner, handler = std::move(handler), result = std::move(result)]() mutable {
                               runner->join();
                               std::move(handler)(std::move(result));
                           });
                work.reset();
            });
        },
        token, std::move(shell_command), std::move(source_name));
}

asio::awaitable<fetched> run_process(std::string command, std::string name) {
    co_return co_await async_run(std::move(command), std::move(name), asio::use_awaitable);
}

} // namespace

source process_source(const source_settings&, const std::string& command) {
    std::string name = "credential_process";
    return {name, [command, name]() { return run_process(command, name); }};
}

} // namespace ddbcache::credentials_sources
