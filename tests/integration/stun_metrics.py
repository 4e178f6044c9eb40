#!/usr/bin/python3
"""rtc-stun's metrics endpoint and its per-client rate limit (--rate-limit).

Usage: stun_metrics.py [test...]
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import stun_msg  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_rtc_stun  # noqa: E402

RATE_LIMIT = 10
BURST = 200


def test_endpoint():
    args = ["--listen", "udp://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0"]
    with start_rtc_stun(args, listen_count=2, metrics=True) as server:
        base = server.metrics_url.rsplit("/", 1)[0]
        status, body = harness.http_get(base + "/healthz")
        check_equal((status, body.strip()), (200, "ok"), "/healthz")
        before = server.metrics()
        for _ in range(3):
            answer, _ = stun_msg.udp_binding(server.endpoint("udp"))
            check(answer is not None and answer.is_success(), "no UDP answer")
        answer, _ = stun_msg.tcp_binding(server.endpoint("tcp"))
        check(answer is not None and answer.is_success(), "no TCP answer")
        after = server.metrics()

        def grew(name, **labels):
            return after.value(name, **labels) - before.value(name, **labels)

        check_equal(grew("rtc_stun_requests_total", transport="udp"), 3, "udp requests counted")
        check_equal(grew("rtc_stun_responses_total", transport="udp", code="200"), 3,
                    "udp 200 responses counted")
        check_equal(grew("rtc_stun_requests_total", transport="tcp"), 1, "tcp requests counted")
        check_equal(grew("rtc_stun_responses_total", transport="tcp", code="200"), 1,
                    "tcp 200 responses counted")
        # Process gauges agree with /proc (within what a few moments can change).
        rss = after.value("process_resident_memory_bytes")
        check(0.5 * server.process.rss_bytes() <= rss <= 2 * server.process.rss_bytes(),
              "process_resident_memory_bytes %d vs VmRSS %d" % (rss, server.process.rss_bytes()))
        fds = after.value("process_open_fds")
        check(abs(fds - server.process.fd_count()) <= 4,
              "process_open_fds %d vs /proc %d" % (fds, server.process.fd_count()))
        server.stop()


def test_rate_limit():
    args = ["--listen", "udp://127.0.0.1:0", "--rate-limit", str(RATE_LIMIT)]
    with start_rtc_stun(args, listen_count=1, metrics=True) as server:
        address = server.endpoint("udp")
        before = server.metrics()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            requests = {}
            for _ in range(BURST):
                request = stun_msg.binding_request()
                requests[request[8:20]] = request
                sock.sendto(request, address)
            answered = 0
            # Collect until 1 s of silence, at most 5 s in all.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                sock.settimeout(1.0)
                try:
                    data = sock.recv(2048)
                except socket.timeout:
                    break
                message = stun_msg.parse(data)
                if message is not None and message.txid in requests and message.is_success():
                    answered += 1
            after = server.metrics()
            limited = (after.value("rtc_stun_dropped_total", reason="rate_limited")
                       - before.value("rtc_stun_dropped_total", reason="rate_limited"))
            print("%d of %d answered at --rate-limit %d, %d counted rate_limited"
                  % (answered, BURST, RATE_LIMIT, limited))
            check(1 <= answered <= 2 * RATE_LIMIT,
                  "%d of %d answered at --rate-limit %d" % (answered, BURST, RATE_LIMIT))
            check(limited >= BURST - answered - 10 and limited <= BURST,
                  "rate_limited drops %d for %d unanswered" % (limited, BURST - answered))
            check_equal(after.value("rtc_stun_responses_total", code="200")
                        - before.value("rtc_stun_responses_total", code="200"), answered,
                        "200 responses counted")
            # It is a rate, not a ban: the same client is answered again once tokens refill.
            answer = None
            deadline = time.monotonic() + 5
            while answer is None and time.monotonic() < deadline:
                answer = stun_msg.udp_transaction(sock, address, stun_msg.binding_request(),
                                                  timeout=1.0, retries=2)
            check(answer is not None and answer.is_success(), "client still refused after 5 s")
        server.stop()


if __name__ == "__main__":
    harness.main({
        "endpoint": test_endpoint,
        "rate_limit": test_rate_limit,
    })
