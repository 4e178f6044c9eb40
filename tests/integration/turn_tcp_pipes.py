#!/usr/bin/python3
"""RFC 6062 data connections of rtc-turn: the live gauges and --tcp-idle-timeout.

Usage: turn_tcp_pipes.py [test...]. A client made here (lib/turn_tcp_client.py) allocates a TCP
relay, Connects to a peer listening on 127.0.0.1 and binds a data connection; the test then
drives bytes each way and watches the pipe close once no byte has moved for the idle timeout.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import check, check_equal  # noqa: E402
from turn_tcp_client import TcpTurnClient, closed_within, read_exactly  # noqa: E402

IDLE = 3  # --tcp-idle-timeout: the pipe closes 3-4 s after the last byte (1 s sweep)
BEAT = 0.3  # seconds between bytes while traffic must keep the pipe open


def gauge(turn, name, **labels):
    return turn.metrics().value(name, **labels)


def wait_gauge(turn, name, value, **labels):
    harness.wait_until(lambda: gauge(turn, name, **labels) == value, timeout=10,
                       what="%s == %s" % (name, value))


def one_way(sender, receiver, seconds, what):
    """Sends a byte every BEAT for `seconds`; each must arrive (the pipe stays open)."""
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        sender.sendall(b"x")
        got = read_exactly(receiver, 1, timeout=5)
        check_equal(got, b"x", "%s byte %d" % (what, count))
        count += 1
        time.sleep(BEAT)  # pacing the traffic, not waiting for readiness
    return count


def test_idle_timeout():
    listener = socket.create_server(("127.0.0.1", 0))
    peer_port = listener.getsockname()[1]
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD),
             "--allow-loopback-peers", "--tcp-idle-timeout", str(IDLE)]
    with listener, turn_server.start_turn(extra, metrics=True) as turn:
        check_equal(gauge(turn, "rtc_turn_tcp_connections"), 0, "TCP connections at start")
        with TcpTurnClient(("127.0.0.1", turn.port("tcp")), turn_server.USER,
                           turn_server.PASSWORD) as client:
            check_equal(client.allocate()[0], 0, "TCP Allocate")
            check_equal(client.create_permission("127.0.0.1"), 0, "CreatePermission")
            wait_gauge(turn, "rtc_turn_permissions", 1)
            code, connection_id = client.connect("127.0.0.1", peer_port)
            check_equal(code, 0, "Connect")
            listener.settimeout(5)
            peer, _ = listener.accept()
            with peer:
                # RFC 6062 §5.2: the peer data connection exists before its bind.
                wait_gauge(turn, "rtc_turn_tcp_connections", 1)
                data = client.bind(connection_id)
                data.sendall(b"hello peer")
                check_equal(read_exactly(peer, 10, timeout=5), b"hello peer", "client to peer")
                peer.sendall(b"hello client")
                check_equal(read_exactly(data, 12, timeout=5), b"hello client", "peer to client")
                check_equal(gauge(turn, "rtc_turn_tcp_connections"), 1, "bound connections")

                # Traffic in one direction only keeps the pair open past the timeout.
                n = one_way(peer, data, IDLE + 1.5, "peer to client")
                n += one_way(data, peer, IDLE + 1.5, "client to peer")
                check(n >= 2 * IDLE / BEAT, "only %d bytes paced" % n)

                # Then nothing moves: both sides close within the timeout plus the sweep.
                quiet = time.monotonic()
                check(closed_within(peer, IDLE + 5), "the peer side stayed open when idle")
                waited = time.monotonic() - quiet
                check(waited >= IDLE - 0.5, "closed after %.1f s, before the timeout" % waited)
                check(closed_within(data, 5), "the client side stayed open when idle")
            wait_gauge(turn, "rtc_turn_tcp_connections", 0)
            m = turn.metrics()
            check_equal(m.value("rtc_turn_tcp_connections_total", event="idle_timeout"), 1,
                        "idle timeouts counted")
            # The control connection, idle as long, keeps its allocation (RFC 6062 §5).
            check_equal(m.value("rtc_turn_allocations"), 1, "allocations after the idle close")
            check_equal(client.refresh(600), 0, "Refresh on the control connection")
        wait_gauge(turn, "rtc_turn_allocations", 0)  # it ends with its control connection
        wait_gauge(turn, "rtc_turn_permissions", 0)
        turn.process.stop()


def test_pending_connection_gauge():
    """A peer connection accepted on the relay waits for its bind (RFC 6062 §5.3), counted in
    rtc_turn_tcp_connections until the allocation goes."""
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD),
             "--allow-loopback-peers"]
    with turn_server.start_turn(extra, metrics=True) as turn:
        with TcpTurnClient(("127.0.0.1", turn.port("tcp")), turn_server.USER,
                           turn_server.PASSWORD) as client:
            code, relayed = client.allocate()
            check_equal(code, 0, "TCP Allocate")
            check_equal(client.create_permission("127.0.0.1"), 0, "CreatePermission")
            peers = [socket.create_connection(tuple(relayed), timeout=5) for _ in range(2)]
            try:
                ids = {client.wait_connection_attempt() for _ in peers}
                check_equal(len(ids), 2, "distinct CONNECTION-IDs")
                wait_gauge(turn, "rtc_turn_tcp_connections", 2)
                check_equal(client.refresh(0), 0, "Refresh 0")
                wait_gauge(turn, "rtc_turn_tcp_connections", 0)
                for p in peers:
                    check(closed_within(p, 5), "a pending peer connection outlived its allocation")
            finally:
                for p in peers:
                    p.close()
        turn.process.stop()


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
