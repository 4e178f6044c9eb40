#!/usr/bin/python3
"""The NAT lab: every router personality x every NAT-type client x two RFC 5780 servers.

For each personality (personalities.py) the router namespace is made anew, then, from the
client namespace, against rtc-stun (203.0.113.10:3478, alternate 203.0.113.11:3479) and against
coturn (203.0.113.10:3480, alternate 203.0.113.11:3481):
- labcheck.py, the lab's control, must find the documented behaviour (else the lab is broken);
- rtc-probe nat must give the expected verdict: exit code, mapping, filtering, RFC 3489 label,
  hairpinning (--hairpin) and, against rtc-stun, the binding lifetime (--lifetime);
- turnutils_natdiscovery and `stun` run as the comparison; their verdicts are logged only.
A verdict table (personality x client) and rtc-probe's wall time per verdict end the log.

    natlab_test.py [--rtc-probe PATH] [--require-rtc-probe] [--personality NAME]...
                   [--verbose] [--report FILE] [--strict-time]

Needs root, iproute2, nftables, coturn and stun-client. Exit 0 passed, 1 failed, 77 skipped
(not root, or a program missing outside CI). A missing rtc-probe skips only its columns, unless
--require-rtc-probe is given, or CI is set and --rtc-probe names it (CMake names it once the
target exists).
"""

import argparse
import concurrent.futures
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness import Process, Skip, TestFailure  # noqa: E402
import personalities  # noqa: E402
import runners  # noqa: E402
import topology  # noqa: E402
from topology import SERVER_ALT_IP, SERVER_IP  # noqa: E402

SERVERS = {  # column name -> the primary address the clients are given
    "rtc-stun": "%s:3478" % SERVER_IP,
    "coturn": "%s:3480" % SERVER_IP,
}
LABCHECK = os.path.join(HERE, "labcheck.py")
PYTHON = sys.executable or "/usr/bin/python3"

TIME_GOAL = 1.0  # seconds per rtc-probe verdict (issue 6 "Goals")
TIME_LIMIT = 5.0  # beyond this a verdict fails even without --strict-time
LIFETIME_IDLES = (3, 7)  # labcheck: alive after 3 s idle, gone after 7 s (5 s lifetime)
LIFETIME_RANGE = (3.5, 6.0)  # rtc-probe's "longest idle time seen alive" for a 5 s lifetime
LIFETIME_MAX = "20s"


# ---------------------------------------------------------------------------------------------
# Servers


def start_servers(lab, rtc_stun):
    """rtc-stun and coturn in RFC 5780 mode on both server addresses, inside `inet`."""
    stun = Process(lab.exec_argv(lab.inet, [
        rtc_stun, "--listen", "udp://%s:3478" % SERVER_IP, "--alt-address", SERVER_ALT_IP,
        "--log-format", "json"]))
    stun.wait_json(lambda r: r.get("msg") == "listening")
    pidfile = os.path.join(harness.temp_dir(), "turnserver.pid")
    coturn = Process(lab.exec_argv(lab.inet, [
        "turnserver", "-n", "--stun-only", "--no-cli", "--no-tls", "--no-dtls",
        "--log-file=stdout", "--simple-log", "--pidfile=" + pidfile,
        "--listening-ip=" + SERVER_IP, "--listening-ip=" + SERVER_ALT_IP,
        "--listening-port=3480", "--alt-listening-port=3481"]))
    endpoints = ["%s:%d" % (host, port) for host in (SERVER_IP, SERVER_ALT_IP)
                 for port in (3478, 3479, 3480, 3481)]
    result, _ = runners.run_in(lab, lab.inet, [PYTHON, LABCHECK, "wait"] + endpoints, timeout=20)
    harness.check(result is not None and result.returncode == 0,
                  "servers not answering in the lab: %s\nrtc-stun:\n%s\ncoturn:\n%s"
                  % (result.stdout if result else "timed out", stun.output(),
                     coturn.output()[-3000:]))
    return {"rtc-stun": stun, "coturn": coturn}


# ---------------------------------------------------------------------------------------------
# Comparing verdicts


def differences(verdict, expected, check_hairpin):
    """What in `verdict` differs from `expected` (empty when it is right)."""
    if verdict.error:
        return ["no verdict: %s" % verdict.error]
    wrong = []
    pairs = [("mapping", expected.mapping), ("filtering", expected.filtering),
             ("rfc3489", expected.rfc3489)]
    if expected.mapping is None:  # UDP blocked: only the label matters
        pairs = [("rfc3489", expected.rfc3489)]
    if check_hairpin and expected.hairpin is not None:
        pairs.append(("hairpin", expected.hairpin))
    for field, want in pairs:
        got = getattr(verdict, field)
        if got != want:
            wrong.append("%s %r, expected %r" % (field, got, want))
    return wrong


class LabRun:
    def __init__(self, args, probe):
        self.args = args
        self.probe = probe  # path, or None when rtc-probe's columns are skipped
        self.failures = []
        self.rows = []  # (personality, {column: cell text})
        self.timings = []  # (personality, server, seconds, elapsed_ms reported)
        self.records = []  # everything, for --report

    def fail(self, personality, message):
        line = "%s: %s" % (personality.name, message)
        self.failures.append(line)
        print("  FAIL " + line, flush=True)

    def log_verdict(self, personality, column, verdict, wrong, asserted):
        mark = "ok" if not wrong else ("WRONG" if asserted else "differs")
        print("  %-24s %-14s %-7s %5.2f s  %s" % (column, verdict.short(), mark,
                                                 verdict.elapsed or 0.0, "; ".join(wrong)),
              flush=True)
        summary = getattr(verdict, "summary", "")
        if summary:
            print("  %-24s   stun says: %s" % ("", summary))
        if (wrong or self.args.verbose) and verdict.log:
            print("    | " + "\n    | ".join(verdict.log.strip().splitlines()[-60:]))
        record = verdict.as_dict()
        record.update(personality=personality.name, column=column, wrong=wrong)
        self.records.append(record)
        cell = verdict.short() + ("" if not wrong else " (x)")
        if verdict.tool == "stun":
            cell = (verdict.rfc3489 or "error") + ("" if not wrong else " (x)")
        return cell

    # -- one personality ----------------------------------------------------------------------

    def run_personality(self, lab, personality, servers):
        expected = personality.expected
        print("\n== %s: %s" % (personality.name, personality.summary), flush=True)
        print("   expected: mapping %s, filtering %s, RFC 3489 %s, hairpin %s%s"
              % (expected.mapping, expected.filtering, expected.rfc3489, expected.hairpin,
                 ", lifetime %g s" % expected.lifetime if expected.lifetime else ""))
        print("   how: %s" % personality.notes)
        lab.set_router(personality.ruleset, personality.wan_addresses, personality.sysctls,
                       personality.inet_routes)
        for key, value in personality.sysctls:
            harness.check_equal(lab.read_sysctl(lab.router, key), value, key)
        cells = {"expected": "%s/%s" % (runners.ABBREVIATIONS[expected.mapping],
                                        runners.ABBREVIATIONS[expected.filtering])
                 if expected.mapping else "blocked"}
        for name, server in SERVERS.items():
            self.labcheck(personality, name, server, cells)
        for name, server in SERVERS.items():
            self.rtc_probe(personality, name, server, cells)
        self.anchors(lab, personality, cells)
        for name, process in servers.items():
            if not process.alive():
                self.fail(personality, "%s exited (%s):\n%s"
                          % (name, process.popen.returncode, process.output()[-2000:]))
                raise TestFailure("%s died during %s" % (name, personality.name))
        self.rows.append((personality, cells))

    def labcheck(self, personality, name, server, cells):
        expected = personality.expected
        lifetime = LIFETIME_IDLES if expected.lifetime and name == "rtc-stun" else None
        verdict = runners.labcheck(self.lab, PYTHON, LABCHECK, server, hairpin=True,
                                   lifetime=lifetime)
        wrong = differences(verdict, expected, check_hairpin=True)
        if lifetime and not verdict.error:
            alive = verdict.lifetime_alive or {}
            want = {"%g" % LIFETIME_IDLES[0]: True, "%g" % LIFETIME_IDLES[1]: False}
            if alive != want:
                wrong.append("binding alive after idle %r, expected %r" % (alive, want))
        column = "labcheck@" + name
        cells[column] = self.log_verdict(personality, column, verdict, wrong, asserted=True)
        if wrong:
            self.fail(personality, "the lab itself is wrong (%s): %s" % (column, "; ".join(wrong)))

    def rtc_probe(self, personality, name, server, cells):
        column = "rtc-probe@" + name
        if self.probe is None:
            cells[column] = "skipped"
            return
        expected = personality.expected
        verdict = runners.rtc_probe(self.lab, self.probe, server)
        wrong = differences(verdict, expected, check_hairpin=False)
        if verdict.exit_code != expected.exit_code:
            wrong.append("exit code %s, expected %d" % (verdict.exit_code, expected.exit_code))
        reported = getattr(verdict, "report", {}).get("elapsed_ms")
        if expected.mapping is not None and not verdict.error:
            self.timings.append((personality.name, name, verdict.elapsed, reported))
            if verdict.elapsed > TIME_LIMIT or (self.args.strict_time
                                                and verdict.elapsed > TIME_GOAL):
                wrong.append("took %.2f s (goal %.1f s, limit %.1f s)"
                             % (verdict.elapsed, TIME_GOAL, TIME_LIMIT))
        cell = self.log_verdict(personality, column, verdict, wrong, asserted=True)
        if wrong:
            self.fail(personality, "%s: %s" % (column, "; ".join(wrong)))
        # Opt-in measurements, each its own run so the verdict's time above stays clean.
        if expected.hairpin is not None:
            extra = runners.rtc_probe(self.lab, self.probe, server, ["--hairpin"])
            if extra.error or extra.hairpin != expected.hairpin:
                self.fail(personality, "%s --hairpin: hairpin %r, expected %r %s"
                          % (column, extra.hairpin, expected.hairpin, extra.error or
                             extra.log[-1500:]))
            else:
                print("  %-24s hairpin %s ok (%.2f s)" % (column + " --hairpin", extra.hairpin,
                                                          extra.elapsed))
            cell += " hp" if extra.hairpin else ""
        if expected.lifetime and name == "rtc-stun":
            extra = runners.rtc_probe(self.lab, self.probe, server,
                                      ["--lifetime", "--lifetime-max", LIFETIME_MAX])
            low, high = LIFETIME_RANGE
            if extra.error or extra.lifetime is None or not low <= extra.lifetime <= high:
                self.fail(personality, "%s --lifetime: %r s, expected %g..%g s %s"
                          % (column, extra.lifetime, low, high, extra.error or
                             extra.log[-1500:]))
            else:
                print("  %-24s lifetime %.1f s ok (%.1f s)" % (column + " --lifetime",
                                                              extra.lifetime, extra.elapsed))
            cell += " %.1fs" % extra.lifetime if extra.lifetime is not None else ""
        cells[column] = cell

    def anchors(self, lab, personality, cells):
        """Both anchors against both servers side by side (they mostly wait on timeouts); each
        runs from its own sockets, so their bindings do not meet in the router."""
        expected = personality.expected
        jobs = [(tool, run, name, server) for tool, run in
                (("natdiscovery", runners.natdiscovery), ("stun", runners.stun_client))
                for name, server in SERVERS.items()]
        lifetime_jobs = []
        if expected.lifetime:
            lifetime_jobs = [(seconds, SERVERS["rtc-stun"]) for seconds in LIFETIME_IDLES]
        with concurrent.futures.ThreadPoolExecutor(len(jobs) + len(lifetime_jobs)) as pool:
            futures = [pool.submit(run, lab, server) for _, run, _, server in jobs]
            lifetime_futures = [pool.submit(runners.natdiscovery_lifetime, lab, server, seconds)
                                for seconds, server in lifetime_jobs]
        for (tool, _, name, _), future in zip(jobs, futures):
            verdict = future.result()
            if tool == "stun":
                wrong = differences(verdict, personalities.Expected(
                    None, None, expected.rfc3489, expected.hairpin), check_hairpin=True)
            else:
                wrong = differences(verdict, expected, check_hairpin=True)
            column = "%s@%s" % (tool, name)
            cells[column] = self.log_verdict(personality, column, verdict, wrong,
                                             asserted=False)
        for (seconds, server), future in zip(lifetime_jobs, lifetime_futures):
            alive, text = future.result()
            print("  natdiscovery -t -T %d @rtc-stun: binding %s" % (
                seconds, {True: "alive", False: "gone", None: "?"}[alive]))
            if self.args.verbose:
                print("    | " + "\n    | ".join(text.strip().splitlines()))

    # -- all ------------------------------------------------------------------------------

    def run(self, chosen):
        topology.reap_stale()
        with topology.Lab() as lab:
            self.lab = lab
            servers = start_servers(lab, self.args.rtc_stun)
            for personality in chosen:
                try:
                    self.run_personality(lab, personality, servers)
                except (TestFailure, topology.LabError) as e:
                    self.fail(personality, str(e))
                    if not all(p.alive() for p in servers.values()):
                        break
        self.print_tables()

    def print_tables(self):
        columns = ["expected"]
        for name in SERVERS:
            columns.append("labcheck@" + name)
        for name in SERVERS:
            columns.append("rtc-probe@" + name)
        for tool in ("natdiscovery", "stun"):
            for name in SERVERS:
                columns.append("%s@%s" % (tool, name))
        print("\nVerdict table (mapping/filtering: EI endpoint-independent, AD address-dependent,"
              " APD address-and-port-dependent; stun: its RFC 3489 label; (x) wrong; hp: "
              "hairpins; Ns: binding lifetime)")
        print(markdown_table(["personality"] + columns,
                             [[p.name] + [cells.get(c, "") for c in columns]
                              for p, cells in self.rows]))
        if self.timings:
            print("\nrtc-probe wall time per verdict (goal < %.1f s):" % TIME_GOAL)
            rows = [[p, s, "%.3f" % t, "%s" % (r if r is not None else "-"),
                     "yes" if t < TIME_GOAL else "NO"] for p, s, t, r in self.timings]
            print(markdown_table(["personality", "server", "wall s", "elapsed_ms (json)",
                                  "< goal"], rows))


def markdown_table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["| " + " | ".join(str(x).ljust(w) for x, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Entry


def prerequisites():
    if os.geteuid() != 0:
        message = "the NAT lab needs root (network namespaces, nftables)"
        if harness.in_ci():
            raise TestFailure(message + " and CI is set")
        raise Skip(message)
    harness.require_program("ip", "iproute2")
    harness.require_program("nft", "nftables")
    harness.require_program("turnserver", "coturn")
    harness.require_program("turnutils_natdiscovery", "coturn")
    harness.require_program("stun", "stun-client")


def find_probe(args):
    path = args.rtc_probe or os.path.join(harness.build_dir(), "tools", "rtc-probe", "rtc-probe")
    if os.access(path, os.X_OK):
        return path
    message = "rtc-probe is not built (expected at %s)" % path
    # CMake names the binary only once the target exists: under CI it must then be there.
    if args.require_rtc_probe or (args.rtc_probe and harness.in_ci()):
        raise TestFailure(message + (" and CI is set" if harness.in_ci() else ""))
    print("SKIP rtc-probe columns: %s; the lab's control and the anchors still run" % message,
          flush=True)
    return None


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtc-probe", help="rtc-probe to test (default: the build tree's)")
    parser.add_argument("--require-rtc-probe", action="store_true",
                        help="fail, not skip its columns, when rtc-probe is missing")
    parser.add_argument("--rtc-stun", help="rtc-stun to serve (default: the build tree's)")
    parser.add_argument("--personality", action="append", choices=sorted(personalities.BY_NAME),
                        help="run only these (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every client's output")
    parser.add_argument("--report", help="write every verdict as JSON to this file")
    parser.add_argument("--strict-time", action="store_true",
                        help="fail an rtc-probe verdict slower than %.1f s" % TIME_GOAL)
    return parser.parse_args()


def _stop(signum, frame):
    raise SystemExit("stopped by signal %d" % signum)  # unwinds through the lab's teardown


def main():
    args = parse_args()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    started = time.monotonic()
    try:
        prerequisites()
        args.rtc_stun = args.rtc_stun or harness.tool_path("rtc-stun")
        probe = find_probe(args)
        chosen = [personalities.BY_NAME[n] for n in args.personality] if args.personality \
            else personalities.PERSONALITIES
        lab_run = LabRun(args, probe)
        lab_run.run(chosen)
    except Skip as e:
        print("SKIP natlab: %s" % e)
        return harness.SKIP_CODE
    except TestFailure as e:
        print("FAIL natlab: %s" % e)
        return 1
    if args.report:
        with open(args.report, "w") as f:
            json.dump(lab_run.records, f, indent=1)
    elapsed = time.monotonic() - started
    if lab_run.failures:
        print("\nFAIL natlab (%.0f s): %d failure(s):\n  %s"
              % (elapsed, len(lab_run.failures), "\n  ".join(lab_run.failures)))
        return 1
    print("\nPASS natlab (%.0f s)%s" % (elapsed, "" if probe else
                                         " — rtc-probe's columns skipped: not built"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
