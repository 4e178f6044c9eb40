#!/usr/bin/python3
"""A Binding over IPv6 loopback ([::1]) with a hand-built request and with pion/stun's client.

Usage: stun_ipv6.py [test...]; RTC_STUN_IMPL=coturn runs them against coturn instead.
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import stun_msg  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_pion import check_mapped_is_local, conn_client  # noqa: E402
from stun_server import start_stun  # noqa: E402


def require_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError as e:
        # Not a missing package: the machine has no ::1. Nothing to install, so skip.
        raise harness.Skip("no IPv6 loopback here (%s)" % e)


def test_udp_raw():
    require_ipv6_loopback()
    with start_stun(["udp://[::1]:0"]) as server:
        address = server.endpoint("udp", "::1")
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
            local_port = sock.getsockname()[1]
            request = stun_msg.binding_request()
            answer = stun_msg.udp_transaction(sock, address, request, timeout=3)
        check(answer is not None, "no answer over IPv6")
        check(answer.is_success(), "not a Binding success: %r" % answer)
        check_equal(answer.txid, request[8:20], "transaction id")
        value = answer.get(stun_msg.XOR_MAPPED_ADDRESS)
        check(value is not None, "no XOR-MAPPED-ADDRESS")
        # RFC 8489 §14.2: family 0x02, port XOR the cookie's top half, address XOR cookie || id.
        check_equal((len(value), value[1]), (20, 0x02), "IPv6 XOR-MAPPED-ADDRESS length, family")
        check_equal(struct.unpack("!H", value[2:4])[0] ^ 0x2112, local_port, "X-Port")
        check_equal(answer.xor_mapped(), ("::1", local_port), "XOR-MAPPED-ADDRESS")
        check(answer.fingerprint_ok() or answer.get(stun_msg.FINGERPRINT) is None,
              "a FINGERPRINT that does not match")
        server.stop()


def test_tcp_raw():
    require_ipv6_loopback()
    with start_stun(["tcp://[::1]:0"]) as server:
        answer, local = stun_msg.tcp_binding(server.endpoint("tcp", "::1"), socket.AF_INET6)
        check(answer is not None and answer.is_success(), "no Binding success over TCP/IPv6")
        check_equal(answer.xor_mapped(), ("::1", local[1]), "XOR-MAPPED-ADDRESS over TCP/IPv6")
        server.stop()


def test_pion_udp6():
    require_ipv6_loopback()
    tools = harness.pion_tools()
    with start_stun(["udp://[::1]:0"]) as server:
        host, port = server.endpoint("udp", "::1")
        answers = conn_client(tools, "udp6", host, port, count=2)
        check_mapped_is_local(answers, "udp6")
        check(answers[0]["local"].startswith("[::1]:"), "local address %s" % answers[0]["local"])
        server.stop()


if __name__ == "__main__":
    harness.main({
        "udp_raw": test_udp_raw,
        "tcp_raw": test_tcp_raw,
        "pion_udp6": test_pion_udp6,
    })
