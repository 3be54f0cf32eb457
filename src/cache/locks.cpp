// Locks: one item per name (layout and rules in include/ddbcache/lease.hpp), each step one
// conditional UpdateItem; a lease's heartbeat extends it while it is held.
#include "cache_impl.hpp"

#include "../codec/printable.hpp"
#include "../dynamodb/retry_policy.hpp"
#include "../dynamodb/typed_call.hpp"
#include "../logging.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>

#include <charconv>
#include <cstdio>
#include <random>

namespace ddbcache {
namespace asio = boost::asio;
namespace layout = cache_layout;

namespace {

constexpr const char* owner_field = "owner";
constexpr const char* lease_until_field = "lease_until";
constexpr const char* fence_field = "fence";

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::int64_t number_of(const item& it, const char* field) {
    const attribute_value* v = it.find(field);
    const std::string* digits = v ? v->if_N() : nullptr;
    std::int64_t n = 0;
    if (digits) std::from_chars(digits->data(), digits->data() + digits->size(), n);
    return n;
}

const std::string* owner_of(const item& it) {
    const attribute_value* v = it.find(owner_field);
    return v ? v->if_S() : nullptr;
}

} // namespace

std::string new_owner_token() {
    std::random_device random;
    char text[33];
    std::snprintf(text, sizeof text, "%08x%08x%08x%08x", random(), random(), random(), random());
    return text;
}

// The heartbeat's timer lives on a strand of its own, where stop() cancels it from any thread.
struct lease_heartbeat {
    explicit lease_heartbeat(const asio::any_io_executor& ex) : strand(asio::make_strand(ex)), timer(strand) {}
    asio::strand<asio::any_io_executor> strand;
    asio::steady_timer timer;
    std::atomic<bool> stopped{false};

    void stop(const std::shared_ptr<lease_heartbeat>& self) {
        if (stopped.exchange(true)) return;
        asio::post(strand, [self] { self->timer.cancel(); });
    }
};

struct lease::state {
    std::shared_ptr<cache::impl> cache_state;
    std::string name, full, owner;
    std::int64_t fence = 0;
    std::chrono::milliseconds ttl{};
    std::atomic<std::int64_t> until_ms{0};
    std::shared_ptr<lease_heartbeat> heartbeat; // null without one

    ~state() {
        if (heartbeat) heartbeat->stop(heartbeat);
    }
};

lease& lease::operator=(lease&&) noexcept = default;
lease::~lease() = default;
const std::string& lease::name() const noexcept { return state_->name; }
const std::string& lease::owner() const noexcept { return state_->owner; }
std::int64_t lease::fencing_token() const noexcept { return state_->fence; }
std::chrono::system_clock::time_point lease::expires_at() const noexcept {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(state_->until_ms.load()));
}

asio::awaitable<outcome<lock_grant>> cache::impl::run(const internal_requests::grant& request, diagnostics* diag) {
    const std::int64_t now_ms = epoch_ms(now());
    update_item_request update{options.table_name, key_item(request.full),
                               "SET #o = :o, #u = :u, #f = if_not_exists(#f, :zero) + :one", {}};
    update.write.condition = "attribute_not_exists(#o) OR #u <= :now";
    update.write.names = {{"#o", owner_field}, {"#u", lease_until_field}, {"#f", fence_field}};
    update.write.values.set(":o", attribute_value::S(request.owner));
    update.write.values.set(":u", attribute_value::N(now_ms + request.ttl.count()));
    update.write.values.set(":now", attribute_value::N(now_ms));
    update.write.values.set(":zero", attribute_value::N(0));
    update.write.values.set(":one", attribute_value::N(1));
    update.write.returned = return_values::all_new;
    update.write.return_item_on_condition_failure = true;
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    const std::int64_t until_ms = now_ms + request.ttl.count();
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), d);
    if (!ec)
        co_return outcome<lock_grant>{{}, {true, r.attributes ? number_of(*r.attributes, fence_field) : 0, until_ms}};
    if (ec != service_errc::conditional_check_failed) co_return outcome<lock_grant>{ec, {}};
    d->aws_type.clear(), d->message.clear();
    // A retried grant fails its own condition when an attempt whose answer was lost took the lock.
    if (d->attempts >= 2) {
        auto [read_ec, holder_item] = co_await lock_item_after_retry(request.full, std::move(r.attributes), *d);
        if (read_ec) co_return outcome<lock_grant>{read_ec, {}};
        const std::string* holder = holder_item ? owner_of(*holder_item) : nullptr;
        if (holder && *holder == request.owner)
            co_return outcome<lock_grant>{{}, {true, number_of(*holder_item, fence_field), until_ms}};
    }
    co_return outcome<lock_grant>{{}, {false, 0, 0}};
}

// The lock item after a retried write failed its condition: the one the failure returned, or (from
// servers that return none, as dynalite) a strongly consistent read.
asio::awaitable<outcome<std::optional<item>>> cache::impl::lock_item_after_retry(const std::string& full,
                                                                                 std::optional<item> returned,
                                                                                 diagnostics& d) {
    if (returned) co_return outcome<std::optional<item>>{{}, std::move(returned)};
    internal_requests::read_entry read{full, true};
    co_return co_await run(read, &d);
}

// Idempotent: a retried extend meets its condition again.
asio::awaitable<outcome<bool>> cache::impl::run(const internal_requests::extend& request, diagnostics* diag) {
    update_item_request update{options.table_name, key_item(request.full), "SET #u = :u", {}};
    update.write.condition = "#o = :o AND #f = :f";
    update.write.names = {{"#o", owner_field}, {"#u", lease_until_field}, {"#f", fence_field}};
    update.write.values.set(":o", attribute_value::S(request.owner));
    update.write.values.set(":f", attribute_value::N(request.fence));
    update.write.values.set(":u", attribute_value::N(request.until_ms));
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), d);
    if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
    d->aws_type.clear(), d->message.clear();
    co_return outcome<bool>{{}, false};
}

asio::awaitable<outcome<bool>> cache::impl::run(const internal_requests::release& request, diagnostics* diag) {
    update_item_request update{options.table_name, key_item(request.full), "REMOVE #o SET #u = :zero", {}};
    update.write.condition = "#o = :o AND #f = :f";
    update.write.names = {{"#o", owner_field}, {"#u", lease_until_field}, {"#f", fence_field}};
    update.write.values.set(":o", attribute_value::S(request.owner));
    update.write.values.set(":f", attribute_value::N(request.fence));
    update.write.values.set(":zero", attribute_value::N(0));
    update.write.return_item_on_condition_failure = true;
    diagnostics local;
    diagnostics* d = diag ? diag : &local;
    auto [ec, r] = co_await dynamodb::call_operation(*dynamodb, std::move(update), d);
    if (ec != service_errc::conditional_check_failed) co_return outcome<bool>{ec, !ec};
    d->aws_type.clear(), d->message.clear();
    if (d->attempts < 2) co_return outcome<bool>{{}, false};
    // After a retry, an item with no owner and this lease's fence was released by this call's
    // earlier attempt (nobody was granted the lock since).
    auto [read_ec, now_there] = co_await lock_item_after_retry(request.full, std::move(r.attributes), *d);
    if (read_ec) co_return outcome<bool>{read_ec, false};
    co_return outcome<bool>{{}, now_there && !owner_of(*now_there) && number_of(*now_there, fence_field) == request.fence};
}

namespace {

asio::awaitable<void> beat(std::weak_ptr<lease::state> weak, std::shared_ptr<lease_heartbeat> heartbeat,
                           std::chrono::milliseconds ttl) {
    for (;;) {
        heartbeat->timer.expires_after(std::max(ttl / 3, std::chrono::milliseconds(1)));
        co_await heartbeat->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (heartbeat->stopped) co_return;
        auto s = weak.lock();
        if (!s) co_return;
        diagnostics d;
        internal_requests::extend extend{s->full, s->owner, s->fence, epoch_ms(s->cache_state->now()) + ttl.count()};
        const auto [ec, extended] = co_await cache::impl::run_admitted(s->cache_state, extend, &d);
        const error_code failed = ec; // a structured binding cannot be captured by the lambda (C++17 rule clang keeps)
        if (failed || !extended) {
            write_log(s->cache_state->dynamodb->options().log, log_level::error, "cache", [&] {
                return "the heartbeat of lock '" + codec::printable(s->name) + "' stopped: " +
                       (failed ? failed.message() + " " + d.message : std::string("the lease is no longer held"));
            });
            co_return;
        }
        s->until_ms = extend.until_ms;
    }
}

error_code check_ttl(const std::string& name, std::chrono::milliseconds ttl, std::string& why) {
    if (ttl.count() >= 1 && ttl <= cache_limits::max_lease_ttl) return {};
    why = "lock '" + codec::printable(name) + "': a ttl of " + std::to_string(ttl.count()) +
          " ms is outside 1 ms to 1 year";
    return client_errc::invalid_argument;
}

} // namespace

asio::awaitable<outcome<lease>> cache::impl::run(const cache_requests::lock& request, diagnostics* diag) {
    const lock_options& o = request.options;
    std::string why;
    const std::string full = layout::reserved_key(options.key_prefix, "lock", request.name);
    if (request.name.empty()) co_return failure<lease>(diag, client_errc::invalid_key, "the lock name is empty");
    if (error_code ec = layout::check_key(full, why)) co_return failure<lease>(diag, ec, "lock name: " + why);
    if (error_code ec = check_ttl(request.name, o.ttl, why)) co_return failure<lease>(diag, ec, why);
    if (o.wait.count() < 0)
        co_return failure<lease>(diag, client_errc::invalid_argument,
                                 "lock '" + codec::printable(request.name) + "': the wait is negative");
    auto self = shared_from_this();
    const std::string owner = new_owner_token();
    const auto deadline = deadline_after(o.wait);
    for (unsigned attempt = 1;; ++attempt) {
        internal_requests::grant take{full, owner, o.ttl}; // named: GCC 12 destroys braced temporaries in co_await twice
        auto [ec, grant] = co_await run_admitted(self, take, diag);
        if (ec) co_return outcome<lease>{ec, {}};
        if (grant.granted) {
            auto s = std::make_shared<lease::state>();
            s->cache_state = self;
            s->name = request.name;
            s->full = full;
            s->owner = owner;
            s->fence = grant.fence;
            s->ttl = o.ttl;
            s->until_ms = grant.until_ms;
            if (o.heartbeat) {
                s->heartbeat = std::make_shared<lease_heartbeat>(dynamodb->get_executor());
                asio::co_spawn(s->heartbeat->strand, beat(s, s->heartbeat, o.ttl), asio::detached);
            }
            co_return outcome<lease>{{}, lease(std::move(s))};
        }
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero())
            co_return failure<lease>(diag, client_errc::lock_not_acquired,
                                     "lock '" + codec::printable(request.name) + "' is held by another owner (tried " +
                                         std::to_string(attempt) + " times in " + std::to_string(o.wait.count()) +
                                         " ms)");
        const auto pause = dynamodb::backoff_delay(cache_limits::contention_backoff, attempt);
        co_await sleep_for(std::min(pause, std::chrono::ceil<std::chrono::milliseconds>(left)));
    }
}

namespace {

asio::awaitable<outcome<bool>> extend_held(std::shared_ptr<lease::state> s, std::chrono::milliseconds ttl,
                                           diagnostics* diag) {
    std::string why;
    if (error_code ec = check_ttl(s->name, ttl, why)) co_return failure<bool>(diag, ec, why);
    internal_requests::extend extend{s->full, s->owner, s->fence, epoch_ms(s->cache_state->now()) + ttl.count()};
    auto r = co_await cache::impl::run_admitted(s->cache_state, extend, diag);
    if (!r.ec && r.value) s->until_ms = extend.until_ms;
    co_return r;
}

asio::awaitable<outcome<bool>> release_held(std::shared_ptr<lease::state> s, diagnostics* diag) {
    if (s->heartbeat) s->heartbeat->stop(s->heartbeat);
    internal_requests::release release{s->full, s->owner, s->fence};
    co_return co_await cache::impl::run_admitted(s->cache_state, release, diag);
}

} // namespace

void lease::fail_empty(diagnostics* diag, handler_type handler, const char* operation) {
    if (diag) diag->message = std::string(operation) + " of an empty lease (default-constructed or moved from)";
    detail::post_completion(asio::system_executor(), std::move(handler), error_code(client_errc::invalid_argument),
                            false);
}

void lease::start_extend(std::shared_ptr<state> s, std::chrono::milliseconds ttl, diagnostics* diag,
                         handler_type handler) {
    if (diag) diag->clear();
    if (!s) return fail_empty(diag, std::move(handler), "extend");
    auto executor = s->cache_state->dynamodb->get_executor();
    detail::spawn_erased<bool>(executor, extend_held(std::move(s), ttl, diag), std::move(handler));
}

void lease::start_release(std::shared_ptr<state> s, diagnostics* diag, handler_type handler) {
    if (diag) diag->clear();
    if (!s) return fail_empty(diag, std::move(handler), "release");
    auto executor = s->cache_state->dynamodb->get_executor();
    detail::spawn_erased<bool>(executor, release_held(std::move(s), diag), std::move(handler));
}

} // namespace ddbcache
