#!/usr/bin/python3
"""pion's TURN client (turn/v2 examples/turn-client, built offline) against rtc-turn.

Usage: turn_pion.py [test...]. The example allocates, learns its mapped address with Binding,
sends "Hello" from the relay to it (a CreatePermission for 127.0.0.1), then a second local
socket sends 10 timestamps to the relayed address; the client echoes each back through the
relay and the pinger logs "N bytes from from ADDR time=T ms" for every echo it gets.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import check, check_equal  # noqa: E402

PINGS = 10  # fixed by the example


def pion_turn_client(transport):
    harness.require_program("go", "golang-go")
    script = os.path.join(harness.source_dir(), "tests", "integration", "tools",
                          "build-pion-turn.sh")
    result = harness.run(["/bin/sh", script, harness.build_dir()], timeout=240)
    if result.returncode == harness.SKIP_CODE:
        raise harness.Skip(result.stderr.strip())
    check(result.returncode == 0, "build-pion-turn.sh failed:\n" + result.stderr)
    return os.path.join(harness.build_dir(), "pion", "turn-client-" + transport)


def ping_run(transport):
    exe = pion_turn_client(transport)
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD),
             "--allow-loopback-peers"]
    with turn_server.start_turn(extra, metrics=True) as turn:
        result = harness.run([exe, "-host", "127.0.0.1", "-port", str(turn.port(transport)),
                              "-user", "%s=%s" % (turn_server.USER, turn_server.PASSWORD),
                              "-realm", turn_server.REALM, "-ping"], timeout=60)
        out = result.stdout + result.stderr
        check_equal(result.returncode, 0, "pion turn-client-%s exit code; output:\n%s"
                    % (transport, out[-3000:]))
        relayed = re.search(r"relayed-address=(\S+):(\d+)", out)
        check(relayed is not None, "no relayed address printed:\n" + out[-3000:])
        check_equal(relayed.group(1), "127.0.0.1", "relayed address")
        echoes = re.findall(r"(\d+) bytes from from 127\.0\.0\.1:%s time=" % relayed.group(2),
                            out)
        check_equal(len(echoes), PINGS, "echoes through the relay; output:\n" + out[-3000:])
        m = turn.metrics()
        check_equal(m.value("rtc_turn_allocation_events_total", event="created"), 1.0,
                    "allocations created")
        # Hello + 10 echoes to the peer; 10 pings to the client.
        check(m.value("rtc_turn_relayed_packets_total", direction="to_peer") >= PINGS + 1,
              "packets to peer")
        check(m.value("rtc_turn_relayed_packets_total", direction="to_client") >= PINGS,
              "packets to client")
        # pion refreshes with LIFETIME 0 on close (RFC 8656 §7.2): nothing is left held.
        harness.wait_until(lambda: turn.metrics().value("rtc_turn_allocations") == 0,
                           timeout=5, what="allocation released by pion")
        turn.process.stop()


def test_udp_ping():
    ping_run("udp")


def test_tcp_ping():
    ping_run("tcp")


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
