// with_diagnostics(token): a completion-token adapter that turns an operation's error_code into an
// exception carrying the diagnostics (the AWS error type, its message, the attempts), as
// Boost.MySQL's with_diagnostics does. It is every operation's default token, wrapping
// asio::deferred: `co_await cache.async_get(k)` throws error_with_diagnostics on failure.
//
// An operation completing with void(error_code, T) completes, through the adapter, with
// void(std::exception_ptr, T): null on success, else an error_with_diagnostics. Tokens that want
// the error_code itself (asio::as_tuple(asio::use_awaitable), a callback) are used without it.
//
// with_diagnostics(asio::deferred) and with_diagnostics(asio::use_awaitable) give an
// asio::awaitable<T> instead, to co_await in a coroutine on an any_io_executor: Boost 1.81's
// awaitable cannot resume an operation whose signature is void(std::exception_ptr, T) (its
// awaitable_async_op_handler does not compile; fixed in Boost 1.82).
#pragma once

#include <ddbcache/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace ddbcache {

// A system_error whose what() is the diagnostics message (which names the operation, the AWS error
// type and message, and the attempts) followed by the code; get_diagnostics() gives the fields.
class error_with_diagnostics : public boost::system::system_error {
public:
    error_with_diagnostics(error_code ec, diagnostics diag)
        : boost::system::system_error(ec, diag.message), diag_(std::move(diag)) {}
    const diagnostics& get_diagnostics() const noexcept { return diag_; }

private:
    diagnostics diag_;
};

template <class CompletionToken>
struct with_diagnostics_t {
    CompletionToken token;
};

// Wraps `token` (asio::deferred, asio::use_awaitable, asio::use_future...).
template <class CompletionToken>
constexpr with_diagnostics_t<std::decay_t<CompletionToken>> with_diagnostics(CompletionToken&& token) {
    return {std::forward<CompletionToken>(token)};
}

// The default completion token of every ddbcache operation.
using default_token = with_diagnostics_t<boost::asio::deferred_t>;
// It is a braced default argument, inside co_await expressions that GCC 12 destroys twice.
static_assert(std::is_trivially_destructible_v<default_token>);

namespace detail {

// Completes the wrapped handler with an exception_ptr in place of the error_code. Holds the
// diagnostics the operation writes when the caller gave none (on the heap: the address must not
// move with the handler).
template <class Handler, class... Values>
struct diagnosing_handler {
    Handler handler;
    std::unique_ptr<diagnostics> owned;
    diagnostics* diag;

    void operator()(error_code ec, Values... values) {
        std::exception_ptr error;
        if (ec) error = std::make_exception_ptr(error_with_diagnostics(ec, *diag));
        owned.reset();
        std::move(handler)(std::move(error), std::move(values)...);
    }
};

// ddbcache's initiations take (handler, diagnostics*, args...): the adapter supplies a diagnostics
// object when the caller passed none.
template <class Initiation, class... Values>
struct diagnosing_initiation {
    Initiation initiation;

    template <class Handler, class... Args>
    void operator()(Handler&& handler, diagnostics* diag, Args&&... args) {
        std::unique_ptr<diagnostics> owned = diag ? nullptr : std::make_unique<diagnostics>();
        diagnostics* target = diag ? diag : owned.get();
        std::move(initiation)(diagnosing_handler<std::decay_t<Handler>, Values...>{std::forward<Handler>(handler),
                                                                                std::move(owned), target},
                              target, std::forward<Args>(args)...);
    }
};

// The operation as a coroutine: its diagnostics live in the frame, and a failure is thrown.
template <class Value, class Initiation, class... Args>
boost::asio::awaitable<Value> await_with_diagnostics(Initiation initiation, diagnostics* diag, Args... args) {
    diagnostics own;
    diagnostics* target = diag ? diag : &own;
    auto [ec, value] = co_await boost::asio::async_initiate<const boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>&,
                                                            void(error_code, Value)>(
        std::move(initiation), boost::asio::as_tuple(boost::asio::use_awaitable), target, std::move(args)...);
    if (ec) throw error_with_diagnostics(ec, *target);
    co_return std::move(value);
}

template <class Value>
struct awaiting_result {
    template <class Initiation, class RawToken, class... Args>
    static boost::asio::awaitable<Value> initiate(Initiation&& initiation, RawToken&&, Args&&... args) {
        return await_with_diagnostics<Value>(std::forward<Initiation>(initiation), std::forward<Args>(args)...);
    }
};

} // namespace detail
} // namespace ddbcache

template <class Value>
struct boost::asio::async_result<ddbcache::with_diagnostics_t<boost::asio::deferred_t>, void(ddbcache::error_code, Value)>
    : ddbcache::detail::awaiting_result<Value> {};
template <class Value>
struct boost::asio::async_result<ddbcache::with_diagnostics_t<boost::asio::use_awaitable_t<>>,
                                 void(ddbcache::error_code, Value)> : ddbcache::detail::awaiting_result<Value> {};

template <class CompletionToken, class... Values>
struct boost::asio::async_result<ddbcache::with_diagnostics_t<CompletionToken>, void(ddbcache::error_code, Values...)> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args) {
        return boost::asio::async_initiate<CompletionToken, void(std::exception_ptr, Values...)>(
            ddbcache::detail::diagnosing_initiation<std::decay_t<Initiation>, Values...>{
                std::forward<Initiation>(initiation)},
            token.token, std::forward<Args>(args)...);
    }
};

// The adapter's handler keeps the wrapped handler's executor, cancellation slot and allocator.
template <template <class, class> class Associator, class Handler, class... Values, class DefaultCandidate>
struct boost::asio::associator<Associator, ddbcache::detail::diagnosing_handler<Handler, Values...>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type
    get(const ddbcache::detail::diagnosing_handler<Handler, Values...>& h,
        const DefaultCandidate& c = DefaultCandidate()) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};
