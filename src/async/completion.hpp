// Invoking a completion handler on its own executor, with its arguments bound.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <tuple>
#include <utility>

namespace ddbcache::detail {

// A handler and its arguments, callable once, and explicitly not copyable: Boost 1.81's
// any_completion_handler has a constructor template that accepts an lvalue of its own type (and
// then wraps itself without end), so type traits call it copyable and executors may try.
template <class Handler, class... Args>
class bound_completion {
public:
    bound_completion(Handler h, Args... args) : handler_(std::move(h)), args_(std::move(args)...) {}
    bound_completion(bound_completion&&) noexcept = default;
    bound_completion(const bound_completion&) = delete;
    bound_completion& operator=(const bound_completion&) = delete;

    void operator()() {
        std::apply([this](auto&... a) { std::move(handler_)(std::move(a)...); }, args_);
    }
    const Handler& handler() const noexcept { return handler_; }

private:
    Handler handler_;
    std::tuple<Args...> args_;
};

// Runs handler(args...) on the handler's associated executor (inline when already there).
template <class Handler, class... Args>
void dispatch_completion(Handler handler, Args... args) {
    auto executor = boost::asio::get_associated_executor(handler);
    boost::asio::dispatch(executor, bound_completion<Handler, Args...>(std::move(handler), std::move(args)...));
}

// Never runs the handler inside the caller's context (a strand, say): posts to `via` first, then
// dispatches to the handler's associated executor.
template <class Executor, class Handler, class... Args>
void post_completion(const Executor& via, Handler handler, Args... args) {
    boost::asio::post(via, [b = bound_completion<Handler, Args...>(std::move(handler), std::move(args)...)]() mutable {
        auto executor = boost::asio::get_associated_executor(b.handler());
        boost::asio::dispatch(executor, std::move(b));
    });
}

} // namespace ddbcache::detail
