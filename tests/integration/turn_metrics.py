#!/usr/bin/python3
"""rtc-turn's /metrics and /healthz after real traffic (issue 4: live metrics).

Usage: turn_metrics.py [test...]. A turnutils_uclient run with channels against turnutils_peer,
then a wrong password; the counters must account for what uclient reports.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import check, check_equal  # noqa: E402
from turn_client import TurnClient  # noqa: E402

PAYLOAD = 100  # uclient -l 100


def wait_gauges(turn, **expected):
    """Waits (bounded) until rtc_turn_<name> reads each expected value; a worker publishes its
    gauges right after the batch that changed them, so this takes one scrape unless loaded."""
    def matches():
        m = turn.metrics()
        return all(m.value("rtc_turn_" + name) == value for name, value in expected.items())
    harness.wait_until(matches, timeout=10, what="gauges %r" % expected)


def test_healthz():
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD)]
    with turn_server.start_turn(extra, metrics=True) as turn:
        status, body = harness.http_get(turn.base_url() + "/healthz")
        check_equal(status, 200, "/healthz status")
        check("ok" in body.lower(), "/healthz body: %r" % body)
        turn.process.stop()


def test_after_uclient():
    peer, peer_port = turn_server.start_peer()
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD),
             "--allow-loopback-peers"]
    with peer, turn_server.start_turn(extra, metrics=True) as turn:
        before = turn.metrics()
        check_equal(before.value("rtc_turn_relayed_packets_total"), 0.0, "packets before")

        # Live gauges: an allocation, its permissions (RFC 8656 §9) and channels (§12) held,
        # then released with it (§7.2, LIFETIME 0).
        with TurnClient(("127.0.0.1", turn.port("udp")), turn_server.USER,
                        turn_server.PASSWORD) as client:
            check_equal(client.allocate()[0], 0, "Allocate")
            wait_gauges(turn, allocations=1, permissions=0, channels=0)
            check_equal(client.create_permission("127.0.0.1"), 0, "CreatePermission")
            wait_gauges(turn, allocations=1, permissions=1, channels=0)
            # ChannelBind installs the permission of its peer too: here the same one.
            check_equal(client.channel_bind(0x4000, "127.0.0.1", peer_port), 0, "ChannelBind")
            wait_gauges(turn, allocations=1, permissions=1, channels=1)
            check_equal(client.channel_bind(0x4001, "127.0.0.2", peer_port), 0, "ChannelBind 2")
            wait_gauges(turn, allocations=1, permissions=2, channels=2)
            check_equal(client.refresh(0), 0, "Refresh 0")
            wait_gauges(turn, allocations=0, permissions=0, channels=0)

        # Send indications after CreatePermission (RFC 8656 §9, §11), then channels (§12).
        out = turn_server.uclient(turn.port("udp"), peer_port, ["-s"])
        sent, received = turn_server.check_no_loss(out)
        m = turn.metrics()
        check(m.value("rtc_turn_permissions_created_total") >= 1, "no permission counted")
        check_equal(m.value("rtc_turn_channels_bound_total"), 2.0,
                    "channels bound after -s (only the two above)")
        out = turn_server.uclient(turn.port("udp"), peer_port, [])  # default mode: channels
        s2, r2 = turn_server.check_no_loss(out)
        sent, received = sent + s2, received + r2
        m = turn.metrics()
        # uclient deletes the allocations it relayed on (only its unused probe allocations
        # stay): their permissions and channels go with them.
        wait_gauges(turn, permissions=0, channels=0)
        created = m.value("rtc_turn_allocation_events_total", event="created")
        check(created >= 3, "allocations created: %s" % created)
        check(m.value("rtc_turn_allocations") >= 1, "uclient's allocations not shown as held")
        check(m.value("rtc_turn_channels_bound_total") >= 1, "no channel counted")
        to_peer = m.value("rtc_turn_relayed_packets_total", direction="to_peer")
        to_client = m.value("rtc_turn_relayed_packets_total", direction="to_client")
        check(to_peer >= sent, "packets to peer %s < uclient sent %d" % (to_peer, sent))
        check(to_client >= received,
              "packets to client %s < uclient received %d" % (to_client, received))
        bytes_to_peer = m.value("rtc_turn_relayed_bytes_total", direction="to_peer")
        bytes_to_client = m.value("rtc_turn_relayed_bytes_total", direction="to_client")
        check(bytes_to_peer >= PAYLOAD * sent,
              "bytes to peer %s < %d x %d" % (bytes_to_peer, PAYLOAD, sent))
        check(bytes_to_client >= PAYLOAD * received,
              "bytes to client %s < %d x %d" % (bytes_to_client, PAYLOAD, received))
        check(bytes_to_peer <= PAYLOAD * to_peer and bytes_to_client <= PAYLOAD * to_client,
              "more bytes than %d per packet relayed" % PAYLOAD)
        check_equal(m.value("rtc_turn_auth_total", result="failure"), 0.0,
                    "auth failures before the wrong password")

        out = turn_server.uclient(turn.port("udp"), peer_port, ["-s"], password="wrong",
                                  count=5, expect_ok=False)
        check("Cannot complete Allocation" in out or "error 401" in out,
              "a wrong password was not refused:\n" + out[-3000:])
        after = turn.metrics()
        check(after.value("rtc_turn_auth_total", result="failure") >= 1,
              "no auth failure counted after a wrong password")
        check(after.value("rtc_turn_error_responses_total", code="401") >= 1,
              "no 401 counted after a wrong password")
        check_equal(after.value("rtc_turn_relayed_packets_total"),
                    m.value("rtc_turn_relayed_packets_total"),
                    "packets relayed for a wrong password")
        status, body = harness.http_get(turn.base_url() + "/healthz")
        check_equal(status, 200, "/healthz status after traffic")
        turn.process.stop()


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
