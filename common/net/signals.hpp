#pragma once
// Process signals as callbacks on an io_context (CLI.md): SIGINT/SIGTERM stop, SIGHUP reloads.
//
//   rtc::net::SignalHandler signals(io,
//       [&](int signo) { server->stop(); pool.stop(); },   // SIGINT or SIGTERM
//       [&] { tls_holder->reload(load_credentials()); });  // SIGHUP
//
// SIGHUP is caught even without a reload callback, so it never kills a server.
#include <asio/io_context.hpp>

#include <functional>
#include <memory>

namespace rtc::net {

class SignalHandler {
public:
    // Both callbacks run on the io_context's thread, once per signal received.
    SignalHandler(asio::io_context& io, std::function<void(int signal)> on_stop,
                  std::function<void()> on_reload = {});
    ~SignalHandler();
    SignalHandler(const SignalHandler&) = delete;
    SignalHandler& operator=(const SignalHandler&) = delete;

    // Stops listening; the default dispositions come back once the pending wait completes.
    void cancel();

    struct State;

private:
    std::shared_ptr<State> state_;
};

} // namespace rtc::net
