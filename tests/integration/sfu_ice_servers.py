#!/usr/bin/python3
"""rtc-sfu's Link ice-server headers (RFC 9725 §4.6) with TURN REST credentials made from
--ice-server-secret: coturn's turnutils_uclient must relay through rtc-turn (--auth-secret) with
the username and credential a WHIP answer carries, and must be refused with those of another
secret.

Usage: sfu_ice_servers.py [test...]
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from sfu_server import audio_offer, start_sfu  # noqa: E402
from turn_server import check_no_loss, start_peer, start_turn, uclient  # noqa: E402

SECRET = "shared-with-rtc-turn"
LINK = re.compile(r'<([^>]+)>; rel="ice-server"(?:; username="([^"]+)"; credential="([^"]+)"; '
                  r'credential-type="password")?$')


def links(headers):
    """[(url, username, credential)] from the Link headers."""
    out = []
    for value in headers.get_all("Link") or []:
        m = LINK.match(value)
        check(m, "malformed Link header %r" % value)
        out.append(m.groups())
    return out


def test_turn_credentials_work_at_rtc_turn():
    peer, peer_port = start_peer()
    with peer, start_turn(["--auth-secret", SECRET, "--allow-loopback-peers"]) as turn:
        turn_url = "turn:127.0.0.1:%d" % turn.port("udp")
        stun_url = "stun:127.0.0.1:%d" % turn.port("udp")
        for secret, works in ((SECRET, True), ("another-secret", False)):
            with start_sfu(["--ice-server", stun_url, "--ice-server", turn_url,
                            "--ice-server-secret", secret]) as sfu:
                status, headers, _ = sfu.post_offer("whip", "linked", audio_offer())
                check_equal(status, 201, "WHIP POST")
                found = links(headers)
                check_equal(len(found), 2, "Link headers")
                check_equal(found[0], (stun_url, None, None), "STUN Link (no credentials)")
                url, username, credential = found[1]
                check(url == turn_url and username and credential, "TURN Link %r" % (found,))
                check(re.match(r"^\d+:rtc-sfu$", username), "username %r" % username)
                status, headers, _ = sfu.request("OPTIONS", "/whip/linked")
                check_equal(len(links(headers)), 2, "Link headers of OPTIONS")
                sfu.process.stop()
            out = uclient(turn.port("udp"), peer_port, ["-s"], user=username,
                          password=credential, count=20, expect_ok=works)
            if works:
                check_no_loss(out)
            else:
                check("Cannot complete Allocation" in out or "error 401" in out,
                      "credentials of another secret were accepted:\n" + out[-2000:])
        turn.process.stop()


if __name__ == "__main__":
    harness.main({"turn_credentials_work_at_rtc_turn": test_turn_credentials_work_at_rtc_turn})
