#pragma once
// The end of every server's run() (CLI.md "Server plumbing"): run the worker pool until SIGINT
// or SIGTERM, which log "stopping" and call `stop` (on the first context's thread; it must make
// every context return, e.g. after closing listeners within a grace period); SIGHUP calls
// `reload`. Logs "stopped" and returns exit code 0.
#include "app/log.hpp"
#include "net/io_pool.hpp"

#include <functional>

namespace rtc::app {

// Call first in a server's run(), before it binds: SIGINT, SIGTERM and SIGHUP stay pending
// (blocked) instead of taking their default action, so a signal sent as soon as a port answers
// is handled by serve() rather than killing the process with no "stopped" line or exit code 0.
// serve() unblocks them once its handler is in place.
void hold_stop_signals();

int serve(net::IoPool& pool, Logger& log, const std::function<void()>& stop,
          const std::function<void()>& reload);

} // namespace rtc::app
