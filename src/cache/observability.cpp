// What a cache tells its operator: the counters behind cache::stats(), the metrics hook, and the
// near cache's part in both.
#include "cache_impl.hpp"

#include "../logging.hpp"

#include <boost/asio/error.hpp>

namespace ddbcache {

operation_outcome outcome_of_error(error_code ec) noexcept {
    using enum operation_outcome;
    if (ec == boost::asio::error::operation_aborted) return error_cancelled;
    if (ec.category() == client_category()) {
        switch (static_cast<client_errc>(ec.value())) {
        case client_errc::invalid_key:
        case client_errc::invalid_utf8:
        case client_errc::item_too_large:
        case client_errc::invalid_argument:
        case client_errc::invalid_name:
        case client_errc::invalid_header_value:
        case client_errc::unsupported_value:
            return error_invalid_input;
        case client_errc::timeout:
        case client_errc::pool_wait_timeout:
        case client_errc::pool_exhausted:
            return error_timeout;
        default:
            break;
        }
    }
    if (ec == service_errc::provisioned_throughput_exceeded || ec == service_errc::throttling ||
        ec == service_errc::request_limit_exceeded)
        return error_throttled;
    if (ec == boost::asio::error::timed_out) return error_timeout;
    // Whatever a later attempt may cure is the server's or the network's failing; the rest is a refusal.
    if (is_retryable(ec, ec == service_errc::http_status || ec == service_errc::unknown ? 500 : 0))
        return error_unavailable;
    if (ec.category() != client_category() && ec.category() != service_category()) return error_unavailable;
    if (ec == client_errc::tls_failure || ec == client_errc::client_closed) return error_unavailable;
    return error_service;
}

void cache::impl::record(cache_operation op, operation_outcome o, std::uint64_t n,
                         std::optional<std::chrono::nanoseconds> took) {
    const auto i = static_cast<std::size_t>(op);
    if (n) metrics->outcomes[i][static_cast<std::size_t>(o)].add(n);
    if (took) metrics->latency[i].record(*took);
    if (options.on_operation && n) call_hook(operation_event{op, o, took.value_or(std::chrono::nanoseconds{0}), false, n});
}

// The user's hook must not throw; if it does, the operation still completes (and the hook's failure
// is logged): an exception here would escape into io_context::run and strand the caller.
void cache::impl::call_hook(const operation_event& e) const noexcept {
    try {
        options.on_operation(e);
    } catch (const std::exception& x) {
        write_log(dynamodb->options().log, log_level::error, "cache",
                  [&] { return std::string("the on_operation hook threw: ") + x.what(); });
    } catch (...) {
        write_log(dynamodb->options().log, log_level::error, "cache",
                  [] { return std::string("the on_operation hook threw"); });
    }
}

void cache::impl::forget(const near_writes& w) {
    if (!near) return;
    if (w.everything) near->invalidate_all();
    for (const std::string& k : w.keys) near->invalidate(k);
}

void cache::impl::fill_near(const near_cache::ticket& t, const std::string& key, const item& found,
                            const std::optional<std::string>& decoded) {
    if (!near) return;
    if (found.empty()) return near->fill(t, key, near_cache::kind::absent, {}, 0, t.taken);
    const auto expires = cache_layout::expiration_seconds(options, found);
    if (!expires && found.find(options.expiration_time_field)) return; // an expiry it cannot read: not kept
    near->fill(t, key, decoded ? near_cache::kind::value : near_cache::kind::none, decoded ? *decoded : "",
               expires.value_or(0), t.taken);
}

bool cache::near_hit(impl& c, const std::string& key, cache_operation op, value& out) {
    if (!c.near) return false;
    const auto found = c.near->lookup(key, near_cache::steady::now(), c.wall_seconds(), out);
    // get reads "not in the table" as nullopt; get_or_set computes for it.
    if (!found || (op == cache_operation::get_or_set && *found == near_cache::kind::absent)) return false;
    const bool is_hit = op == cache_operation::get_or_set || *found == near_cache::kind::value;
    operation_metrics& m = *c.metrics;
    (op == cache_operation::get_or_set ? m.near_get_or_set_hits : is_hit ? m.near_get_hits : m.near_get_misses).add();
    if (c.options.on_operation)
        c.call_hook(operation_event{op, is_hit ? operation_outcome::hit : operation_outcome::miss,
                                    std::chrono::nanoseconds{0}, true, 1});
    return true;
}

cache_stats cache::stats() const { return impl_->stats(); }

std::function<std::optional<cache_stats>()> cache::stats_source() const {
    return [state = std::weak_ptr<const impl>(impl_)]() -> std::optional<cache_stats> {
        if (const auto c = state.lock()) return c->stats();
        return std::nullopt;
    };
}

cache_stats cache::impl::stats() const {
    cache_stats out;
    for (std::size_t i = 0; i < cache_operation_count; ++i) {
        for (std::size_t j = 0; j < operation_outcome_count; ++j)
            out.operations[i].outcomes[j] = metrics->outcomes[i][j].get();
        out.operations[i].latency = metrics->latency[i].snapshot();
    }
    auto near_counted = [&](cache_operation op, operation_outcome o, const ddbcache::metrics::striped_counter& n) {
        out.operations[static_cast<std::size_t>(op)].outcomes[static_cast<std::size_t>(o)] += n.get();
    };
    near_counted(cache_operation::get, operation_outcome::hit, metrics->near_get_hits);
    near_counted(cache_operation::get, operation_outcome::miss, metrics->near_get_misses);
    near_counted(cache_operation::get_or_set, operation_outcome::hit, metrics->near_get_or_set_hits);
    if (near) out.near_cache = near->stats();
    out.stale_served = metrics->stale_served.get();
    out.lease_waits = metrics->lease_waits.get();
    out.dynamodb = dynamodb->stats();
    return out;
}

} // namespace ddbcache
