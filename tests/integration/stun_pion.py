#!/usr/bin/python3
"""pion/stun clients (built offline from Debian's sources) against rtc-stun over UDP.

Usage: stun_pion.py [test...]; RTC_STUN_IMPL=coturn runs them against coturn instead.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_stun  # noqa: E402


def conn_client(tools, network, host, port, count=1):
    """Runs our pion-based stun-conn-client; returns its JSON answers."""
    address = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    result = harness.run([os.path.join(tools, "stun-conn-client"), "-net", network,
                          "-addr", address, "-count", str(count), "-timeout", "5s"], timeout=15)
    check_equal(result.returncode, 0,
                "stun-conn-client exit code (stderr: %s)" % result.stderr.strip())
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    check_equal(len(answers), count, "answers")
    return answers


def check_mapped_is_local(answers, transport):
    for answer in answers:
        check_equal(answer["class"], "success response", "%s response class" % transport)
        # No NAT on loopback: XOR-MAPPED-ADDRESS is the client's own socket address.
        check_equal(answer.get("mapped"), answer["local"], "%s XOR-MAPPED-ADDRESS" % transport)


def test_pion_stun_client():
    tools = harness.pion_tools()
    with start_stun(["udp://127.0.0.1:0"]) as server:
        host, port = server.endpoint("udp")
        result = harness.run([os.path.join(tools, "stun-client"), "%s:%d" % (host, port)],
                             timeout=15)
        check_equal(result.returncode, 0, "pion stun-client exit code (stderr: %s)" % result.stderr)
        match = re.fullmatch(r"(\d+\.\d+\.\d+\.\d+):(\d+)", result.stdout.strip())
        check(match is not None, "pion stun-client printed %r" % result.stdout)
        check_equal(match.group(1), "127.0.0.1", "mapped IP")
        low, high = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
        check(low <= int(match.group(2)) <= high,
              "mapped port %s outside the ephemeral range %d-%d" % (match.group(2), low, high))
        server.stop()


def test_pion_udp_exact():
    tools = harness.pion_tools()
    with start_stun(["udp://127.0.0.1:0"]) as server:
        host, port = server.endpoint("udp")
        answers = conn_client(tools, "udp4", host, port, count=3)
        check_mapped_is_local(answers, "udp")
        check(answers[0]["local"].startswith("127.0.0.1:"),
              "local address %s" % answers[0]["local"])
        server.stop()


if __name__ == "__main__":
    harness.main({
        "stun_client": test_pion_stun_client,
        "udp_exact": test_pion_udp_exact,
    })
