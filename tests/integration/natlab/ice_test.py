#!/usr/bin/python3
"""rtc-probe ice across two NATs (issue 6): two agents, each behind its own router, connect
directly when the NATs allow it and through rtc-turn when they do not.

    client  192.0.2.2 -- [router A] 198.51.100.2 --\\
                                                     inet: rtc-stun 203.0.113.10:3478 (UDP)
    client2 192.0.2.3 -- [router B] 198.18.0.2 ----/       rtc-turn 203.0.113.10:3490 (UDP, TCP)

For each case the two routers are made anew with a personality each (personalities.py), then
`rtc-probe ice --json` runs in both client namespaces with the STUN and TURN servers given. The
descriptions travel either through pipes (the test relays each agent's standard output to the
other's standard input) or, as a user would do it, through rtc-signal running in inet: each
agent runs under `rtc-signal join ws://203.0.113.10:8080/ROOM --exec "rtc-probe ice
--signal-json ..."` in its client namespace, over TCP through its NAT. Asserted per case: both
exit codes, "connected" or "failed", and which kind of pair won:
- direct: no relayed candidate on either side of either selected pair, and the remote candidate
  is the peer's server-reflexive or peer-reflexive address (the path crosses both NATs);
- relay: a relayed candidate on both agents' selected pairs (the path goes through rtc-turn);
- failed: both agents exit 1 with "failed", and a blocked agent's notes say its STUN and TURN
  servers gave nothing (no case expects this now; kept for cases to come).
An agent behind a router that blocks UDP is given its TURN server as `turn:...?transport=tcp`
(RFC 8656 over TCP to rtc-turn; the relayed address is still UDP), so it connects through the
relay: its case expects "relay".
rtc-turn keeps its default quota of 20 allocations per user while the cases make 24 in all:
every agent must delete its allocation when it is done.

    ice_test.py [--rtc-probe PATH] [--case A+B]... [--verbose]

Needs root and iproute2, nftables. Exit 0 passed, 1 failed, 77 skipped (not root, or a program
missing outside CI).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

import agent_pipes  # noqa: E402
import harness  # noqa: E402
from harness import Process, Skip, TestFailure  # noqa: E402
import personalities  # noqa: E402
import runners  # noqa: E402
import topology  # noqa: E402
from topology import SERVER_IP  # noqa: E402

STUN_PORT = 3478
TURN_PORT = 3490
SIGNAL_PORT = 8080
TURN_USER, TURN_PASSWORD, TURN_REALM = "natlab", "natlab-secret", "natlab.test"
LABCHECK = os.path.join(HERE, "labcheck.py")
PYTHON = sys.executable or "/usr/bin/python3"
ICE_TIMEOUT = "6s"  # each agent's --timeout (gathering is at most a third of it)
RUN_TIMEOUT = 20  # seconds for both agents, a bound on a hung process

DIRECT, RELAY, FAILED = "direct", "relay", "failed"
PIPES, SIGNAL = "pipes", "rtc-signal"

# (personality of router A, personality of router B, the outcome they must give, how the
# descriptions travel). The cases first; then every other NAT kind facing itself.
CASES = [
    ("port-restricted", "port-restricted", DIRECT, PIPES),
    ("symmetric-random", "symmetric-random", RELAY, PIPES),
    ("full-cone", "symmetric-random", DIRECT, PIPES),
    ("udp-blocked", "port-restricted", RELAY, PIPES),
    ("port-restricted", "symmetric-random", RELAY, PIPES),
    ("address-restricted", "symmetric-random", DIRECT, PIPES),
    ("symmetric-blocks", "symmetric-blocks", RELAY, PIPES),
    ("address-dependent", "address-dependent", DIRECT, PIPES),
    ("full-cone", "full-cone", DIRECT, PIPES),
    ("address-restricted", "address-restricted", DIRECT, PIPES),
    ("port-restricted", "port-restricted", DIRECT, SIGNAL),
    ("symmetric-random", "symmetric-random", RELAY, SIGNAL),
]


def case_name(case):
    return "%s+%s%s" % (case[0], case[1], "" if case[3] == PIPES else "@" + case[3])


# ---------------------------------------------------------------------------------------------
# Servers


def start_servers(lab):
    """rtc-stun and rtc-turn in `inet`; the lab's public ranges are allowed as TURN peers (they
    are documentation and benchmarking ranges, denied by default)."""
    stun = Process(lab.exec_argv(lab.inet, [
        harness.tool_path("rtc-stun"), "--listen", "udp://%s:%d" % (SERVER_IP, STUN_PORT),
        "--log-format", "json"]))
    stun.wait_json(lambda r: r.get("msg") == "listening")
    turn_argv = [harness.tool_path("rtc-turn"), "--realm", TURN_REALM, "--threads", "1",
                 "--user", "%s:%s" % (TURN_USER, TURN_PASSWORD), "--relay-ip", SERVER_IP,
                 "--log-format", "json"]
    for scheme in ("udp", "tcp"):
        turn_argv += ["--listen", "%s://%s:%d" % (scheme, SERVER_IP, TURN_PORT)]
    for prefix in (topology.WAN_NET, topology.WAN2_NET, topology.SERVER_NET):
        turn_argv += ["--allow-peer", prefix]
    turn = Process(lab.exec_argv(lab.inet, turn_argv))
    turn.wait_json(lambda r: r.get("msg") == "listening", count=2)
    endpoints = ["%s:%d" % (SERVER_IP, port) for port in (STUN_PORT, TURN_PORT)]
    result, _ = runners.run_in(lab, lab.inet, [PYTHON, LABCHECK, "wait"] + endpoints, timeout=20)
    harness.check(result is not None and result.returncode == 0,
                  "servers not answering in the lab: %s\nrtc-stun:\n%s\nrtc-turn:\n%s"
                  % (result.stdout if result else "timed out", stun.output(),
                     turn.output()[-3000:]))
    signal = Process(lab.exec_argv(lab.inet, [
        _built("rtc-signal"), "--listen", "http://%s:%d" % (SERVER_IP, SIGNAL_PORT),
        "--log-format", "json"]))
    signal.wait_json(lambda r: r.get("msg") == "listening")
    return {"rtc-stun": stun, "rtc-turn": turn, "rtc-signal": signal}


# ---------------------------------------------------------------------------------------------
# Two agents, each one's stdout relayed to the other's stdin


def agent_argv(probe, role, turn_tcp=False):
    return [probe, "ice", "--json", "--timeout", ICE_TIMEOUT,
            "--stun", "stun:%s:%d" % (SERVER_IP, STUN_PORT),
            "--turn", "turn:%s:%d%s" % (SERVER_IP, TURN_PORT,
                                        "?transport=tcp" if turn_tcp else ""),
            "--user", TURN_USER, "--password", TURN_PASSWORD, "--" + role]


def run_agents(lab, probe, turn_tcp=(False, False)):
    """Runs the controlling agent in client and the controlled one in client2 (each with TURN
    over TCP when its turn_tcp is true); returns, per agent, (exit code or None, stdout lines,
    stderr)."""
    argvs = [lab.exec_argv(lab.client, agent_argv(probe, "controlling", turn_tcp[0])),
             lab.exec_argv(lab.client2, agent_argv(probe, "controlled", turn_tcp[1]))]
    return agent_pipes.pipe_two(argvs, RUN_TIMEOUT)


def run_signaled(lab, probe, room):
    """Both agents under `rtc-signal join --exec` (a message reaches only the peers present:
    an agent told that the other joined writes its description again); returns what run_agents
    returns, with the agent's result (on stderr with --signal-json) as the last stdout line."""
    procs = []
    for namespace, role, peer_id in ((lab.client, "controlling", "a"),
                                     (lab.client2, "controlled", "b")):
        command = " ".join(agent_argv(probe, role) + ["--signal-json"])
        argv = [_built("rtc-signal"), "--log-format", "json", "join",
                "ws://%s:%d/%s" % (SERVER_IP, SIGNAL_PORT, room), "--id", peer_id,
                "--timeout", "5s", "--exec", command]
        procs.append(subprocess.Popen(lab.exec_argv(namespace, argv), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True))
    results = []
    deadline = time.monotonic() + RUN_TIMEOUT
    for p in procs:
        try:
            _, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            code = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            code = None
        reports = [line for line in err.splitlines() if line.startswith("{") and
                   '"result"' in line and '"version"' in line]
        # The description went to the room: a placeholder keeps read_report's shape.
        results.append((code, ["{}\n"] + reports[-1:], err))
    return results


def read_report(result, who):
    code, lines, err = result
    harness.check(code is not None, "%s did not exit within %d s" % (who, RUN_TIMEOUT))
    harness.check(len(lines) >= 2, "%s printed %d lines (exit %s, stderr: %s)"
                  % (who, len(lines), code, err.strip()[-500:]))
    description = json.loads(lines[0])
    report = json.loads(lines[-1])
    harness.check_equal(report.get("version"), 1, who + " report version")
    return code, description, report


def pair_text(report):
    selected = report.get("selected")
    if not selected:
        return "-"
    return "%s %s -> %s %s" % (selected["local"]["type"], selected["local"]["address"],
                               selected["remote"]["type"], selected["remote"]["address"])


def check_outcome(expected, reports, blocked_side):
    """What in the two (exit code, description, report) differs from `expected`."""
    wrong = []
    for who, (code, _, report) in zip(("A", "B"), reports):
        want_code, want_result = (1, "failed") if expected == FAILED else (0, "connected")
        if code != want_code or report.get("result") != want_result:
            wrong.append("%s: exit %s, %s (expected %d, %s)" % (who, code, report.get("result"),
                                                              want_code, want_result))
            continue
        if expected == FAILED:
            continue
        types = (report["selected"]["local"]["type"], report["selected"]["remote"]["type"])
        if expected == DIRECT and ("relay" in types or types[1] not in ("srflx", "prflx")):
            wrong.append("%s: pair %s, expected a direct one to the peer's srflx/prflx address"
                         % (who, pair_text(report)))
        if expected == RELAY and "relay" not in types:
            wrong.append("%s: pair %s, expected one through the TURN relay"
                         % (who, pair_text(report)))
    if expected == FAILED and blocked_side is not None and not wrong:
        notes = " ".join(reports[blocked_side][2].get("notes", []))
        if "STUN" not in notes or "TURN" not in notes:
            wrong.append("%s's notes do not say why STUN and TURN gave nothing: %r"
                         % ("AB"[blocked_side], notes))
    return wrong


# ---------------------------------------------------------------------------------------------
# The run


class IceRun:
    def __init__(self, args, probe):
        self.args = args
        self.probe = probe
        self.failures = []
        self.rows = []
        self.rooms = 0

    def run_case(self, lab, case, servers):
        name_a, name_b, expected, via = case
        print("\n== %s: expected %s" % (case_name(case), expected), flush=True)
        lab.set_router(**personalities.router_args(personalities.BY_NAME[name_a], side=0))
        lab.set_router(**personalities.router_args(personalities.BY_NAME[name_b], side=1))
        started = time.monotonic()
        if via == SIGNAL:
            self.rooms += 1
            results = run_signaled(lab, self.probe, "natlab%d" % self.rooms)
        else:
            # UDP is blocked: only TURN over TCP can give that agent a candidate.
            results = run_agents(lab, self.probe,
                                 tuple(n == "udp-blocked" for n in (name_a, name_b)))
        elapsed = time.monotonic() - started
        try:
            reports = [read_report(r, who) for r, who in zip(results, ("A", "B"))]
            blocked = [i for i, n in enumerate((name_a, name_b)) if n == "udp-blocked"]
            wrong = check_outcome(expected, reports, blocked[0] if blocked else None)
        except (TestFailure, ValueError) as e:
            reports, wrong = None, ["no result: %s" % e]
        cells = []
        for who, result in zip(("A", "B"), results):
            report = {}
            if reports:
                report = reports["AB".index(who)][2]
            cells.append(pair_text(report) if report.get("selected") else
                         (report.get("result") or "error"))
            print("  %s: exit %s, %s, %s, %s ms" % (who, result[0], report.get("result"),
                                                   pair_text(report), report.get("elapsed_ms")),
                  flush=True)
            if wrong or self.args.verbose:
                for note in report.get("notes", []):
                    print("     note: %s" % note)
                print("    | " + "\n    | ".join((result[2].strip() or "(no stderr)")
                                                 .splitlines()[-30:]))
                print("    | stdout: " + "    | ".join(result[1]))
        mark = "ok" if not wrong else "WRONG"
        print("  %s (%.2f s) %s" % (mark, elapsed, "; ".join(wrong)), flush=True)
        for line in wrong:
            self.failures.append("%s: %s" % (case_name(case), line))
        self.rows.append([name_a, name_b, via, expected, cells[0], cells[1],
                          "%.2f" % elapsed, mark])
        for name, process in servers.items():
            if not process.alive():
                raise TestFailure("%s exited during %s:\n%s"
                                  % (name, case_name(case), process.output()[-2000:]))

    def run(self, cases):
        topology.reap_stale()
        with topology.Lab(sides=2) as lab:
            servers = start_servers(lab)
            for case in cases:
                try:
                    self.run_case(lab, case, servers)
                except topology.LabError as e:
                    self.failures.append("%s: %s" % (case_name(case), e))
                    print("  FAIL %s" % e, flush=True)
        print("\nICE across two NATs (A controlling in client, B controlled in client2; "
              "pairs as local -> remote)")
        print(markdown_table(["router A", "router B", "signaling", "expected", "A's pair",
                              "B's pair",
                              "s", ""], self.rows))


def markdown_table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["| " + " | ".join(str(x).ljust(w) for x, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Entry


def prerequisites(args):
    if os.geteuid() != 0:
        message = "the NAT lab needs root (network namespaces, nftables)"
        if harness.in_ci():
            raise TestFailure(message + " and CI is set")
        raise Skip(message)
    harness.require_program("ip", "iproute2")
    harness.require_program("nft", "nftables")
    probe = args.rtc_probe or _built("rtc-probe")
    for path in (_built("rtc-stun"), _built("rtc-turn"), _built("rtc-signal"), probe):
        if not os.access(path, os.X_OK):
            if harness.in_ci():
                raise TestFailure("%s is not built and CI is set" % path)
            raise Skip("%s is not built" % path)
    return probe


def _built(tool):
    return os.path.join(harness.build_dir(), "tools", tool, tool)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtc-probe", help="rtc-probe to test (default: the build tree's)")
    parser.add_argument("--case", action="append", choices=[case_name(c) for c in CASES],
                        help="run only these (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every agent's output")
    return parser.parse_args()


def _stop(signum, frame):
    raise SystemExit("stopped by signal %d" % signum)  # unwinds through the lab's teardown


def main():
    args = parse_args()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    started = time.monotonic()
    try:
        probe = prerequisites(args)
        cases = [c for c in CASES if not args.case or case_name(c) in args.case]
        ice_run = IceRun(args, probe)
        ice_run.run(cases)
    except Skip as e:
        print("SKIP natlab ice: %s" % e)
        return harness.SKIP_CODE
    except TestFailure as e:
        print("FAIL natlab ice: %s" % e)
        return 1
    elapsed = time.monotonic() - started
    if ice_run.failures:
        print("\nFAIL natlab ice (%.0f s): %d failure(s):\n  %s"
              % (elapsed, len(ice_run.failures), "\n  ".join(ice_run.failures)))
        return 1
    print("\nPASS natlab ice (%.0f s)" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
