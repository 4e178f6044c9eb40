#!/usr/bin/python3
"""The classic RFC 3489 client `stun` (Debian package stun-client) against rtc-stun.

Its exit code encodes a NAT verdict that a single-host server cannot support (interop-facts.md),
so the tests check what it received, not what it concluded.
Usage: stun_classic_client.py [test...]; RTC_STUN_IMPL=coturn runs them against coturn instead.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_stun  # noqa: E402

BLOCKED = 0x0C  # its verdict when no answer came at all


def run_stun(server_host, server_port):
    """Runs `stun HOST:PORT -v -p SRC` from a free pair of source ports (it opens SRC and SRC+1)."""
    stun = harness.require_program("stun", "stun-client")
    src = harness.free_port_block(("0.0.0.0",), count=2, kinds=("udp",))
    result = harness.run([stun, "%s:%d" % (server_host, server_port), "-v", "-p", str(src)],
                         timeout=20)
    # Its verbose trace goes to stderr, the verdict to stdout.
    return result, src, result.stdout + result.stderr


def answers(text):
    """[(message type, text of the message)] for every 'Received stun message' block."""
    found = []
    for block in text.split("Received stun message:")[1:]:
        match = re.search(r"Received message of type (\d+)", block)
        if match:
            found.append((int(match.group(1)), block))
    return found


def mapped_addresses(text):
    return [(ip, int(port)) for ip, port in
            re.findall(r"(?m)^MappedAddress = (\d+\.\d+\.\d+\.\d+):(\d+)", text)]


def test_single_address():
    """`stun` puts CHANGE-REQUEST (flags 0 in test I) in every request. A server without an
    alternate address MUST answer that with 420 (RFC 5780 §6.1); coturn answers flags 0 with a
    success instead, so this test holds rtc-stun to the RFC rather than to coturn."""
    with start_stun(["udp://127.0.0.1:0"]) as server:
        host, port = server.endpoint("udp")
        result, src, text = run_stun(host, port)
        check(result.returncode != BLOCKED, "stun saw no answer at all:\n" + text)
        received = answers(text)
        check(len(received) >= 3, "tests I, II and III not all answered:\n" + text)
        for msg_type, block in received[:3]:
            check_equal(msg_type, 0x0111, "answer type to CHANGE-REQUEST without an alternate")
            check("ErrorCode = 4 20" in block, "not a 420 error:\n" + block)
        server.stop()


def test_rfc5780_mode():
    with start_stun(["udp://127.0.0.1:0"], alt_address="127.0.0.2") as server:
        host, port = server.endpoint("udp", "127.0.0.1")
        result, src, text = run_stun(host, port)
        check(result.returncode != BLOCKED, "stun saw no answer at all:\n" + text)
        received = answers(text)
        successes = [block for msg_type, block in received if msg_type == 0x0101]
        errors = [block for msg_type, block in received if msg_type == 0x0111]
        # Tests I, II (change IP and port) and III (change port) are all answered with a success
        # when the server has an alternate address (RFC 5780 §6.1). Test I(2) goes to the
        # RFC 3489 CHANGED-ADDRESS, which an RFC 8489 server need not send: not required.
        check(len(successes) >= 3, "expected >= 3 Binding successes, got %d:\n%s"
              % (len(successes), text))
        check(not errors, "error responses in RFC 5780 mode:\n" + "\n".join(errors))
        check_equal(mapped_addresses(successes[0])[:1], [("127.0.0.1", src)],
                    "MAPPED-ADDRESS of test I")
        for block in successes:
            mapped = mapped_addresses(block)
            check(mapped and mapped[0][0] == "127.0.0.1" and mapped[0][1] in (src, src + 1),
                  "mapped address not one of the client's sockets:\n" + block)
        server.stop()


if __name__ == "__main__":
    harness.main({
        "single_address": test_single_address,
        "rfc5780_mode": test_rfc5780_mode,
    })
