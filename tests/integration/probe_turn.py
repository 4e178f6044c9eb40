#!/usr/bin/python3
"""`rtc-probe turn` against rtc-turn over UDP, TCP and TLS and against coturn's turnserver: two
allocations relaying to each other, and each failure explained (wrong password, another realm,
403 for loopback peers, 486 allocation quota), REST credentials, usage errors.

Usage: probe_turn.py [test...]
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402

USER, PASSWORD, REALM = turn_server.USER, turn_server.PASSWORD, turn_server.REALM
SECRET = "probe-rest-secret"
LOOPBACK = ["--allow-loopback-peers"]


def probe(*args, env=None, timeout=60):
    return harness.run([harness.tool_path("rtc-probe"), "turn"] + list(args), timeout=timeout,
                       env=env)


def probe_json(url, *args, expect, env=None):
    result = probe(url, "--json", "--timeout", "2s", *args, env=env)
    what = "rtc-probe turn %s %s" % (url, " ".join(args))
    check_equal(result.returncode, expect,
                "%s exit code (stdout %s, stderr %r)" % (what, result.stdout, result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        raise harness.TestFailure("--json output is not JSON (%s):\n%s" % (e, result.stdout))
    check_equal(report.get("version"), 1, "JSON schema version")
    check_equal(report.get("command"), "turn", "command")
    check_equal(report.get("ok"), expect == 0, "ok field")
    return report


def check_relayed(report, transport, count=10):
    check_equal(report["transport"], transport, "transport")
    check_equal(report["code"], None, "code (error %r)" % report["error"])
    relayed = report["relayed"]
    check(len(relayed) == 2 and all(r and r.startswith("127.0.0.1:") for r in relayed),
          "relayed addresses %r" % relayed)
    check(relayed[0] != relayed[1], "two distinct allocations: %r" % relayed)
    check_equal(report["sent"], count, "datagrams sent")
    check_equal(report["received"], count, "datagrams back on loopback")
    check_equal(report["loss_percent"], 0.0, "loss")
    rtt = report["rtt_ms"]
    check(rtt and 0 <= rtt["min"] <= rtt["median"] <= rtt["max"] < 1000, "rtt %r" % rtt)
    check(report["released"], "allocations released with Refresh lifetime 0")


def credentials():
    return ["--user", USER, "--password", PASSWORD]


def start(extra=(), tls=False):
    listens = ["udp://127.0.0.1:0", "tcp://127.0.0.1:0"] + (["tls://127.0.0.1:0"] if tls else [])
    flags = ["--user", "%s:%s" % (USER, PASSWORD)] + list(extra) + (["--cert", "auto"]
                                                                     if tls else [])
    return turn_server.start_turn(flags, listens=listens, metrics=True)


def test_udp_tcp_tls():
    with start(LOOPBACK, tls=True) as turn:
        udp = probe_json("turn:127.0.0.1:%d" % turn.port("udp"), *credentials(), expect=0)
        check_relayed(udp, "udp")
        check_equal(udp["realm"], REALM, "realm")
        tcp = probe_json("turn:127.0.0.1:%d?transport=tcp" % turn.port("tcp"), *credentials(),
                         "--count", "5", expect=0)
        check_relayed(tcp, "tcp", count=5)
        tls = probe_json("turns:127.0.0.1:%d" % turn.port("tls"), *credentials(), "--insecure",
                         "--realm", REALM, expect=0)
        check_relayed(tls, "tls")
        # Without --insecure the self-signed certificate is refused, and said so.
        bad = probe_json("turns:127.0.0.1:%d" % turn.port("tls"), *credentials(), expect=1)
        check_equal(bad["code"], "tls_handshake", "code without --insecure")
        check("--insecure" in bad["error"], "the explanation says what to do: %r" % bad["error"])
        # Text output for people, the same facts.
        text = probe("turn:127.0.0.1:%d" % turn.port("udp"), *credentials())
        check_equal(text.returncode, 0, "text mode exit code (%r)" % text.stdout)
        for needle in ("relayed 1", "relayed 2", "10/10 datagrams", "loss 0.0%", "median",
                       "released"):
            check(needle in text.stdout, "%r in text output:\n%s" % (needle, text.stdout))


def test_no_leftovers():
    with start(LOOPBACK + ["--max-allocations-per-user", "2"]) as turn:
        url = "turn:127.0.0.1:%d" % turn.port("udp")
        # With two allocations per user, a second run works only if the first released its own.
        for _ in range(3):
            check_relayed(probe_json(url, *credentials(), expect=0), "udp")


def test_password_from_environment():
    with start(LOOPBACK) as turn:
        env = dict(os.environ, RTC_PROBE_PASSWORD=PASSWORD)
        report = probe_json("turn:127.0.0.1:%d" % turn.port("udp"), "--user", USER, env=env,
                            expect=0)
        check_relayed(report, "udp")


def test_wrong_password():
    with start(LOOPBACK) as turn:
        for transport in ("udp", "tcp"):
            report = probe_json("turn:127.0.0.1:%d?transport=%s" % (turn.port(transport),
                                                                     transport),
                                "--user", USER, "--password", "not-the-password", expect=1)
            check_equal(report["code"], "wrong_credentials", "code")
            check("401" in report["error"] and USER in report["error"],
                  "explanation %r" % report["error"])
            check_equal(report["relayed"], [None, None], "no allocation")


def test_other_realm():
    with start(LOOPBACK) as turn:
        report = probe_json("turn:127.0.0.1:%d" % turn.port("udp"), *credentials(),
                            "--realm", "another.example", expect=1)
        check_equal(report["code"], "realm_mismatch", "code")
        check("realm mismatch: server says \"%s\"" % REALM in report["error"],
              "explanation %r" % report["error"])
        text = probe("turn:127.0.0.1:%d" % turn.port("udp"), *credentials(), "--realm", "x.org")
        check_equal(text.returncode, 1, "text mode exit code")
        check("realm mismatch: server says" in text.stdout, "text: %s" % text.stdout)


def test_forbidden_peer():
    with start() as turn:
        report = probe_json("turn:127.0.0.1:%d" % turn.port("udp"), *credentials(), expect=1)
        check_equal(report["code"], "forbidden", "code")
        check("403" in report["error"] and "--allow-loopback-peers" in report["error"],
              "explanation names the flag: %r" % report["error"])
        check(all(report["relayed"]), "both allocations were made: %r" % report["relayed"])
        check(report["released"], "and released after the failure")


def test_allocation_quota():
    with start(LOOPBACK + ["--max-allocations-per-user", "1"]) as turn:
        report = probe_json("turn:127.0.0.1:%d" % turn.port("udp"), *credentials(), expect=1)
        check_equal(report["code"], "allocation_quota", "code")
        check("486" in report["error"] and "--max-allocations-per-user" in report["error"],
              "explanation %r" % report["error"])
        check(report["relayed"][0] and report["relayed"][1] is None,
              "first allocation only: %r" % report["relayed"])
        check(report["released"], "the first allocation was released")
        # Released indeed: the quota of one is free again for another run.
        again = probe_json("turn:127.0.0.1:%d" % turn.port("udp"), *credentials(), expect=1)
        check_equal(again["code"], "allocation_quota",
                    "code of a second run (not 486 on the first)")
        check(again["relayed"][0], "the first allocation succeeds again")


def test_rest_secret():
    with turn_server.start_turn(["--auth-secret", SECRET] + LOOPBACK) as turn:
        url = "turn:127.0.0.1:%d" % turn.port("udp")
        check_relayed(probe_json(url, "--auth-secret", SECRET, expect=0), "udp")
        wrong = probe_json(url, "--auth-secret", "another-secret", expect=1)
        check_equal(wrong["code"], "wrong_credentials", "code with a wrong secret")
        check("--auth-secret" in wrong["error"], "explanation %r" % wrong["error"])


def test_timeout():
    port = harness.free_port("udp")
    with Process(["python3", "-c",
                  "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "s.bind(('127.0.0.1',%d))\nprint('ready',flush=True)\n"
                  "[s.recvfrom(2048) for _ in iter(int,1)]" % port]) as sink:
        sink.wait_line(lambda line: line == "ready", stream_name="stdout")
        result = probe("turn:127.0.0.1:%d" % port, *credentials(), "--json", "--timeout",
                       "500ms")
        check_equal(result.returncode, 1, "exit code")
        report = json.loads(result.stdout)
        check_equal(report["code"], "timeout", "code")
        check("UDP" in report["error"] and "blocked" in report["error"],
              "explanation %r" % report["error"])


def test_coturn():
    harness.require_program("turnserver", "coturn")
    port = harness.free_port_block(count=2, kinds=("udp", "tcp"))
    argv = ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            "--listening-port=%d" % port, "--lt-cred-mech", "--user=%s:%s" % (USER, PASSWORD),
            "--realm=%s" % REALM, "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
            "--log-file=stdout", "--simple-log",
            "--pidfile=%s" % os.path.join(harness.temp_dir(), "turnserver.pid")]
    with Process(argv):
        harness.wait_udp_stun("127.0.0.1", port)
        for transport in ("udp", "tcp"):
            report = probe_json("turn:127.0.0.1:%d?transport=%s" % (port, transport),
                                *credentials(), "--realm", REALM, expect=0)
            check_relayed(report, transport)
        wrong = probe_json("turn:127.0.0.1:%d" % port, "--user", USER, "--password", "nope",
                           expect=1)
        check_equal(wrong["code"], "wrong_credentials", "coturn: wrong password")


def test_usage_errors():
    for args, needle in (
        (["stun:127.0.0.1", "--user", "u", "--password", "p"], "TURN"),
        (["turn:127.0.0.1"], "credentials"),
        (["turns:127.0.0.1?transport=udp", "--user", "u", "--password", "p"], "DTLS"),
        (["turn:127.0.0.1", "--auth-secret", "s", "--password", "p"], "--auth-secret"),
        (["turn:127.0.0.1", "--user", "u", "--password", "p", "--count", "0"], "--count"),
    ):
        result = probe(*args, env={k: v for k, v in os.environ.items()
                                   if k != "RTC_PROBE_PASSWORD"})
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        what = "rtc-probe turn %s" % " ".join(args)
        check_equal(result.returncode, 2, "%s exit code (stderr %r)" % (what, result.stderr))
        check(len(lines) == 1 and lines[0].startswith("rtc-probe: ") and needle in lines[0],
              "%s: expected one line naming %r, got %r" % (what, needle, lines))


if __name__ == "__main__":
    harness.main({
        "udp_tcp_tls": test_udp_tcp_tls,
        "no_leftovers": test_no_leftovers,
        "password_from_environment": test_password_from_environment,
        "wrong_password": test_wrong_password,
        "other_realm": test_other_realm,
        "forbidden_peer": test_forbidden_peer,
        "allocation_quota": test_allocation_quota,
        "rest_secret": test_rest_secret,
        "timeout": test_timeout,
        "coturn": test_coturn,
        "usage_errors": test_usage_errors,
    })
