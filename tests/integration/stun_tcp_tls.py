#!/usr/bin/python3
"""STUN over TCP and TLS (RFC 8489 §6.2.2, §6.2.3) with pion/stun's client against rtc-stun.

TLS uses `rtc-stun --cert auto` and a client that skips certificate verification.
Usage: stun_tcp_tls.py [test...]; RTC_STUN_IMPL=coturn runs them against coturn instead.
"""

import os
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import stun_msg  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_pion import check_mapped_is_local, conn_client  # noqa: E402
from stun_server import start_stun  # noqa: E402


def test_tcp():
    tools = harness.pion_tools()
    with start_stun(["udp://127.0.0.1:0", "tcp://127.0.0.1:0"]) as server:
        host, port = server.endpoint("tcp")
        # Several transactions over one connection, then a fresh connection.
        check_mapped_is_local(conn_client(tools, "tcp4", host, port, count=3), "tcp")
        check_mapped_is_local(conn_client(tools, "tcp4", host, port), "tcp")
        server.stop()


def test_tcp_pipelined():
    """Two requests in one write, then one split across writes: framing by length only."""
    with start_stun(["tcp://127.0.0.1:0"]) as server:
        address = server.endpoint("tcp")
        with socket.create_connection(address, timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            first, second, third = (stun_msg.binding_request() for _ in range(3))
            sock.sendall(first + second)
            sock.sendall(third[:7])
            time.sleep(0.05)  # let the server see a partial header (not a readiness wait)
            sock.sendall(third[7:])
            deadline = time.monotonic() + 5
            local = sock.getsockname()
            for request in (first, second, third):
                answer = stun_msg.read_stream_message(sock, deadline)
                check(answer is not None, "no answer on the stream")
                check_equal(answer.txid, request[8:20], "transaction id (answers in order)")
                check(answer.is_success(), "not a success: %r" % answer)
                check_equal(answer.xor_mapped(), local, "XOR-MAPPED-ADDRESS over TCP")
        server.stop()


def test_tls():
    tools = harness.pion_tools()
    with start_stun(["udp://127.0.0.1:0", "tls://127.0.0.1:0"], cert_auto=True) as server:
        host, port = server.endpoint("tls")
        check_mapped_is_local(conn_client(tools, "tls", host, port, count=2), "tls")
        check_mapped_is_local(conn_client(tools, "tls", host, port), "tls")
        server.stop()


def test_dtls():
    """STUN over DTLS (RFC 7350) with OpenSSL's client: cookie exchange, handshake, one Binding."""
    openssl = harness.require_program("openssl", "openssl")
    with start_stun(["dtls://127.0.0.1:0"], cert_auto=True, metrics=True) as server:
        host, port = server.endpoint("dtls")
        request = stun_msg.binding_request(fingerprint=True)
        client = subprocess.Popen(
            [openssl, "s_client", "-dtls1_2", "-connect", "%s:%d" % (host, port), "-quiet",
             "-verify_quiet"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        try:
            client.stdin.write(request)
            client.stdin.flush()
            response = b""
            deadline = time.monotonic() + 10
            while not stun_msg.parse(response) and time.monotonic() < deadline:
                ready, _, _ = select.select([client.stdout], [], [], deadline - time.monotonic())
                chunk = os.read(client.stdout.fileno(), 4096) if ready else b""
                if not chunk:
                    break
                response += chunk
        finally:
            client.kill()
            client.wait()
        message = stun_msg.parse(response)
        check(message is not None, "no STUN response over DTLS (got %r)" % response[:64])
        check_equal(message.type, 0x0101, "response type")
        check_equal(message.txid, request[8:20], "transaction id")
        check(message.get(0x0020) is not None, "no XOR-MAPPED-ADDRESS")
        metrics = server.metrics()
        check_equal(metrics.value("rtc_stun_responses_total", transport="dtls", code="200"), 1,
                    "DTLS responses counted")
        server.stop()


if __name__ == "__main__":
    harness.main({
        "tcp": test_tcp,
        "tcp_pipelined": test_tcp_pipelined,
        "tls": test_tls,
        "dtls": test_dtls,
    })
