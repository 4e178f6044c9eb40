#!/usr/bin/python3
"""coturn's STUN clients (turnutils_stunclient, turnutils_natdiscovery) against rtc-stun.

Usage: stun_turnutils.py [test...]; RTC_STUN_IMPL=coturn runs them against coturn instead.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_stun  # noqa: E402

ADDR = r"(\d+\.\d+\.\d+\.\d+):(\d+)"


def addresses(pattern, text):
    return [(ip, int(port)) for ip, port in re.findall(pattern + ADDR, text)]


def sections(text):
    """turnutils prints one 'RFC 5780 response N' block per answer."""
    return re.split(r"RFC 5780 response \d+", text)[1:]


def test_stunclient_plain():
    stunclient = harness.require_program("turnutils_stunclient", "coturn")
    with start_stun(["udp://127.0.0.1:0"]) as server:
        host, port = server.endpoint("udp")
        result = harness.run([stunclient, "-p", str(port), host], timeout=20)
        check_equal(result.returncode, 0, "turnutils_stunclient exit code")
        mapped = addresses(r"UDP reflexive addr: ", result.stdout)
        check(len(mapped) >= 1, "no reflexive address printed:\n" + result.stdout)
        for ip, mapped_port in mapped:
            check_equal(ip, "127.0.0.1", "mapped IP")
            # One socket: every answer maps to the same client port.
            check_equal(mapped_port, mapped[0][1], "mapped port")
        check(1024 <= mapped[0][1] <= 65535, "mapped port %d not ephemeral" % mapped[0][1])
        # One address only: no RFC 5780 alternate to advertise.
        check("Other addr" not in result.stdout, "OTHER-ADDRESS without --alt-address")
        server.stop()


def test_stunclient_rfc5780():
    stunclient = harness.require_program("turnutils_stunclient", "coturn")
    with start_stun(["udp://127.0.0.1:0"], alt_address="127.0.0.2") as server:
        host, port = server.endpoint("udp", "127.0.0.1")
        result = harness.run([stunclient, "-p", str(port), host], timeout=20)
        check_equal(result.returncode, 0, "turnutils_stunclient exit code")
        blocks = sections(result.stdout)
        check(len(blocks) >= 2, "expected RFC 5780 responses 1 and 2:\n" + result.stdout)
        for block in blocks:
            check_equal(addresses(r"Other addr: : ", block)[:1], [("127.0.0.2", port + 1)],
                        "OTHER-ADDRESS (RFC 5780 §7.4)")
            mapped = addresses(r"UDP reflexive addr: ", block)
            check(mapped and mapped[0][0] == "127.0.0.1", "mapped address in:\n" + block)
        # Response 1 answers a plain Binding from the primary address; response 2 answers
        # CHANGE-REQUEST(change IP and port) from the other one (RFC 5780 §6.1). The first
        # request is a bare 20-byte header: rtc-stun's anti-amplification budget may leave
        # RESPONSE-ORIGIN out of that answer, but a RESPONSE-ORIGIN it sends must be right.
        origin = addresses(r"Response origin: : ", blocks[0])
        check(origin[:1] in ([], [("127.0.0.1", port)]), "RESPONSE-ORIGIN of the plain "
              "request: %r, expected 127.0.0.1:%d" % (origin[:1], port))
        check_equal(addresses(r"Response origin: : ", blocks[1])[:1], [("127.0.0.2", port + 1)],
                    "RESPONSE-ORIGIN after change IP+port")
        check_equal(addresses(r"UDP reflexive addr: ", blocks[1])[0],
                    addresses(r"UDP reflexive addr: ", blocks[0])[0],
                    "mapping seen by both server addresses")
        server.stop()


def test_natdiscovery():
    natdiscovery = harness.require_program("turnutils_natdiscovery", "coturn")
    with start_stun(["udp://127.0.0.1:0"], alt_address="127.0.0.2") as server:
        host, port = server.endpoint("udp", "127.0.0.1")
        local_port = harness.free_port("udp", "127.0.0.1")
        result = harness.run(
            [natdiscovery, "-m", "-f", "-L", "127.0.0.1", "-l", str(local_port), "-p", str(port),
             host],
            timeout=30,
        )
        check_equal(result.returncode, 0, "turnutils_natdiscovery exit code")
        out = result.stdout
        check("NAT with Endpoint Independent Mapping!" in out, "mapping verdict:\n" + out)
        check("NAT with Endpoint Independent Filtering!" in out, "filtering verdict:\n" + out)
        mapped = addresses(r"UDP reflexive addr: ", out)
        local = addresses(r"Local addr: : ", out)
        check(len(mapped) >= 4 and len(mapped) == len(local), "answers printed:\n" + out)
        check_equal(mapped[0], ("127.0.0.1", local_port), "first mapped address")
        check_equal(mapped, local, "mapped addresses equal the local ones (no NAT on loopback)")
        server.stop()


if __name__ == "__main__":
    harness.main({
        "stunclient_plain": test_stunclient_plain,
        "stunclient_rfc5780": test_stunclient_rfc5780,
        "natdiscovery": test_natdiscovery,
    })
