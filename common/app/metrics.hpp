#pragma once
// Counters and gauges with labels, rendered as Prometheus text exposition format 0.0.4
// (served at /metrics, CLI.md "Server plumbing").
//
//   rtc::app::MetricsRegistry metrics;                       // at startup
//   auto& udp = metrics.counter("rtc_stun_requests_total", "Binding requests received.",
//                               {{"transport", "udp"}});
//   metrics.add_process_metrics();
//   udp.inc();                                               // hot path, any thread
//   std::string text = metrics.render();                     // at scrape
//
// Registration allocates and takes a lock; inc()/set() never allocate or lock. A counter is split
// into per-thread shards (relaxed atomics on separate cache lines), summed at scrape.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::app {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType : uint8_t { Counter, Gauge };

inline constexpr unsigned kMetricShards = 16;

namespace detail {
inline std::atomic<unsigned> next_metric_shard{0};
// Threads take shards round robin on first use, so up to kMetricShards workers never share one.
inline unsigned this_thread_metric_shard() noexcept {
    thread_local const unsigned shard =
        next_metric_shard.fetch_add(1, std::memory_order_relaxed) % kMetricShards;
    return shard;
}
} // namespace detail

class Counter {
public:
    void inc(uint64_t n = 1) noexcept {
        shards_[detail::this_thread_metric_shard()].value.fetch_add(n, std::memory_order_relaxed);
    }
    uint64_t value() const noexcept;

private:
    struct alignas(64) Shard {
        std::atomic<uint64_t> value{0};
    };
    std::array<Shard, kMetricShards> shards_;
};

class Gauge {
public:
    void set(int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(int64_t d = 1) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
    void sub(int64_t d = 1) noexcept { value_.fetch_sub(d, std::memory_order_relaxed); }
    int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    alignas(64) std::atomic<int64_t> value_{0};
};

class MetricsRegistry {
public:
    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Registering the same name and labels again returns the same object. A bad metric or label
    // name, or a name reused with another type, throws std::invalid_argument (a programming
    // error, found at startup). The returned references live as long as the registry.
    Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
    // A value computed at scrape time, e.g. the size of a table, from the scraping thread.
    void callback(std::string_view name, std::string_view help, MetricType type,
                  const Labels& labels, std::function<double()> read);

    // process_cpu_seconds_total, process_open_fds, process_max_fds,
    // process_resident_memory_bytes, process_virtual_memory_bytes, process_start_time_seconds,
    // read from /proc/self at scrape time.
    void add_process_metrics();

    // Text exposition format 0.0.4: families in registration order, each with HELP and TYPE.
    std::string render() const;
    void render(std::string& out) const; // appends

private:
    struct Series;
    struct Family;
    Series& add_series(std::string_view name, std::string_view help, MetricType type,
                       const Labels& labels, bool& created);

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Family>> families_;
};

// Prometheus content type for the /metrics response.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

} // namespace rtc::app
