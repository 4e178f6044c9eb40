#include "net/signals.hpp"

#include <asio/signal_set.hpp>

#include <csignal>

namespace rtc::net {

struct SignalHandler::State : std::enable_shared_from_this<State> {
    asio::signal_set set;
    std::function<void(int)> on_stop;
    std::function<void()> on_reload;
    bool cancelled = false;

    State(asio::io_context& io, std::function<void(int)> stop, std::function<void()> reload)
        : set(io, SIGINT, SIGTERM, SIGHUP), on_stop(std::move(stop)), on_reload(std::move(reload)) {
    }

    void wait() {
        set.async_wait([self = shared_from_this()](const std::error_code& ec, int signo) {
            if (ec || self->cancelled)
                return;
            if (signo == SIGHUP) {
                if (self->on_reload)
                    self->on_reload();
            } else if (self->on_stop) {
                self->on_stop(signo);
            }
            if (!self->cancelled)
                self->wait();
        });
    }
};

SignalHandler::SignalHandler(asio::io_context& io, std::function<void(int)> on_stop,
                             std::function<void()> on_reload)
    : state_(std::make_shared<State>(io, std::move(on_stop), std::move(on_reload))) {
    state_->wait();
}

SignalHandler::~SignalHandler() {
    cancel();
}

void SignalHandler::cancel() {
    if (!state_ || state_->cancelled)
        return;
    state_->cancelled = true;
    std::error_code ignored;
    state_->set.cancel(ignored);
    state_->set.clear(ignored);
}

} // namespace rtc::net
