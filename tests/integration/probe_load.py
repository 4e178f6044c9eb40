#!/usr/bin/python3
"""`rtc-probe load stun`: short bounded Binding loads against rtc-stun on loopback (no loss at a
modest rate, an exact count in window mode) and against nothing (100% loss, exit 1).

Usage: probe_load.py [test...]
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_rtc_stun  # noqa: E402


def load(*args, timeout=60):
    return harness.run([harness.tool_path("rtc-probe"), "load", "stun"] + list(args),
                       timeout=timeout)


def load_json(*args, expect):
    result = load("--json", *args)
    check_equal(result.returncode, expect,
                "rtc-probe load stun %s exit code (stdout %s, stderr %r)"
                % (" ".join(args), result.stdout, result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        raise harness.TestFailure("--json output is not JSON (%s):\n%s" % (e, result.stdout))
    check_equal(report.get("version"), 1, "JSON schema version")
    check_equal(report.get("command"), "load stun", "command")
    check_equal(report.get("ok"), expect == 0, "ok field")
    return report


def check_clean(report):
    for field in ("lost", "late", "invalid", "error_responses", "send_errors"):
        check_equal(report[field], 0, field)
    check_equal(report["answered"], report["sent"], "answered == sent")
    check_equal(report["loss_percent"], 0, "loss")
    latency = report["latency_ms"]
    check(0 < latency["min"] <= latency["p50"] <= latency["p90"] <= latency["p99"]
          <= latency["max"] < 1000, "latency %r" % latency)


def rtc_stun():
    return start_rtc_stun(["--listen", "udp://127.0.0.1:0"], listen_count=1, metrics=True)


def test_rate_rtc_stun():
    with rtc_stun() as server:
        url = "stun:%s:%d" % server.endpoint("udp")
        before = harness.scrape_metrics(server.metrics_url)
        report = load_json(url, "--rate", "2000", "--duration", "1s", "--sockets", "8",
                           expect=0)
        check_clean(report)
        check_equal(report["mode"], "rate", "mode")
        check_equal(report["sockets"], 8, "sockets")
        # 2000/s for 1 s, paced by a 1 ms tick: close to 2000, never much more.
        check(1600 <= report["sent"] <= 2050, "sent %r" % report["sent"])
        check(0.9 <= report["seconds"] <= 1.2, "seconds %r" % report["seconds"])
        check(1500 <= report["answered_per_second"] <= 2300,
              "answered/s %r" % report["answered_per_second"])
        # The server counted exactly what the generator says it sent (loopback loses nothing).
        after = harness.scrape_metrics(server.metrics_url)
        served = (after.value("rtc_stun_requests_total", transport="udp")
                  - (before.value("rtc_stun_requests_total", transport="udp") or 0))
        check_equal(served, report["sent"], "rtc_stun_requests_total{transport=udp} increase")
        # Text for people.
        result = load(url, "--rate", "500", "--duration", "200ms")
        check_equal(result.returncode, 0, "text mode exit code (stderr %r)" % result.stderr)
        for word in ("sent", "answered", "lost", "0.00%", "p50", "p99", "max"):
            check(word in result.stdout, "text lacks %r:\n%s" % (word, result.stdout))


def test_window_count():
    with rtc_stun() as server:
        url = "stun:%s:%d" % server.endpoint("udp")
        report = load_json(url, "--window", "4", "--sockets", "3", "--count", "600",
                           "--duration", "20s", expect=0)
        check_clean(report)
        check_equal(report["mode"], "window", "mode")
        check_equal(report["window"], 4, "window")
        check_equal(report["sent"], 600, "--count bounds the requests")
        check(report["seconds"] < 10, "stopped after the count: %r s" % report["seconds"])


def test_no_server():
    port = harness.free_port("udp")
    start = time.monotonic()
    report = load_json("stun:127.0.0.1:%d" % port, "--rate", "1000", "--duration", "300ms",
                       "--timeout", "200ms", expect=1)
    elapsed = time.monotonic() - start
    check(elapsed < 5, "a 300 ms run took %.1f s" % elapsed)
    check(report["sent"] > 100, "sent %r" % report["sent"])
    check_equal(report["answered"], 0, "answered")
    check_equal(report["lost"], report["sent"], "every request lost")
    check_equal(report["loss_percent"], 100, "loss")
    check_equal(report["latency_ms"]["p50"], None, "no latency without answers")
    result = load("stun:127.0.0.1:%d" % port, "--duration", "100ms", "--timeout", "100ms")
    check_equal(result.returncode, 1, "text mode exit code")
    lines = result.stderr.strip().splitlines()
    check(len(lines) == 1 and lines[0].startswith("rtc-probe: load stun: no answer"),
          "one-line reason: %r" % result.stderr)


def test_usage_errors():
    for args in (["turn:127.0.0.1:3478"], ["stuns:127.0.0.1:5349"],
                 ["stun:127.0.0.1:3478?transport=tcp"], ["stun:127.0.0.1", "--rate", "10",
                                                         "--window", "2"],
                 ["stun:127.0.0.1", "--sockets", "0"], ["stun:127.0.0.1", "--duration", "2h"],
                 ["stun:127.0.0.1", "--rate", "0"], []):
        result = load(*args)
        check_equal(result.returncode, 2, "exit code of %r (stderr %r)" % (args, result.stderr))
        check(result.stderr.startswith("rtc-probe"), "stderr %r" % result.stderr)
    result = harness.run([harness.tool_path("rtc-probe"), "load"], timeout=10)
    check_equal(result.returncode, 2, "load without a kind (stderr %r)" % result.stderr)


if __name__ == "__main__":
    harness.main({
        "rate_rtc_stun": test_rate_rtc_stun,
        "window_count": test_window_count,
        "no_server": test_no_server,
        "usage_errors": test_usage_errors,
    })
