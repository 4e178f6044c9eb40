#include "net/redis_bus.hpp"

#include <array>

namespace rtc::net {

RedisBus::RedisBus(asio::io_context& io, const RedisUrl& url, RedisBusOptions options,
                   EventHandler on_event, ConnectedHandler on_connected)
    : channel_(options.prefix + ":bus"), on_event_(std::move(on_event)),
      on_connected_(std::move(on_connected)), publisher_(io, url, options.client),
      subscriber_(io, url, options.client) {
    publisher_.set_on_connected([this] { update(); });
    publisher_.set_on_disconnected([this](std::string_view) { update(); });
    subscriber_.set_on_connected([this] { update(); });
    subscriber_.set_on_disconnected([this](std::string_view) { update(); });
    subscriber_.set_on_message([this](std::string_view channel, std::string_view payload) {
        if (channel != channel_)
            return;
        received_.fetch_add(1, std::memory_order_relaxed);
        if (on_event_)
            on_event_(payload);
    });
    subscriber_.subscribe(channel_);
}

RedisBus::~RedisBus() {
    stop();
}

void RedisBus::start() {
    publisher_.start();
    subscriber_.start();
}

void RedisBus::stop() {
    publisher_.stop();
    subscriber_.stop();
    up_ = false;
    connected_.store(false, std::memory_order_relaxed);
}

void RedisBus::publish(std::string_view payload) {
    const std::array<std::string_view, 3> args{"PUBLISH", channel_, payload};
    if (up_ && publisher_.command(args))
        published_.fetch_add(1, std::memory_order_relaxed);
    else
        dropped_.fetch_add(1, std::memory_order_relaxed);
}

// Up when both connections are ready: the caller's re-announcement can then be both sent and
// answered. Each down -> up transition runs on_connected once.
void RedisBus::update() {
    const bool up = publisher_.connected() && subscriber_.connected();
    if (up == up_)
        return;
    up_ = up;
    connected_.store(up, std::memory_order_relaxed);
    if (!up)
        return;
    if (was_up_)
        reconnects_.fetch_add(1, std::memory_order_relaxed);
    was_up_ = true;
    if (on_connected_)
        on_connected_();
}

RedisBusStats RedisBus::stats() const {
    RedisBusStats s;
    s.published = published_.load(std::memory_order_relaxed);
    s.received = received_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.reconnects = reconnects_.load(std::memory_order_relaxed);
    s.connected = connected_.load(std::memory_order_relaxed);
    return s;
}

} // namespace rtc::net
