#!/usr/bin/python3
"""`rtc-probe signal` against rtc-signal: two peers join, the welcome is checked and messages
go a -> b -> a; over ws:// and wss:// (--cert auto), with static and JWT tokens, and against
servers that refuse, do not listen or never answer (exit 1 with a one-line reason).

Usage: probe_signal.py [test...]
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from signal_server import mint_jwt, start_signal  # noqa: E402


def probe(*args, timeout=30):
    return harness.run([harness.tool_path("rtc-probe"), "signal"] + list(args), timeout=timeout)


def probe_json(*args, expect):
    result = probe("--json", *args)
    check_equal(result.returncode, expect,
                "rtc-probe signal %s exit code (stdout %s, stderr %r)"
                % (" ".join(args), result.stdout, result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        raise harness.TestFailure("--json output is not JSON (%s):\n%s" % (e, result.stdout))
    check_equal(report.get("version"), 1, "JSON schema version")
    check_equal(report.get("command"), "signal", "command")
    check_equal(report.get("ok"), expect == 0, "ok field")
    if expect != 0:
        lines = result.stderr.strip().splitlines()
        check_equal(len(lines), 1, "one line on stderr: %r" % result.stderr)
        check(lines[0].startswith("rtc-probe: signal: "), "stderr %r" % result.stderr)
        check_equal(report["error"] in lines[0], True, "stderr repeats the JSON error")
    return report


def check_ok(report, count):
    check_equal(report["error"], None, "error")
    check_equal(report["messages"], count, "round trips")
    check(0 < report["connect_ms"] <= report["join_ms"] < 3000,
          "connect %r ms, join %r ms" % (report["connect_ms"], report["join_ms"]))
    check(0 < report["join_b_ms"] < 3000, "second peer's join %r" % report["join_b_ms"])
    rtt = report["rtt_ms"]
    check(0 < rtt["min"] <= rtt["median"] <= rtt["p99"] < 3000, "rtt %r" % rtt)
    check_equal(report["http_status"], 101, "upgrade status")


def test_plain():
    with start_signal() as server:
        before = server.metrics().value("rtc_signal_messages_relayed_total") or 0
        report = probe_json(server.ws_url("probe-room"), "--count", "20", expect=0)
        check_ok(report, 20)
        check_equal(report["room"], "probe-room", "room")
        check_equal(report["server"], "127.0.0.1:%d" % server.port, "server")
        # Every probe message crossed the server twice (a -> b and the echo b -> a).
        relayed = server.metrics().value("rtc_signal_messages_relayed_total") - before
        check(relayed >= 40, "server relayed %r messages" % relayed)

        # No room in the URL: a random one, different each run.
        first = probe_json(server.ws_url(""), expect=0)
        second = probe_json(server.ws_url(""), expect=0)
        check(first["room"].startswith("probe-") and first["room"] != second["room"],
              "random rooms %r %r" % (first["room"], second["room"]))
        check_ok(first, 10)

        # Text for people.
        result = probe(server.ws_url("text-room"), "--count", "3")
        check_equal(result.returncode, 0, "text mode exit code (stderr %r)" % result.stderr)
        for word in ("connect", "join", "3 round trips", "median", "p99"):
            check(word in result.stdout, "text lacks %r:\n%s" % (word, result.stdout))
        check_equal(result.stderr, "", "stderr of a good run")


def test_wss_cert_auto():
    with start_signal(["--cert", "auto"], listens=("https://127.0.0.1:0",)) as server:
        url = server.ws_url("secure")
        check(url.startswith("wss://"), url)
        report = probe_json(url, "--insecure", "--count", "5", expect=0)
        check_ok(report, 5)
        # Without --insecure the self-signed certificate is not trusted.
        report = probe_json(url, expect=1)
        check("TLS" in report["error"] or "certificate" in report["error"],
              "error %r" % report["error"])
        check_equal(report["connect_ms"], None, "no connection")


def test_static_token():
    with start_signal(["--token", "sesame-0123456789"]) as server:
        report = probe_json(server.ws_url("guarded"), expect=1)
        check_equal(report["http_status"], 401, "refused upgrade without a token")
        check("401" in report["error"], "error %r" % report["error"])
        report = probe_json(server.ws_url("guarded"), "--token", "wrong", expect=1)
        check_equal(report["http_status"], 401, "refused upgrade with a wrong token")
        report = probe_json(server.ws_url("guarded"), "--token", "sesame-0123456789", expect=0)
        check_ok(report, 10)


def test_jwt_room_claim():
    secret = "0123456789abcdef-probe-secret"
    with start_signal(["--token-secret", secret]) as server:
        token = mint_jwt(secret, {"exp": int(time.time()) + 600, "room": "allowed"})
        report = probe_json(server.ws_url("allowed"), "--token", token, expect=0)
        check_ok(report, 10)
        report = probe_json(server.ws_url("other"), "--token", token, expect=1)
        check_equal(report["http_status"], 403, "a token for another room")
        check("403" in report["error"], "error %r" % report["error"])


def test_unreachable_and_silent():
    # Nothing listens: refused at once.
    port = harness.free_port("tcp")
    report = probe_json("ws://127.0.0.1:%d/x" % port, expect=1)
    check("refused" in report["error"], "error %r" % report["error"])
    check_equal(report["http_status"], None, "no HTTP answer")
    # A server that accepts TCP and never answers the upgrade: the step times out.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        start = time.monotonic()
        report = probe_json("ws://127.0.0.1:%d/x" % listener.getsockname()[1],
                            "--timeout", "500ms", expect=1)
        elapsed = time.monotonic() - start
    check(elapsed < 5, "gave up after %.1f s" % elapsed)
    check("tim" in report["error"], "error %r" % report["error"])


def test_usage_errors():
    for args in (["http://127.0.0.1:1/x"], ["ws://127.0.0.1:1/x?id=me"], [],
                 ["ws://127.0.0.1:1/x", "--count", "0"], ["ws://127.0.0.1:1/x", "--timeout", "soon"]):
        result = probe(*args)
        check_equal(result.returncode, 2, "exit code of %r (stderr %r)" % (args, result.stderr))
        check(result.stderr.startswith("rtc-probe"), "stderr %r" % result.stderr)


if __name__ == "__main__":
    harness.main({
        "plain": test_plain,
        "wss_cert_auto": test_wss_cert_auto,
        "static_token": test_static_token,
        "jwt_room_claim": test_jwt_room_claim,
        "unreachable_and_silent": test_unreachable_and_silent,
        "usage_errors": test_usage_errors,
    })
