#!/usr/bin/python3
"""rtc-probe ice: two agents on loopback, each one's stdout relayed to the other's stdin (the
description lines and nothing else in between), then the selected pair each reports.

Usage: probe_ice.py [test...]
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import agent_pipes  # noqa: E402
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
import turn_server  # noqa: E402

RUN_TIMEOUT = 30  # seconds; each agent has --timeout 10s


def probe_argv(*flags):
    return [harness.tool_path("rtc-probe"), "ice", "--json", "--timeout", "10s"] + list(flags)


def run_two(flags_a, flags_b):
    """Runs two agents with their stdout piped into each other's stdin; returns, per agent,
    (exit code, stdout lines, stderr)."""
    return agent_pipes.pipe_two([probe_argv(*flags_a), probe_argv(*flags_b)], RUN_TIMEOUT)


def parse_run(result, who):
    """(description, report) from one agent's stdout lines."""
    code, lines, err = result
    check(len(lines) >= 2, "%s printed %d lines (stderr: %s)" % (who, len(lines), err.strip()))
    description = json.loads(lines[0])
    report = json.loads(lines[-1])
    check_equal(report.get("version"), 1, who + " report version")
    return code, description, report


def check_connected(results, local_type, remote_type):
    reports = []
    for who, result in zip(("A", "B"), results):
        code, description, report = parse_run(result, who)
        check_equal(report["result"], "connected", who + " result")
        check_equal(code, 0, who + " exit code")
        selected = report["selected"]
        check_equal(selected["local"]["type"], local_type, who + " selected local type")
        check_equal(selected["remote"]["type"], remote_type, who + " selected remote type")
        check(selected["rtt_ms"] >= 0, who + " rtt")
        reports.append((description, report))
    # Each side's selected remote is the other's selected local.
    (_, ra), (_, rb) = reports
    check_equal(ra["selected"]["remote"]["address"], rb["selected"]["local"]["address"],
                "A's remote is B's local")
    check_equal(rb["selected"]["remote"]["address"], ra["selected"]["local"]["address"],
                "B's remote is A's local")
    return reports


def test_host_pair():
    results = run_two(["--host-ip", "127.0.0.1", "--controlling"],
                      ["--host-ip", "127.0.0.1", "--controlled"])
    reports = check_connected(results, "host", "host")
    (da, ra), (db, rb) = reports
    check_equal(da["type"], "offer", "controlling agent's description type")
    check_equal(db["type"], "answer", "controlled agent's description type")
    check(da["ufrag"] != db["ufrag"], "fresh ufrags")
    check(all(c.endswith("typ host") for c in da["candidates"]), "host candidates only")
    check_equal(ra["role"], "controlling", "A's role")
    check_equal(rb["role"], "controlled", "B's role")


def test_role_conflict():
    """Both agents start controlling: RFC 8445 §7.3.1.1 leaves exactly one controlling."""
    results = run_two(["--host-ip", "127.0.0.1", "--controlling"],
                      ["--host-ip", "127.0.0.1", "--controlling"])
    reports = check_connected(results, "host", "host")
    roles = sorted(r["role"] for _, r in reports)
    check_equal(roles, ["controlled", "controlling"], "roles after the conflict")
    check(sum(r["role_switches"] for _, r in reports) >= 1, "a role switch was counted")


def test_relay_only_rtc_turn():
    """Relayed candidates only, through rtc-turn: permissions, Send and Data indications."""
    with turn_server.start_turn(extra=["--user", "%s:%s" % (turn_server.USER,
                                                            turn_server.PASSWORD),
                                       "--allow-loopback-peers"],
                                listens=("udp://127.0.0.1:0",)) as server:
        turn = "turn:127.0.0.1:%d" % server.port("udp")
        common = ["--host-ip", "127.0.0.1", "--turn", turn, "--user", turn_server.USER,
                  "--password", turn_server.PASSWORD, "--relay-only"]
        results = run_two(common + ["--controlling"], common + ["--controlled"])
        reports = check_connected(results, "relay", "relay")
        for description, _ in reports:
            check(description["candidates"] and
                  all(" typ relay " in c for c in description["candidates"]),
                  "only relay candidates offered: %r" % description["candidates"])


def test_coturn_relay_and_host():
    """Against coturn: relay-only agents select the relay pair; with host candidates too (and
    coturn as the STUN server) the host pair wins on priority."""
    harness.require_program("turnserver", "coturn")
    port = harness.free_port("udp")
    argv = ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            "--listening-port=%d" % port, "--lt-cred-mech", "--user=test:secret",
            "--realm=example.org", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
            "--log-file=stdout", "--simple-log"]
    coturn = harness.Process(argv)
    try:
        harness.wait_udp_stun("127.0.0.1", port)
        common = ["--host-ip", "127.0.0.1", "--stun", "stun:127.0.0.1:%d" % port, "--turn",
                  "turn:127.0.0.1:%d" % port, "--user", "test", "--password", "secret"]
        check_connected(run_two(common + ["--relay-only"], common + ["--relay-only",
                                                                     "--controlled"]),
                        "relay", "relay")
        reports = check_connected(run_two(common, common + ["--controlled"]), "host", "host")
        for description, _ in reports:
            types = sorted(c.rsplit(" typ ", 1)[1].split()[0] for c in description["candidates"])
            check_equal(types, ["host", "relay"], "offered candidate types")
    finally:
        coturn.kill()


def test_turn_wrong_password():
    """A refused allocation with --relay-only leaves nothing to offer: exit 1, said why."""
    with turn_server.start_turn(extra=["--user", "%s:%s" % (turn_server.USER,
                                                            turn_server.PASSWORD)],
                                listens=("udp://127.0.0.1:0",)) as server:
        result = harness.run(probe_argv("--host-ip", "127.0.0.1", "--turn",
                                        "turn:127.0.0.1:%d" % server.port("udp"), "--user",
                                        turn_server.USER, "--password", "wrong", "--relay-only"),
                             timeout=RUN_TIMEOUT, input_text="")
        check_equal(result.returncode, 1, "exit code")
        report = json.loads(result.stdout.strip().splitlines()[-1])
        check_equal(report["result"], "failed", "result")
        check(any("TURN" in n for n in report["notes"]), "a TURN note: %r" % report["notes"])


def test_stdin_closed():
    """No peer description (stdin at EOF): exit 1 at once rather than at --timeout."""
    result = harness.run(probe_argv("--host-ip", "127.0.0.1"), timeout=RUN_TIMEOUT,
                         input_text="")
    check_equal(result.returncode, 1, "exit code")
    lines = result.stdout.strip().splitlines()
    check_equal(len(lines), 2, "description and report lines")
    check_equal(json.loads(lines[1])["result"], "failed", "result")


def test_usage_errors():
    for flags, flag in ((["--relay-only"], "--relay-only"),
                        (["--turn", "turn:127.0.0.1"], "--turn"),
                        (["--stun", "turn:127.0.0.1", ], "--stun"),
                        (["--controlling", "--controlled"], "--controll"),
                        (["--host-ip", "nope"], "--host-ip")):
        result = harness.run(probe_argv(*flags), timeout=RUN_TIMEOUT, input_text="")
        check_equal(result.returncode, 2, "exit code for %r" % flags)
        check(flag in result.stderr, "%r names %s: %s" % (flags, flag, result.stderr.strip()))


if __name__ == "__main__":
    harness.main({
        "host_pair": test_host_pair,
        "role_conflict": test_role_conflict,
        "relay_only_rtc_turn": test_relay_only_rtc_turn,
        "coturn_relay_and_host": test_coturn_relay_and_host,
        "turn_wrong_password": test_turn_wrong_password,
        "stdin_closed": test_stdin_closed,
        "usage_errors": test_usage_errors,
    })
