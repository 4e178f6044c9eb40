#!/usr/bin/python3
"""rtc-turn refuses forbidden peers with 403 (ARCHITECTURE.md principle 8, RFC 8656 §9.1).

Usage: turn_forbidden.py [test...]. The test re-runs itself inside `unshare -n` (a fresh network
namespace with only `lo` up) so that a bug in the peer filter could not send a packet anywhere.
rtc-turn runs without --allow-loopback-peers; a small hand-built TURN client (lib/turn_client.py)
with long-term credentials sends one CreatePermission per address.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import check, check_equal  # noqa: E402
from turn_client import FAMILY_V6, TurnClient  # noqa: E402

INNER_ENV = "RTC_TURN_FORBIDDEN_INNER"

FORBIDDEN_V4 = ["127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "169.254.169.254"]
FORBIDDEN_V6 = ["::1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1"]
# Public addresses: CreatePermission sends nothing, and the namespace has no route anyway.
ALLOWED_V4 = ["8.8.8.8"]
ALLOWED_V6 = ["2001:4860:4860::8888"]


def interfaces():
    """Interface names of this network namespace (if_nameindex asks the kernel, unlike sysfs)."""
    return sorted(name for _, name in socket.if_nameindex())


def rerun_in_namespace(test_name):
    """Runs this script's test inside `unshare -n` after bringing lo up; returns its exit code."""
    harness.require_program("unshare", "util-linux")
    harness.require_program("ip", "iproute2")
    script = os.path.abspath(__file__)
    env = dict(os.environ, **{INNER_ENV: "1"})
    shell = 'ip link set lo up && exec "$0" "$1" "$2"'
    result = harness.run(["unshare", "-n", "--", "/bin/sh", "-c", shell, sys.executable, script,
                          test_name], timeout=120, env=env)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if "Operation not permitted" in result.stderr and "unshare" in result.stderr:
        harness.missing_peer("permission to create a network namespace (run as root)", "-")
    return result.returncode


def forbidden_peers_inside():
    check(interfaces() == ["lo"], "not inside a namespace with only lo: %r" % interfaces())
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD),
             "--relay-ip", "127.0.0.1", "--relay-ip", "::1"]
    with turn_server.start_turn(extra, listens=("udp://127.0.0.1:0",), metrics=True) as turn:
        server = ("127.0.0.1", turn.port("udp"))
        with TurnClient(server, turn_server.USER, turn_server.PASSWORD) as v4, \
                TurnClient(server, turn_server.USER, turn_server.PASSWORD) as v6:
            code, relayed = v4.allocate()
            check_equal(code, 0, "IPv4 Allocate")
            check(relayed and relayed[0] == "127.0.0.1", "IPv4 relay address: %r" % (relayed,))
            # RFC 8656 §7.1: REQUESTED-ADDRESS-FAMILY IPv6, so v6 peers meet the filter, not 443.
            code, relayed = v6.allocate(family=FAMILY_V6)
            check_equal(code, 0, "IPv6 Allocate")
            check(relayed and relayed[0] == "::1", "IPv6 relay address: %r" % (relayed,))

            for ip in FORBIDDEN_V4:
                check_equal(v4.create_permission(ip), 403, "CreatePermission for " + ip)
            for ip in FORBIDDEN_V6:
                check_equal(v6.create_permission(ip), 403, "CreatePermission for " + ip)
            for ip in ALLOWED_V4:
                check_equal(v4.create_permission(ip), 0, "CreatePermission for " + ip)
            for ip in ALLOWED_V6:
                check_equal(v6.create_permission(ip), 0, "CreatePermission for " + ip)
            # A ChannelBind to a forbidden peer is refused the same way (RFC 8656 §12.1).
            check_equal(v4.channel_bind(0x4000, "127.0.0.1", 9), 403, "ChannelBind 127.0.0.1")
            check_equal(v6.channel_bind(0x4000, "::1", 9), 403, "ChannelBind ::1")

            metrics = turn.metrics()
            forbidden = len(FORBIDDEN_V4) + len(FORBIDDEN_V6) + 2
            check_equal(metrics.value("rtc_turn_forbidden_peers_total"), float(forbidden),
                        "rtc_turn_forbidden_peers_total")
            check_equal(metrics.value("rtc_turn_error_responses_total", code="403"),
                        float(forbidden), "403 responses counted")
            check_equal(metrics.value("rtc_turn_relayed_packets_total"), 0.0,
                        "packets relayed")
            check_equal(v4.refresh(0), 0, "IPv4 Refresh 0")
            check_equal(v6.refresh(0), 0, "IPv6 Refresh 0")
        turn.process.stop()


def test_forbidden_peers():
    if os.environ.get(INNER_ENV):
        forbidden_peers_inside()
        return
    code = rerun_in_namespace("forbidden_peers")
    if code == harness.SKIP_CODE:
        raise harness.Skip("skipped inside the namespace")
    check_equal(code, 0, "the test inside `unshare -n`")


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
