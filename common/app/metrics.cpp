#include "app/metrics.hpp"

#include "app/process_stats.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace rtc::app {

struct MetricsRegistry::Series {
    std::string labels; // rendered: {a="b",c="d"}, or empty
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> read;
};

struct MetricsRegistry::Family {
    std::string name;
    std::string help;
    MetricType type;
    std::vector<Series> series;
};

namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and may not
// start with "__" (reserved), as the Prometheus data model says.
bool valid_metric_name(std::string_view name) {
    if (name.empty() || !(is_name_start(name[0]) || name[0] == ':'))
        return false;
    for (char c : name)
        if (!(is_name_start(c) || is_digit(c) || c == ':'))
            return false;
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || !is_name_start(name[0]) || name.substr(0, 2) == "__")
        return false;
    for (char c : name)
        if (!(is_name_start(c) || is_digit(c)))
            return false;
    return true;
}

// Format 0.0.4: label values escape backslash, double quote and line feed.
void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

// Format 0.0.4: HELP text escapes backslash and line feed.
void append_help(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

std::string render_labels(const Labels& labels) {
    if (labels.empty())
        return {};
    std::string out = "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!valid_label_name(labels[i].first))
            throw std::invalid_argument("bad metric label name \"" + labels[i].first + "\"");
        for (std::size_t j = 0; j < i; ++j)
            if (labels[j].first == labels[i].first)
                throw std::invalid_argument("duplicate metric label \"" + labels[i].first + "\"");
        if (i > 0)
            out += ',';
        out += labels[i].first;
        out += "=\"";
        append_label_value(out, labels[i].second);
        out += '"';
    }
    out += '}';
    return out;
}

template <class T> void append_number(std::string& out, T value) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    if (ec == std::errc())
        out.append(buf, end);
}

// Values follow Go's ParseFloat, with NaN, +Inf and -Inf spelled that way.
void append_double(std::string& out, double v) {
    if (std::isnan(v))
        out += "NaN";
    else if (std::isinf(v))
        out += v > 0 ? "+Inf" : "-Inf";
    else
        append_number(out, v);
}

} // namespace

uint64_t Counter::value() const noexcept {
    uint64_t sum = 0;
    for (const auto& shard : shards_)
        sum += shard.value.load(std::memory_order_relaxed);
    return sum;
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::add_series(std::string_view name, std::string_view help,
                                                     MetricType type, const Labels& labels,
                                                     bool& created) {
    if (!valid_metric_name(name))
        throw std::invalid_argument("bad metric name \"" + std::string(name) + "\"");
    std::string rendered = render_labels(labels);
    Family* family = nullptr;
    for (auto& f : families_)
        if (f->name == name)
            family = f.get();
    if (!family) {
        families_.push_back(
            std::make_unique<Family>(Family{std::string(name), std::string(help), type, {}}));
        family = families_.back().get();
    } else if (family->type != type) {
        throw std::invalid_argument("metric \"" + std::string(name) +
                                    "\" registered as counter and as gauge");
    }
    for (auto& s : family->series) {
        if (s.labels == rendered) {
            created = false;
            return s;
        }
    }
    created = true;
    family->series.push_back(Series{std::move(rendered), nullptr, nullptr, nullptr});
    return family->series.back();
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
    std::lock_guard lock(mutex_);
    bool created = false;
    Series& s = add_series(name, help, MetricType::Counter, labels, created);
    if (!s.counter) {
        if (!created)
            throw std::invalid_argument("metric \"" + std::string(name) + "\" has a callback");
        s.counter = std::make_unique<Counter>();
    }
    return *s.counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    bool created = false;
    Series& s = add_series(name, help, MetricType::Gauge, labels, created);
    if (!s.gauge) {
        if (!created)
            throw std::invalid_argument("metric \"" + std::string(name) + "\" has a callback");
        s.gauge = std::make_unique<Gauge>();
    }
    return *s.gauge;
}

void MetricsRegistry::callback(std::string_view name, std::string_view help, MetricType type,
                               const Labels& labels, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    bool created = false;
    Series& s = add_series(name, help, type, labels, created);
    if (!created)
        throw std::invalid_argument("metric \"" + std::string(name) + "\" registered twice");
    s.read = std::move(read);
}

void MetricsRegistry::add_process_metrics() {
    // One /proc read per scrape would be nicer, but each callback stays independent and cheap
    // enough: a scrape reads a handful of small files.
    callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             MetricType::Counter, {}, [] { return read_process_stats().cpu_seconds; });
    callback("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, {},
             [] { return static_cast<double>(read_process_stats().open_fds); });
    callback("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge, {},
             [] { return static_cast<double>(read_process_stats().max_fds); });
    callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge, {},
             [] { return static_cast<double>(read_process_stats().virtual_bytes); });
    callback("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
             {}, [] { return static_cast<double>(read_process_stats().resident_bytes); });
    callback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
             MetricType::Gauge, {}, [] { return read_process_stats().start_time_seconds; });
}

std::string MetricsRegistry::render() const {
    std::string out;
    render(out);
    return out;
}

void MetricsRegistry::render(std::string& out) const {
    std::lock_guard lock(mutex_);
    for (const auto& family : families_) {
        out += "# HELP ";
        out += family->name;
        out += ' ';
        append_help(out, family->help);
        out += "\n# TYPE ";
        out += family->name;
        out += family->type == MetricType::Counter ? " counter\n" : " gauge\n";
        for (const auto& s : family->series) {
            out += family->name;
            out += s.labels;
            out += ' ';
            if (s.counter)
                append_number(out, s.counter->value());
            else if (s.gauge)
                append_number(out, s.gauge->value());
            else if (s.read)
                append_double(out, s.read());
            else
                out += '0';
            out += '\n';
        }
    }
}

} // namespace rtc::app
