#!/usr/bin/python3
"""`rtc-probe load stun`: short bounded Binding loads against rtc-stun on loopback (no loss at a
modest rate, an exact count in window mode) and against nothing (100% loss, exit 1).
`rtc-probe load turn`: ChannelData through N allocations on rtc-turn (and coturn) to rtc-probe's
own echo peer or to turnutils_peer; a wrong password and a refused peer fail with their code;
allocations are deleted at the end.

Usage: probe_load.py [test...]
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_rtc_stun  # noqa: E402
import turn_server  # noqa: E402


def load(*args, timeout=60, kind="stun", env=None):
    return harness.run([harness.tool_path("rtc-probe"), "load", kind] + list(args),
                       timeout=timeout, env=env)


def load_json(*args, expect, kind="stun", env=None):
    result = load("--json", *args, kind=kind, env=env)
    check_equal(result.returncode, expect,
                "rtc-probe load %s %s exit code (stdout %s, stderr %r)"
                % (kind, " ".join(args), result.stdout, result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        raise harness.TestFailure("--json output is not JSON (%s):\n%s" % (e, result.stdout))
    check_equal(report.get("version"), 1, "JSON schema version")
    check_equal(report.get("command"), "load " + kind, "command")
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


# ---------------------------------------------------------------------------------------------
# load turn


def rtc_turn(*extra):
    return turn_server.start_turn(
        extra=["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD)] + list(extra),
        listens=("udp://127.0.0.1:0",), metrics=True)


def turn_url(server):
    return "turn:127.0.0.1:%d" % server.port("udp")


def credentials():
    return ["--user", turn_server.USER, "--password", turn_server.PASSWORD]


def test_turn_rate_rtc_turn():
    """Rate mode through 8 allocations to rtc-probe's own echo peer: nothing lost, and rtc-turn
    saw every allocation deleted at the end."""
    with rtc_turn("--allow-loopback-peers") as server:
        report = load_json(turn_url(server), *credentials(), "--allocations", "8", "--rate",
                           "2000", "--duration", "1s", "--size", "200", expect=0, kind="turn")
        check_clean(report)
        for field, want in (("allocations", 8), ("allocated", 8), ("ready", 8), ("released", 8),
                            ("own_peer", True), ("size", 200), ("mode", "rate"), ("code", None),
                            ("error", None)):
            check_equal(report[field], want, field)
        check(1600 <= report["sent"] <= 2050, "sent %r" % report["sent"])
        # Every datagram went client -> relay -> peer -> relay -> client once.
        check_equal(report["echoed"], report["sent"], "echoed by rtc-probe's peer")
        check(report["peer"].startswith("127.0.0.1:"), "peer %r" % report["peer"])
        check(report["relayed"].startswith("127.0.0.1:"), "relayed %r" % report["relayed"])
        metrics = harness.scrape_metrics(server.metrics_url)
        check(metrics.has("rtc_turn_allocations"), "rtc-turn exports rtc_turn_allocations")
        check_equal(metrics.value("rtc_turn_allocations"), 0, "allocations left on the server")
        # Text for people, the password from the environment.
        env = dict(os.environ, RTC_PROBE_PASSWORD=turn_server.PASSWORD)
        result = load(turn_url(server), "--user", turn_server.USER, "--window", "2",
                      "--duration", "200ms", kind="turn", env=env)
        check_equal(result.returncode, 0, "text mode exit code (stderr %r)" % result.stderr)
        for word in ("allocated", "10 of 10", "echo peer", "answered", "0.00%", "p99",
                     "released"):
            check(word in result.stdout, "text lacks %r:\n%s" % (word, result.stdout))


def test_turn_window_count():
    with rtc_turn("--allow-loopback-peers") as server:
        report = load_json(turn_url(server), *credentials(), "--allocations", "3", "--window",
                           "4", "--count", "900", "--duration", "20s", expect=0, kind="turn")
        check_clean(report)
        check_equal(report["window"], 4, "window")
        check_equal(report["sent"], 900, "--count bounds the datagrams")
        check(report["seconds"] < 10, "stopped after the count: %r s" % report["seconds"])


def test_turn_failures():
    """A wrong password: no allocation, code wrong_credentials. A peer rtc-turn refuses
    (loopback without --allow-loopback-peers): 403 at CreatePermission, code forbidden, and the
    allocations made are still deleted."""
    with rtc_turn() as server:
        report = load_json(turn_url(server), "--user", turn_server.USER, "--password", "wrong",
                           "--allocations", "2", "--duration", "200ms", expect=1, kind="turn")
        check_equal(report["code"], "wrong_credentials", "code")
        check_equal(report["allocated"], 0, "allocated")
        check_equal(report["sent"], 0, "nothing sent")
        check("Allocate" in report["error"], "error %r" % report["error"])
        report = load_json(turn_url(server), *credentials(), "--allocations", "2",
                           "--duration", "200ms", expect=1, kind="turn")
        check_equal(report["code"], "forbidden", "code")
        check_equal(report["allocated"], 2, "allocated")
        check_equal(report["ready"], 0, "ready")
        check_equal(report["released"], 2, "released after the failure")
        result = load(turn_url(server), *credentials(), "--duration", "200ms", kind="turn")
        check_equal(result.returncode, 1, "text mode exit code")
        lines = result.stderr.strip().splitlines()
        check(len(lines) == 1 and lines[0].startswith("rtc-probe: load turn: ") and
              "CreatePermission" in lines[0] and "403" in lines[0],
              "one-line reason: %r" % result.stderr)


def wait_echo(port):
    """Until the UDP echo peer on 127.0.0.1:port answers (20 tries, 0.25 s each)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.25)
        for _ in range(20):
            s.sendto(b"ping", ("127.0.0.1", port))
            try:
                if s.recv(64) == b"ping":
                    return
            except (socket.timeout, ConnectionRefusedError):
                pass
    raise harness.TestFailure("turnutils_peer on port %d does not echo" % port)


def test_turn_coturn_and_external_peer():
    """Against coturn, relaying to turnutils_peer (an external echo peer, --peer)."""
    harness.require_program("turnserver", "coturn")
    port = harness.free_port("udp")
    coturn = harness.Process([
        "turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
        "--listening-port=%d" % port, "--lt-cred-mech", "--user=test:secret",
        "--realm=example.org", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
        "--log-file=stdout", "--simple-log"])
    peer = None
    try:
        harness.wait_udp_stun("127.0.0.1", port)
        peer, peer_port = turn_server.start_peer()
        wait_echo(peer_port)
        report = load_json("turn:127.0.0.1:%d" % port, "--user", "test", "--password", "secret",
                           "--allocations", "4", "--rate", "1000", "--duration", "1s",
                           "--peer", "127.0.0.1:%d" % peer_port, expect=0, kind="turn")
        check_clean(report)
        check_equal(report["own_peer"], False, "own_peer")
        check_equal(report["echoed"], None, "echoed (not our peer)")
        check_equal(report["peer"], "127.0.0.1:%d" % peer_port, "peer")
        check_equal(report["released"], 4, "released")
        check(report["sent"] > 800, "sent %r" % report["sent"])
    finally:
        if peer is not None:
            peer.kill()
        coturn.kill()


def test_turn_usage_errors():
    for args in (["stun:127.0.0.1:3478", "--user", "u", "--password", "p"],
                 ["turn:127.0.0.1:3478?transport=tcp", "--user", "u", "--password", "p"],
                 ["turn:127.0.0.1:3478", "--password", "p"],
                 ["turn:127.0.0.1", "--user", "u", "--password", "p", "--peer", "nope"],
                 ["turn:127.0.0.1", "--user", "u", "--password", "p", "--size", "8"],
                 ["turn:127.0.0.1", "--user", "u", "--password", "p", "--allocations", "0"],
                 ["turn:127.0.0.1", "--user", "u", "--password", "p", "--duration", "5m"],
                 ["turn:127.0.0.1", "--user", "u", "--password", "p", "--rate", "10",
                  "--window", "2"]):
        env = dict(os.environ)
        env.pop("RTC_PROBE_PASSWORD", None)
        result = load(*args, kind="turn", env=env)
        check_equal(result.returncode, 2, "exit code of %r (stderr %r)" % (args, result.stderr))
        check(result.stderr.startswith("rtc-probe"), "stderr %r" % result.stderr)


if __name__ == "__main__":
    harness.main({
        "rate_rtc_stun": test_rate_rtc_stun,
        "window_count": test_window_count,
        "no_server": test_no_server,
        "usage_errors": test_usage_errors,
        "turn_rate_rtc_turn": test_turn_rate_rtc_turn,
        "turn_window_count": test_turn_window_count,
        "turn_failures": test_turn_failures,
        "turn_coturn_and_external_peer": test_turn_coturn_and_external_peer,
        "turn_usage_errors": test_turn_usage_errors,
    })
