// get_or_set: cache-aside with single-flight in the process, an optional fleet-wide lease, early
// refresh (XFetch), fail-safe (max_stale) and negative caching.
//
// The first caller of a key starts a flight, detached from every caller's cancellation: it reads
// the entry, and on a miss computes and stores the value. Callers of the same key meanwhile wait
// for it (a cancelled one leaves at once), and all complete with its result.
#include "cache_impl.hpp"

#include "../async/waiter_queue.hpp"
#include "../codec/printable.hpp"
#include "../dynamodb/retry_policy.hpp"
#include "../logging.hpp"
#include "cachelib_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <utility>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

struct cache::impl::flight {
    flight(const asio::any_io_executor& ex, std::mutex& guard)
        : waiters(ex, guard, {.when_full = {}, .at_deadline = client_errc::timeout}) {}
    detail::waiter_queue<> waiters; // under impl::flights_mutex
    bool done = false;              // under impl::flights_mutex; the fields below are final once set
    outcome<get_or_set_result> result;
    diagnostics diag;
};

namespace {

double uniform_open_unit() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    return std::uniform_real_distribution<double>(std::nextafter(0.0, 1.0), 1.0)(random);
}

error_code check_options(const std::string& key, const get_or_set_options& o, std::string& why) {
    const auto name = "get_or_set of key '" + codec::printable(key) + "': ";
    if (o.negative_timeout.count() < 0 || o.max_stale.count() < 0) {
        why = name + "negative_timeout and max_stale must not be negative";
        return client_errc::invalid_argument;
    }
    if (!(o.early_refresh_beta >= 0) || !std::isfinite(o.early_refresh_beta)) {
        why = name + "early_refresh_beta must be a finite number, 0 or more";
        return client_errc::invalid_argument;
    }
    if (o.lease && (o.lease_ttl.count() < 1 || o.lease_ttl > cache_limits::max_lease_ttl || o.lease_wait.count() < 0)) {
        why = name + "lease_ttl must be 1 ms to 1 year and lease_wait not negative";
        return client_errc::invalid_argument;
    }
    return {};
}

// DynamoDB is failing rather than refusing: worth serving a stale value for, and worth computing
// without it.
bool dynamodb_unavailable(error_code ec, const diagnostics& d) {
    return ec != asio::error::operation_aborted && is_retryable(ec, d.http_status);
}

} // namespace

asio::awaitable<outcome<get_or_set_result>> cache::impl::run(const cache_requests::get_or_set& request,
                                                             diagnostics* diag) {
    const std::string full = full_key(request.key);
    std::string why;
    if (error_code ec = check_key(request.key, full, why)) co_return failure<get_or_set_result>(diag, ec, why);
    if (error_code ec = check_options(request.key, request.options, why))
        co_return failure<get_or_set_result>(diag, ec, why);
    // Timeouts are checked as set checks them, before computing: a value that cannot be stored
    // would be computed again by every call.
    std::int64_t unused = 0;
    if (error_code ec = layout::expiration_for(full, timeout_seconds(request.options.timeout), now(), unused, why))
        co_return failure<get_or_set_result>(diag, ec, why);
    if (error_code ec = layout::expiration_for(full, request.options.negative_timeout.count(), now(), unused, why))
        co_return failure<get_or_set_result>(diag, ec, "negative_timeout: " + why);
    if (request.options.lease || request.options.early_refresh_beta > 0) {
        if (error_code ec = layout::check_key(lease_key_of(full), why))
            co_return failure<get_or_set_result>(diag, ec, "the lease item of this key: " + why);
    }
    if (!request.compute)
        co_return failure<get_or_set_result>(diag, client_errc::invalid_argument, "get_or_set without a compute");

    std::shared_ptr<flight> f;
    bool leads = false;
    {
        std::lock_guard lock(flights_mutex);
        auto& slot = flights[full];
        if (!slot) slot = std::make_shared<flight>(dynamodb->get_executor(), flights_mutex), leads = true;
        f = slot;
    }
    if (leads) {
        auto fly = [](std::shared_ptr<impl> owner, std::shared_ptr<flight> flying, std::string key,
                      cache_requests::get_or_set work) -> asio::awaitable<void> {
            outcome<get_or_set_result> r;
            const near_cache::ticket ticket = owner->near ? owner->near->take_ticket(work.key) : near_cache::ticket{};
            std::optional<std::int64_t> expires_at;
            try {
                r = co_await owner->resolve(work, key, flying->diag, expires_at);
                if (!r.ec && owner->near) {
                    // A computed value is this process's own write: what the near cache held of the key
                    // goes, as for set, and the stored value replaces it; a read racing it keeps out.
                    const bool own_write = r.value.source == value_source::computed;
                    if (own_write) owner->near->invalidate(work.key);
                    const near_cache::ticket fill = own_write ? owner->near->take_ticket(work.key) : ticket;
                    const auto what = r.value.value ? near_cache::kind::value : near_cache::kind::none;
                    if (expires_at)
                        owner->near->fill(fill, work.key, what, r.value.value ? *r.value.value : "", *expires_at,
                                          fill.taken);
                }
            } catch (const boost::system::system_error& e) {
                r.ec = e.code();
            } catch (const std::bad_alloc&) {
                r.ec = make_error_code(boost::system::errc::not_enough_memory);
            } catch (...) {
                r.ec = client_errc::compute_failed; // never leave the key's callers waiting
            }
            std::lock_guard lock(owner->flights_mutex);
            flying->result = std::move(r);
            flying->done = true;
            if (auto it = owner->flights.find(key); it != owner->flights.end() && it->second == flying)
                owner->flights.erase(it);
            flying->waiters.wake_all({});
        };
        asio::co_spawn(dynamodb->get_executor(), fly(shared_from_this(), f, full, request), asio::detached);
    }

    auto wait_token = asio::as_tuple(asio::use_awaitable);
    auto [ec] = co_await asio::async_initiate<decltype(wait_token), void(error_code)>(
        // `f` by reference, not by copy: GCC 12 destroys a lambda temporary inside co_await twice,
        // which would release the flight twice. This frame keeps `f`.
        [this, &f](auto handler) {
            flight* target = f.get();
            std::lock_guard lock(flights_mutex);
            if (target->done)
                detail::post_completion(dynamodb->get_executor(), std::move(handler), error_code{});
            else
                // No deadline of its own: the flight's steps have theirs.
                target->waiters.push(deadline_after(std::chrono::milliseconds::max()),
                                     detail::waiter_queue<>::handler_type(std::move(handler)),
                                     f);
        },
        wait_token);
    if (ec) co_return outcome<get_or_set_result>{ec, {}};
    if (f->result.ec && diag) *diag = f->diag;
    co_return f->result;
}

// The flight's work: read; on a hit, maybe slide and refresh early; on a miss, compute under the
// lease (when asked) and store; on failures, the stale value when allowed.
asio::awaitable<outcome<get_or_set_result>> cache::impl::resolve(const cache_requests::get_or_set& request,
                                                                 const std::string& full, diagnostics& diag,
                                                                 std::optional<std::int64_t>& expires_at) {
    using result = outcome<get_or_set_result>;
    const get_or_set_options& o = request.options;
    auto self = shared_from_this();
    std::optional<get_or_set_result> stale;
    // A fresh entry decides the answer; an expired one may still be served as stale.
    auto take = [&](const std::optional<item>& found, std::optional<result>& answer) {
        if (!found) return;
        std::optional<std::string> v;
        std::string why;
        if (error_code ec = decode(*found, v, why)) {
            answer = failure<get_or_set_result>(&diag, ec, why);
            return;
        }
        if (!layout::is_expired(options, *found, now())) {
            answer = result{{}, {std::move(v), value_source::hit}};
            // An expiry it cannot read exactly (a fraction, an exponent) is not kept in the near cache.
            const auto expiration = layout::expiration_seconds(options, *found);
            if (expiration || !found->find(options.expiration_time_field)) expires_at = expiration.value_or(0);
            return;
        }
        const auto expiration = layout::expiration_seconds(options, *found);
        if (o.max_stale.count() > 0 && expiration &&
            layout::epoch_seconds(now()) - *expiration <= o.max_stale.count())
            stale = get_or_set_result{std::move(v), value_source::stale};
    };

    // Requests are named, not braced temporaries: GCC 12 destroys those inside co_await twice.
    internal_requests::read_entry read{full, options.consistent_reads};
    auto [read_ec, found] = co_await run_admitted(self, read, &diag);
    if (read_ec && !dynamodb_unavailable(read_ec, diag)) co_return result{read_ec, {}};
    {
        std::optional<result> answer;
        take(found, answer);
        if (answer) {
            if (!answer->ec) {
                if (sliding()) co_await slide_if_due(*found);
                refresh_early_if_due(request, full, *found);
            }
            co_return std::move(*answer);
        }
    }

    // A miss. With the lease, one process computes; the others read what it stores.
    std::optional<internal_requests::release> holding;
    if (o.lease && !read_ec) {
        const std::string lease_key = lease_key_of(full);
        const std::string owner = new_owner_token();
        const auto deadline = deadline_after(o.lease_wait);
        for (unsigned attempt = 1;; ++attempt) {
            diagnostics d;
            internal_requests::grant take_lease{lease_key, owner, o.lease_ttl};
            auto [ec, grant] = co_await run_admitted(self, take_lease, &d);
            if (ec) {
                if (stale && dynamodb_unavailable(ec, d)) co_return result{{}, *stale};
                diag = std::move(d);
                co_return result{ec, {}};
            }
            if (grant.granted) {
                holding = internal_requests::release{lease_key, owner, grant.fence};
                // The previous holder may have stored the value and released the lease between this
                // flight's read and its grant: read again before computing.
                internal_requests::read_entry recheck{full, true};
                auto [recheck_ec, now_there] = co_await run_admitted(self, recheck, &d);
                std::optional<result> answer;
                if (!recheck_ec) take(now_there, answer);
                if (answer) {
                    co_await release_lease(*holding, full);
                    co_return std::move(*answer);
                }
                break;
            }
            if (attempt == 1) metrics->lease_waits.add();
            const auto left = deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) {
                if (stale) co_return result{{}, *stale};
                write_log(dynamodb->options().log, log_level::warning, "cache", [&] {
                    return "get_or_set of key '" + codec::printable(full) + "': the lease holder stored nothing within " +
                           std::to_string(o.lease_wait.count()) + " ms; computing without the lease";
                });
                break;
            }
            co_await sleep_for(std::min(dynamodb::backoff_delay(cache_limits::contention_backoff, attempt),
                                        std::chrono::ceil<std::chrono::milliseconds>(left)));
            internal_requests::read_entry reread{full, true};
            auto [again_ec, again] = co_await run_admitted(self, reread, &d);
            if (again_ec) {
                if (stale && dynamodb_unavailable(again_ec, d)) co_return result{{}, *stale};
                diag = std::move(d);
                co_return result{again_ec, {}};
            }
            std::optional<result> answer;
            take(again, answer);
            if (answer) co_return std::move(*answer);
        }
    }

    const auto before_store = layout::epoch_seconds(now()); // at or before the expiry store_computed writes
    bool stored = false;
    auto [compute_ec, value] = co_await compute_and_store(request, full, diag, &stored);
    if (holding) co_await release_lease(*holding, full);
    if (!compute_ec) {
        // The expiry store_computed wrote (a "no value" kept only with a negative_timeout).
        const std::int64_t lifetime = value ? timeout_seconds(o.timeout) : o.negative_timeout.count();
        if (stored) expires_at = lifetime > 0 ? before_store + lifetime : 0;
        co_return result{{}, {std::move(value), value_source::computed}};
    }
    if (!stale) co_return result{compute_ec, {}};
    diag.clear();
    co_return result{{}, *stale};
}

asio::awaitable<outcome<std::optional<std::string>>>
cache::impl::compute_and_store(const cache_requests::get_or_set& request, const std::string& full, diagnostics& diag,
                               bool* stored) {
    const auto started = std::chrono::steady_clock::now();
    auto r = co_await compute(request, full, diag);
    if (!r.ec) {
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        const outcome<bool> put = co_await store_computed(request, full, r.value, took);
        if (stored) *stored = !put.ec && put.value;
    }
    co_return r;
}

// Best effort: a lease left behind lapses after its ttl.
asio::awaitable<void> cache::impl::release_lease(internal_requests::release holding, const std::string& full) {
    diagnostics d;
    const auto [ec, released] = co_await run_admitted(shared_from_this(), holding, &d);
    const error_code failed = ec; // a structured binding cannot be captured by the lambda (C++17 rule clang keeps)
    if (failed || !released)
        write_log(dynamodb->options().log, log_level::warning, "cache", [&] {
            return "get_or_set of key '" + codec::printable(full) + "': releasing its lease failed: " +
                   (failed ? failed.message() + " " + d.message : std::string("the lease had lapsed"));
        });
}

// Runs the caller's compute once; an exception becomes an error with its what() as the message.
asio::awaitable<outcome<std::optional<std::string>>> cache::impl::compute(const cache_requests::get_or_set& request,
                                                                          const std::string& full, diagnostics& diag) {
    using value = std::optional<std::string>;
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [failure_ptr, v] = co_await asio::async_initiate<decltype(token), void(std::exception_ptr, value)>(
        [&request](auto handler) {
            // The handler runs once: from compute, or here when compute throws before calling it
            // (an initiation's exception would leave this coroutine suspended for ever).
            auto pending = std::make_shared<std::optional<detail::compute_handler>>(std::in_place, std::move(handler));
            auto complete = [pending](std::exception_ptr e, value result) {
                std::optional<detail::compute_handler> h = std::exchange(*pending, std::nullopt);
                if (h) std::move(*h)(e, std::move(result));
            };
            try {
                request.compute(detail::compute_handler(complete));
            } catch (...) {
                complete(std::current_exception(), std::nullopt);
            }
        },
        token);
    if (!failure_ptr) co_return outcome<value>{{}, std::move(v)};
    const std::string context = "compute for key '" + codec::printable(full) + "' failed: ";
    try {
        std::rethrow_exception(failure_ptr);
    } catch (const boost::system::system_error& e) {
        co_return failure<value>(&diag, e.code(), context + e.what());
    } catch (const std::exception& e) {
        co_return failure<value>(&diag, client_errc::compute_failed, context + e.what());
    } catch (...) {
        co_return failure<value>(&diag, client_errc::compute_failed, context + "an exception of unknown type");
    }
}

// Stores a computed value (or a negative entry) with the compute's duration for XFetch. A failure
// is logged: the caller still gets the value.
asio::awaitable<outcome<bool>> cache::impl::store_computed(const cache_requests::get_or_set& request,
                                                           const std::string& full,
                                                           const std::optional<std::string>& value,
                                                           std::chrono::milliseconds took) {
    const get_or_set_options& o = request.options;
    if (!value && o.negative_timeout.count() == 0) co_return outcome<bool>{{}, false};
    internal_requests::put_entry put{{}, chunks_values()};
    std::string why;
    diagnostics d;
    const std::int64_t timeout = value ? timeout_seconds(o.timeout) : o.negative_timeout.count();
    layout::stored_value stored{cache_codec::encode_none()};
    error_code ec = value ? encode(full, *value, stored, why) : error_code();
    if (!ec) ec = layout::build_item(options, full, stored, timeout, now(), put.attributes, why);
    if (!ec) {
        if (!value) put.attributes.set(layout::no_value_field, attribute_value::BOOL(true));
        put.attributes.set(layout::compute_ms_field, attribute_value::N(took.count()));
        if (layout::is_large_head(put.attributes)) {
            internal_requests::put_large_entry large{std::move(put.attributes), std::move(stored.bytes)};
            ec = (co_await run_admitted(shared_from_this(), std::move(large), &d)).ec;
        } else {
            ec = (co_await run_admitted(shared_from_this(), std::move(put), &d)).ec;
        }
        why = d.message;
    }
    if (ec)
        write_log(dynamodb->options().log, log_level::error, "cache", [&] {
            return "get_or_set of key '" + codec::printable(full) + "': storing the computed value failed: " +
                   ec.message() + (why.empty() ? "" : ": " + why);
        });
    co_return outcome<bool>{ec, !ec};
}

// XFetch: refresh when now - delta * beta * ln(U) >= expiry, U uniform in (0, 1]. One refresh per
// key at a time in this process; the callers keep the current value meanwhile.
void cache::impl::refresh_early_if_due(const cache_requests::get_or_set& request, const std::string& full,
                                       const item& found) {
    const double beta = request.options.early_refresh_beta;
    if (beta <= 0) return;
    const auto expiration = layout::expiration_seconds(options, found);
    const attribute_value* delta_attribute = found.find(layout::compute_ms_field);
    const std::string* delta_text = delta_attribute ? delta_attribute->if_N() : nullptr;
    if (!expiration || !delta_text) return; // never expires, or no compute duration to go by
    const double delta_seconds = std::strtod(delta_text->c_str(), nullptr) / 1000.0;
    const double now_seconds =
        std::chrono::duration<double>(now().time_since_epoch()).count();
    if (now_seconds - delta_seconds * beta * std::log(uniform_open_unit()) < static_cast<double>(*expiration)) return;
    {
        std::lock_guard lock(flights_mutex);
        if (!refreshing.insert(full).second) return;
    }
    auto refresh = [](std::shared_ptr<impl> state, std::string key,
                      cache_requests::get_or_set work) -> asio::awaitable<void> {
        diagnostics d;
        std::optional<internal_requests::release> holding;
        bool go = true;
        if (work.options.lease) {
            const std::string lease_key =
                state->lease_key_of(key);
            const std::string owner = new_owner_token();
            internal_requests::grant take_lease{lease_key, owner, work.options.lease_ttl};
            auto [ec, grant] = co_await run_admitted(state, take_lease, &d);
            go = !ec && grant.granted; // another process refreshes it, or DynamoDB is failing
            if (go) holding = internal_requests::release{lease_key, owner, grant.fence};
        }
        if (go) {
            auto [ec, value] = co_await state->compute_and_store(work, key, d);
            if (ec)
                write_log(state->dynamodb->options().log, log_level::warning, "cache",
                          [&] { return "early refresh: " + d.message; });
            if (holding) co_await state->release_lease(*holding, key);
        }
        std::lock_guard lock(state->flights_mutex);
        state->refreshing.erase(key);
    };
    asio::co_spawn(dynamodb->get_executor(), refresh(shared_from_this(), full, request), asio::detached);
}

} // namespace ddbcache
