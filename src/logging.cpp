#include "logging.hpp"

#include <iostream>
#include <mutex>

namespace ddbcache {

logger clog_logger(log_level level) {
    return logger{level, [](const log_record& r) {
                      static std::mutex one_line_at_a_time;
                      static constexpr const char* names[] = {"debug", "info", "warning", "error", "off"};
                      const std::lock_guard lock(one_line_at_a_time);
                      std::clog << "ddbcache " << names[static_cast<int>(r.level)] << ' ' << r.component << ": "
                                << r.message << '\n';
                  }};
}

} // namespace ddbcache
