#!/usr/bin/python3
"""`rtc-probe nat` on loopback, where there is no NAT: against rtc-stun and coturn in RFC 5780
mode ("no NAT", exit 0, capable server, endpoint-independent filtering), against single-address
servers (capability false, filtering unknown), against a server that ignores CHANGE-REQUEST
(never endpoint-independent filtering), and against nothing (UDP blocked, exit 20). The NAT
personalities themselves are tested in the NAT lab (tests/integration/natlab).

Usage: probe_nat.py [test...]
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import probe_fake_stun  # noqa: E402
import stun_msg  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import COTURN, RTC_STUN, start_stun  # noqa: E402

EXIT_NO_NAT = 0
EXIT_UDP_BLOCKED = 20


def probe(*args, timeout=30):
    return harness.run([harness.tool_path("rtc-probe")] + list(args), timeout=timeout)


def probe_json(*args, expect):
    result = probe("nat", "--json", *args)
    check_equal(result.returncode, expect,
                "rtc-probe nat %s exit code (stdout %s, stderr %r)"
                % (" ".join(args), result.stdout, result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as e:
        raise harness.TestFailure("--json output is not JSON (%s):\n%s" % (e, result.stdout))
    check_equal(report.get("version"), 1, "JSON schema version")
    check_equal(report.get("exit_code"), expect, "exit_code field")
    return report


def check_no_nat_capable(report, other):
    check_equal(report["mapping"], "none", "mapping on loopback")
    check_equal(report["mapped"], report["local"], "mapped address equals the local one")
    check_equal(report["udp_blocked"], False, "udp_blocked")
    check_equal(report["server_capable"], True,
                "server_capable (note: %r)" % report["capability_note"])
    check_equal(report["filtering"], "endpoint-independent", "filtering on loopback")
    check_equal(report["rfc3489"], "open internet", "RFC 3489 label")
    check_equal(report["other_address"], other, "OTHER-ADDRESS")
    check_equal(report["hairpin"], None, "hairpin when not asked")
    check_equal(report["binding_lifetime_s"], None, "lifetime when not asked")
    # RFC 5780 §4.3 tests I-III: the primary, A2:P1 and A2:P2.
    check_equal(len(report["observations"]), 3, "mapping observations")
    # Everything answers on loopback: the verdict takes a few round trips, not a timeout.
    check(report["elapsed_ms"] < 1000, "verdict took %d ms" % report["elapsed_ms"])


def rfc5780_server(impl):
    return start_stun(["udp://127.0.0.1:0"], alt_address="127.0.0.2", impl=impl)


def test_rtc_stun_rfc5780():
    with rfc5780_server(RTC_STUN) as server:
        host, port = server.endpoint("udp", "127.0.0.1")
        report = probe_json("stun:%s:%d" % (host, port), expect=EXIT_NO_NAT)
        check_no_nat_capable(report, "127.0.0.2:%d" % (port + 1))
        # The text form says the same for people.
        result = probe("nat", "stun:%s:%d" % (host, port))
        check_equal(result.returncode, EXIT_NO_NAT, "text mode exit code")
        for needle in ("mapping       none", "filtering     endpoint-independent",
                       "RFC 3489      open internet", "server capable", "exit 0"):
            check(needle in result.stdout, "text output lacks %r:\n%s" % (needle, result.stdout))


def test_coturn_rfc5780():
    harness.require_program("turnserver", "coturn")
    with rfc5780_server(COTURN) as server:
        host, port = server.endpoint("udp", "127.0.0.1")
        report = probe_json("stun:%s:%d" % (host, port), expect=EXIT_NO_NAT)
        check_no_nat_capable(report, "127.0.0.2:%d" % (port + 1))
        check(report["software"] and "Coturn" in report["software"],
              "coturn's SOFTWARE: %r" % report["software"])


def check_single_address(report):
    check_equal(report["mapping"], "none", "mapping on loopback")
    check_equal(report["server_capable"], False, "server_capable of a one-address server")
    check("OTHER-ADDRESS" in report["capability_note"],
          "capability note: %r" % report["capability_note"])
    check_equal(report["filtering"], "unknown", "filtering without RFC 5780")
    check_equal(report["other_address"], None, "OTHER-ADDRESS")


def test_single_address():
    with start_stun(["udp://127.0.0.1:0"], impl=RTC_STUN) as server:
        report = probe_json("stun:%s:%d" % server.endpoint("udp"), expect=EXIT_NO_NAT)
        check_single_address(report)
    harness.require_program("turnserver", "coturn")
    with start_stun(["udp://127.0.0.1:0"], impl=COTURN) as server:
        report = probe_json("stun:%s:%d" % server.endpoint("udp"), expect=EXIT_NO_NAT)
        check_single_address(report)


def test_ignores_change_request():
    port = harness.free_port_block(("127.0.0.1", "127.0.0.2"), count=2, kinds=("udp",))
    with probe_fake_stun.change_ignoring_server(("127.0.0.1", port),
                                                ("127.0.0.2", port + 1)) as server:
        report = probe_json("stun:127.0.0.1:%d" % port, expect=EXIT_NO_NAT)
        check_equal(report["server_capable"], False, "server_capable")
        check("ignores CHANGE-REQUEST" in report["capability_note"],
              "capability note: %r" % report["capability_note"])
        # A classic client would call this "open internet" / "full cone"; we do not know.
        check_equal(report["filtering"], "unknown", "filtering")
        check(any(m.get(stun_msg.CHANGE_REQUEST) for _, _, m in server.requests),
              "rtc-probe sent no CHANGE-REQUEST")


def test_udp_blocked():
    port = harness.free_port("udp")  # nothing listens there
    started = time.monotonic()
    report = probe_json("--timeout", "1s", "stun:127.0.0.1:%d" % port, expect=EXIT_UDP_BLOCKED)
    elapsed = time.monotonic() - started
    check_equal(report["udp_blocked"], True, "udp_blocked")
    check_equal(report["rfc3489"], "udp blocked", "RFC 3489 label")
    check_equal(report["mapped"], None, "mapped address")
    check(0.9 <= elapsed < 5, "UDP blocked verdict took %.1f s with --timeout 1s" % elapsed)


def test_alt_server_and_opt_ins():
    with start_stun(["udp://127.0.0.1:0"], impl=RTC_STUN) as first, \
            start_stun(["udp://127.0.0.1:0"], impl=RTC_STUN) as second:
        report = probe_json("stun:%s:%d" % first.endpoint("udp"),
                            "--alt-server", "stun:%s:%d" % second.endpoint("udp"),
                            "--hairpin", "--lifetime", "--lifetime-max", "5s",
                            expect=EXIT_NO_NAT)
        check_equal(len(report["observations"]), 2, "observations via two servers")
        # No NAT: nothing hairpins and no binding expires; both say so instead of guessing.
        check_equal(report["hairpin"], None, "hairpin without a NAT")
        check("no NAT" in report["hairpin_note"], "hairpin note: %r" % report["hairpin_note"])
        check_equal(report["binding_lifetime_s"], None, "lifetime without a NAT")
        check("no NAT" in report["lifetime_note"], "lifetime note: %r" % report["lifetime_note"])


def test_usage_errors():
    for args, needle in (
        (["nat"], "url"),
        (["nat", "stuns:127.0.0.1"], "UDP"),
        (["nat", "stun:127.0.0.1?transport=tcp"], "UDP"),
        (["nat", "stun://127.0.0.1"], "//"),
        (["nat", "stun:127.0.0.1", "--alt-server", "bogus"], "--alt-server"),
        (["nat", "stun:127.0.0.1", "--timeout", "soon"], "--timeout"),
        (["nat", "stun:127.0.0.1", "--lifetime-max", "0"], "--lifetime-max"),
    ):
        result = probe(*args)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        what = "rtc-probe %s" % " ".join(args)
        check_equal(result.returncode, 2, "%s exit code (stderr %r)" % (what, result.stderr))
        check(len(lines) == 1 and lines[0].startswith("rtc-probe: ") and needle in lines[0],
              "%s: expected one line naming %r, got %r" % (what, needle, lines))
        check_equal(result.stdout, "", "%s stdout" % what)


def test_unresolvable_host_exits_1():
    result = probe("nat", "stun:no-such-host.invalid")
    check_equal(result.returncode, 1, "exit code (stderr %r)" % result.stderr)
    check("cannot resolve" in result.stderr, "stderr: %r" % result.stderr)


if __name__ == "__main__":
    harness.main({
        "rtc_stun_rfc5780": test_rtc_stun_rfc5780,
        "coturn_rfc5780": test_coturn_rfc5780,
        "single_address": test_single_address,
        "ignores_change_request": test_ignores_change_request,
        "udp_blocked": test_udp_blocked,
        "alt_server_and_opt_ins": test_alt_server_and_opt_ins,
        "usage_errors": test_usage_errors,
        "unresolvable_host": test_unresolvable_host_exits_1,
    })
