#!/usr/bin/python3
"""rtc-stun under a modest steady load from `rtc-probe load stun`, the benchmark's load generator
(not the benchmark: that is tests/bench/stun_binding/run). At a rate far below capacity nothing may be lost, every
answer must be a Binding success for an outstanding transaction, and the server's counters must
agree with the generator's.

Usage: stun_load.py [test...]; RTC_STUN_IMPL=coturn runs the load against coturn instead.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import RTC_STUN, impl_from_env, start_stun  # noqa: E402

RATE = 2000
SECONDS = 2


def probe_path():
    path = os.path.join(harness.build_dir(), "tools", "rtc-probe", "rtc-probe")
    check(os.access(path, os.X_OK), "rtc-probe is not built (expected at %s)" % path)
    return path


def test_steady_rate():
    metrics = impl_from_env() == RTC_STUN
    with start_stun(["udp://127.0.0.1:0"], metrics=metrics) as server:
        host, port = server.endpoint("udp")
        before = server.metrics() if metrics else None
        result = harness.run([probe_path(), "load", "stun", "stun:%s:%d" % (host, port),
                              "--sockets", "16", "--rate", str(RATE), "--duration", "%ds" % SECONDS,
                              "--timeout", "1s", "--max-loss", "0", "--json"],
                             timeout=SECONDS + 20)
        check_equal(result.returncode, 0, "rtc-probe load exit code (stderr %r)" % result.stderr)
        load = json.loads(result.stdout)
        print(result.stdout.strip())
        # A busy shared machine may deschedule the generator; what it sent must all come back.
        check(load["sent"] >= RATE * SECONDS * 0.5, "sent only %d" % load["sent"])
        check_equal(load["lost"], 0, "lost requests at %d/s" % RATE)
        check_equal((load["invalid"], load["late"], load["send_errors"]), (0, 0, 0),
                    "invalid, late answers and send errors")
        check_equal(load["answered"], load["sent"], "answered")
        if metrics:
            after = server.metrics()
            served = (after.value("rtc_stun_responses_total", transport="udp", code="200")
                      - before.value("rtc_stun_responses_total", transport="udp", code="200"))
            check_equal(served, load["answered"], "rtc_stun_responses_total{code=200} growth")
        server.stop()


if __name__ == "__main__":
    harness.main({"steady_rate": test_steady_rate})
