// A loopback HTTP proxy between a client and a local DynamoDB server that injects faults: error
// answers, connections closed or reset at chosen points, delays, a corrupted checksum or body, a
// body shorter than its Content-Length. It runs on a thread of its own, so tests drive it from
// any io_context, and it counts what it did.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace ddbcache::test {

enum class fault : int {
    none,
    throughput_exceeded,  // 400 ProvisionedThroughputExceededException, not forwarded
    throttling,           // 400 ThrottlingException, not forwarded
    validation,           // 400 ValidationException, not forwarded (not retryable)
    internal_error,       // 500 InternalServerError, not forwarded
    unavailable,          // 503 with no error type, not forwarded
    close_before_answer,  // connection closed, the request not forwarded
    drop_after_forward,   // forwarded (the table changes), then closed without an answer
    half_answer_reset,    // forwarded, half the answer sent, then a reset
    delay,                // forwarded, answered after the proxy's delay (or when released)
    corrupt_crc,          // forwarded, x-amz-crc32 changed
    flip_body_byte,       // forwarded, one byte of the body changed (the checksum no longer matches)
    short_body,           // forwarded, the body cut short of its Content-Length, then closed
    count_                // number of kinds
};

const char* fault_name(fault f);

struct proxied_request {
    std::size_t index;     // 0 for the first request the proxy sees
    std::string operation; // the X-Amz-Target operation, e.g. "PutItem"
    std::string body;
};

class fault_proxy {
public:
    using plan = std::function<fault(const proxied_request&)>;

    // A delay that ends only at release_delayed(): tests about timeouts then race nothing.
    static constexpr std::chrono::milliseconds until_released = std::chrono::milliseconds::max();

    // Listens on 127.0.0.1 (a free port) and forwards to `upstream_url` ("http://127.0.0.1:PORT").
    fault_proxy(const std::string& upstream_url, plan choose = {}, std::chrono::milliseconds delay = std::chrono::seconds(2));
    ~fault_proxy();
    fault_proxy(const fault_proxy&) = delete;
    fault_proxy& operator=(const fault_proxy&) = delete;

    std::string url() const;
    void set_plan(plan choose); // thread-safe
    void release_delayed();     // answers every delayed request now; thread-safe

    std::uint64_t injected(fault f) const;
    std::uint64_t requests() const;
    std::uint64_t injected_total() const; // every fault but none

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace ddbcache::test
