#include "app/serve.hpp"

#include "app/exit_codes.hpp"
#include "net/signals.hpp"

#include <csignal>

#include <pthread.h>

namespace rtc::app {

namespace {

void set_stop_signals_mask(int how) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(how, &set, nullptr);
}

} // namespace

void hold_stop_signals() {
    set_stop_signals_mask(SIG_BLOCK);
}

int serve(net::IoPool& pool, Logger& log, const std::function<void()>& stop,
          const std::function<void()>& reload) {
    net::SignalHandler signals(
        pool.context(0),
        [&](int signal) {
            log.info("stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
            stop();
        },
        reload);
    set_stop_signals_mask(SIG_UNBLOCK); // what arrived while held is delivered now
    pool.start();
    pool.join();
    log.info("stopped");
    return kExitOk;
}

} // namespace rtc::app
