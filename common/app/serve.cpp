#include "app/serve.hpp"

#include "app/exit_codes.hpp"
#include "net/signals.hpp"

#include <csignal>

namespace rtc::app {

int serve(net::IoPool& pool, Logger& log, const std::function<void()>& stop,
          const std::function<void()>& reload) {
    net::SignalHandler signals(
        pool.context(0),
        [&](int signal) {
            log.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
            stop();
        },
        reload);
    pool.start();
    pool.join();
    log.info("stopped");
    return kExitOk;
}

} // namespace rtc::app
