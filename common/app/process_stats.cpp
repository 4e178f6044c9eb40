#include "app/process_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <string>
#include <string_view>

namespace rtc::app {

namespace {

// Reads a small /proc file into buf; returns the bytes read (0 on failure).
std::size_t read_small_file(const char* path, char* buf, std::size_t size) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    std::size_t total = 0;
    for (int attempts = 0; total < size && attempts < 4096; ++attempts) {
        ssize_t n = ::read(fd, buf + total, size - total);
        if (n <= 0)
            break;
        total += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return total;
}

// Splits off the next space-separated field.
std::string_view next_field(std::string_view& s) {
    auto start = s.find_first_not_of(" \n");
    if (start == std::string_view::npos) {
        s = {};
        return {};
    }
    s.remove_prefix(start);
    auto end = s.find_first_of(" \n");
    auto field = s.substr(0, end);
    s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    return field;
}

uint64_t to_u64(std::string_view s) {
    uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

uint64_t read_boot_time_seconds() {
    // /proc/stat grows with the number of CPUs and interrupts; btime follows the "intr" line.
    std::string buf(1 << 20, '\0');
    std::size_t n = read_small_file("/proc/stat", buf.data(), buf.size());
    std::string_view s(buf.data(), n);
    auto pos = s.find("\nbtime ");
    if (pos == std::string_view::npos)
        return 0;
    s.remove_prefix(pos + 7);
    return to_u64(next_field(s));
}

uint64_t boot_time_seconds() {
    static const uint64_t boot = read_boot_time_seconds(); // fixed while the system runs
    return boot;
}

uint64_t count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir)
        return 0;
    int own = ::dirfd(dir);
    uint64_t count = 0;
    // Bounded by the fd limit: the kernel lists each open descriptor once.
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = -1;
        auto name = std::string_view(entry->d_name);
        std::from_chars(name.data(), name.data() + name.size(), fd);
        if (fd != own)
            ++count;
    }
    ::closedir(dir);
    return count;
}

} // namespace

ProcessStats read_process_stats() {
    ProcessStats out;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));

    char buf[4096];
    std::size_t n = read_small_file("/proc/self/stat", buf, sizeof buf);
    std::string_view stat(buf, n);
    // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
    auto paren = stat.rfind(')');
    if (paren != std::string_view::npos && ticks > 0) {
        std::string_view rest = stat.substr(paren + 1);
        uint64_t utime = 0, stime = 0, start = 0;
        for (int field = 3; field <= 22 && !rest.empty(); ++field) {
            auto f = next_field(rest);
            if (field == 14)
                utime = to_u64(f);
            else if (field == 15)
                stime = to_u64(f);
            else if (field == 22)
                start = to_u64(f);
        }
        out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
        if (uint64_t boot = boot_time_seconds())
            out.start_time_seconds = static_cast<double>(boot) + static_cast<double>(start) / ticks;
    }

    n = read_small_file("/proc/self/statm", buf, sizeof buf);
    std::string_view statm(buf, n);
    out.virtual_bytes = to_u64(next_field(statm)) * page;
    out.resident_bytes = to_u64(next_field(statm)) * page;

    out.open_fds = count_open_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
        out.max_fds = limit.rlim_cur;
    return out;
}

} // namespace rtc::app
