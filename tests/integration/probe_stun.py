#!/usr/bin/python3
"""`rtc-probe stun` against rtc-stun and coturn over UDP, TCP and TLS, against servers that
drop requests (RFC 8489 §6.2.1 retransmissions) and against nothing (exit 1).

Usage: probe_stun.py [test...]
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import probe_fake_stun  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import COTURN, RTC_STUN, start_rtc_stun, start_stun  # noqa: E402


def probe(*args, timeout=30):
    return harness.run([harness.tool_path("rtc-probe")] + list(args), timeout=timeout)


def probe_json(*args, expect):
    result = probe("stun", "--json", *args)
    check_equal(result.returncode, expect,
                "rtc-probe stun %s exit code (stdout %s, stderr %r)"
                % (" ".join(args), result.stdout, result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        raise harness.TestFailure("--json output is not JSON (%s):\n%s" % (e, result.stdout))
    check_equal(report.get("version"), 1, "JSON schema version")
    check_equal(report.get("ok"), expect == 0, "ok field")
    return report["results"]


def check_answered(result, transport):
    check(result["ok"], "%s check failed: %r" % (transport, result))
    check_equal(result["transport"], transport, "transport")
    check_equal(result["error"], None, "error")
    check_equal(result["mapped"], result["local"], "mapped address on loopback")
    check(result["mapped"].startswith("127.0.0.1:"), "mapped %r" % result["mapped"])
    check(0 <= result["rtt_ms"] < 1000, "rtt_ms %r" % result["rtt_ms"])
    check_equal(result["requests"], 1, "requests on a loss-free loopback")


def self_signed(common_name):
    """A fresh certificate and key (PEM files) whose CN is `common_name`."""
    harness.require_program("openssl", "openssl")
    directory = harness.temp_dir()
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    result = harness.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + common_name],
        timeout=60)
    check(result.returncode == 0, "openssl failed: " + result.stderr)
    return cert, key


def test_udp_tcp_tls_rtc_stun():
    cert, key = self_signed("127.0.0.1")
    args = ["--listen", "udp://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
            "--listen", "tls://127.0.0.1:0", "--cert", cert, "--key", key,
            "--software", "rtc-stun under test"]
    with start_rtc_stun(args, listen_count=3) as server:
        udp, tcp, tls = (server.endpoint(s) for s in ("udp", "tcp", "tls"))
        # The certificate is verified against --ca and the host name (its CN here).
        results = probe_json("--ca", cert, "stun:%s:%d" % udp,
                             "stun:%s:%d?transport=tcp" % tcp, "stuns:%s:%d" % tls, expect=0)
        check_equal(len(results), 3, "one result per URL, in order")
        for result, transport in zip(results, ("udp", "tcp", "tls")):
            check_answered(result, transport)
            check_equal(result["software"], "rtc-stun under test", "SOFTWARE")
        # Text for people: one block per server.
        result = probe("stun", "stun:%s:%d" % udp)
        check_equal(result.returncode, 0, "text mode exit code")
        check("mapped" in result.stdout and "rtt" in result.stdout, result.stdout)
        server.stop()


def test_tls_verification():
    cert, key = self_signed("127.0.0.1")
    other_cert, _ = self_signed("127.0.0.1")
    args = ["--listen", "tls://127.0.0.1:0", "--cert", cert, "--key", key]
    with start_rtc_stun(args, listen_count=1) as server:
        url = "stuns:%s:%d" % server.endpoint("tls")
        results = probe_json("--ca", other_cert, url, expect=1)
        check("TLS" in results[0]["error"], "error: %r" % results[0]["error"])
        check_equal(results[0]["mapped"], None, "mapped after a failed handshake")
        check_answered(probe_json("--insecure", url, expect=0)[0], "tls")
        server.stop()


def test_coturn():
    harness.require_program("turnserver", "coturn")
    with start_stun(["udp://127.0.0.1:0", "tcp://127.0.0.1:0"], impl=COTURN) as server:
        results = probe_json("stun:%s:%d" % server.endpoint("udp"),
                             "stun:%s:%d?transport=tcp" % server.endpoint("tcp"), expect=0)
        check_answered(results[0], "udp")
        check_answered(results[1], "tcp")


def test_retransmissions():
    """RFC 8489 §6.2.1: the same transaction is sent again after RTO, 2 RTO, ...; --timeout 2s
    makes the RTO 500 ms, so two lost requests cost 1.5 s."""
    port = harness.free_port("udp")
    with probe_fake_stun.dropping_server(("127.0.0.1", port), drop_first=2) as server:
        started = time.monotonic()
        results = probe_json("--timeout", "2s", "stun:127.0.0.1:%d" % port, expect=0)
        elapsed = time.monotonic() - started
        check_equal(results[0]["requests"], 3, "requests sent")
        check_equal(results[0]["retransmissions"], 2, "retransmissions")
        check_equal(len({m.txid for _, _, m in server.requests}), 1,
                    "retransmissions keep the transaction id")
        check(1.4 <= elapsed < 2.5, "answer after %.2f s" % elapsed)


def test_no_answer():
    """A server that never answers: requests at 0, 250 and 750 ms, give up at --timeout 1s."""
    port = harness.free_port("udp")
    with probe_fake_stun.dropping_server(("127.0.0.1", port), drop_first=100) as server:
        started = time.monotonic()
        results = probe_json("--timeout", "1s", "stun:127.0.0.1:%d" % port, expect=1)
        elapsed = time.monotonic() - started
        check_equal(results[0]["ok"], False, "ok")
        check("no answer within 1s" in results[0]["error"], "error: %r" % results[0]["error"])
        check_equal(results[0]["requests"], 3, "requests sent")
        check_equal(len(server.requests), 3, "requests the server saw")
        check(0.9 <= elapsed < 2, "gave up after %.2f s" % elapsed)


def test_mixed_and_unreachable():
    with start_stun(["udp://127.0.0.1:0"], impl=RTC_STUN) as server:
        closed_udp = harness.free_port("udp")
        closed_tcp = harness.free_port("tcp")
        results = probe_json("--timeout", "1s", "stun:%s:%d" % server.endpoint("udp"),
                             "stun:127.0.0.1:%d" % closed_udp,
                             "stun:127.0.0.1:%d?transport=tcp" % closed_tcp,
                             "stun:no-such-host.invalid", expect=1)
        check_answered(results[0], "udp")
        check(not results[1]["ok"] and results[1]["error"], "closed UDP port: %r" % results[1])
        check("connect" in results[2]["error"], "closed TCP port: %r" % results[2])
        check("resolve" in results[3]["error"], "unresolvable host: %r" % results[3])
        check_equal(results[3]["server"], None, "no address for an unresolvable host")


def test_usage_errors():
    for args, needle in (
        (["stun"], "url"),
        (["stun", "turn:127.0.0.1"], "TURN"),
        (["stun", "stuns:127.0.0.1?transport=udp"], "DTLS"),
        (["stun", "stun:127.0.0.1:99999"], "port"),
        (["stun", "stun:127.0.0.1", "--timeout", "0"], "--timeout"),
        (["stun", "stun:127.0.0.1", "--ca", "/nonexistent.pem"], "--ca"),
    ):
        result = probe(*args)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        what = "rtc-probe %s" % " ".join(args)
        check_equal(result.returncode, 2, "%s exit code (stderr %r)" % (what, result.stderr))
        check(len(lines) == 1 and lines[0].startswith("rtc-probe: ") and needle in lines[0],
              "%s: expected one line naming %r, got %r" % (what, needle, lines))


if __name__ == "__main__":
    harness.main({
        "udp_tcp_tls_rtc_stun": test_udp_tcp_tls_rtc_stun,
        "tls_verification": test_tls_verification,
        "coturn": test_coturn,
        "retransmissions": test_retransmissions,
        "no_answer": test_no_answer,
        "mixed_and_unreachable": test_mixed_and_unreachable,
        "usage_errors": test_usage_errors,
    })
