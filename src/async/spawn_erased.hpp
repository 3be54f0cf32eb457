// The one bridge from internal coroutines to the public completion-token surface: runs an
// awaitable that yields {error_code, T}, honours the caller's cancellation slot (any cancellation
// type), and completes the type-erased handler on its own executor.
#pragma once

#include "completion.hpp"
#include "outcome.hpp"

#include <ddbcache/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <utility>

namespace ddbcache::detail {

template <class T>
boost::asio::awaitable<outcome<T>> with_total_cancellation(boost::asio::awaitable<outcome<T>> op) {
    namespace asio = boost::asio;
    // co_spawn starts the coroutine later (posted); a cancellation emitted before then is in the
    // initial state only, which the reset below would forget.
    const asio::cancellation_state initial = co_await asio::this_coro::cancellation_state;
    if (initial.cancelled() != asio::cancellation_type::none)
        co_return outcome<T>{asio::error::operation_aborted, T{}};
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    // An operation in flight when the cancellation arrives completes with operation_aborted; and
    // since the state remembers it, the next co_await of any step (a retry, the next batch, the
    // next compare-and-swap round) throws operation_aborted, which spawn_erased turns back into
    // the error code. Without that, an emit landing between two steps would be lost.
    outcome<T> result = co_await std::move(op);
    // Emitted after the last step's operation had completed (its answer already read, say): the
    // call still ends cancelled, as documented ("a cancelled write may have been applied").
    const asio::cancellation_state final_state = co_await asio::this_coro::cancellation_state;
    if (final_state.cancelled() != asio::cancellation_type::none)
        co_return outcome<T>{asio::error::operation_aborted, T{}};
    co_return result;
}

template <class T>
void spawn_erased(boost::asio::any_io_executor executor, boost::asio::awaitable<outcome<T>> op,
                  boost::asio::any_completion_handler<void(error_code, T)> handler) {
    namespace asio = boost::asio;
    auto slot = asio::get_associated_cancellation_slot(handler);
    asio::co_spawn(
        executor, with_total_cancellation<T>(std::move(op)),
        asio::bind_cancellation_slot(
            slot, [handler = std::move(handler)](std::exception_ptr ex, outcome<T> result) mutable {
                if (ex) {
                    try {
                        std::rethrow_exception(ex);
                    } catch (const boost::system::system_error& e) {
                        result.ec = e.code();
                    } catch (const std::bad_alloc&) {
                        result.ec = make_error_code(boost::system::errc::not_enough_memory);
                    }
                }
                dispatch_completion(std::move(handler), result.ec, std::move(result.value));
            }));
}

} // namespace ddbcache::detail
