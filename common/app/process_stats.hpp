#pragma once
// The standard Prometheus process metrics, read from /proc/self (Linux proc(5)).
#include <cstdint>
#include <optional>

namespace rtc::app {

struct ProcessStats {
    double cpu_seconds = 0;        // user + system time, /proc/self/stat fields 14 and 15
    double start_time_seconds = 0; // Unix time; /proc/stat btime + /proc/self/stat field 22
    uint64_t resident_bytes = 0;   // /proc/self/statm field 2 times the page size
    uint64_t virtual_bytes = 0;    // /proc/self/statm field 1 times the page size
    uint64_t open_fds = 0;         // entries of /proc/self/fd
    uint64_t max_fds = 0;          // RLIMIT_NOFILE soft limit
};

// Fields that cannot be read are left at zero.
ProcessStats read_process_stats();

} // namespace rtc::app
