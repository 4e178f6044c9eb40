#!/usr/bin/python3
"""Headless Chromium relays a data channel through rtc-turn (issue 4 "A real browser").

Usage: turn_chromium.py [test...]. The test serves one page on 127.0.0.1; the page makes two
RTCPeerConnections whose only ICE server is rtc-turn (turn:127.0.0.1:P, long-term credentials)
with iceTransportPolicy "relay", sends a message each way on a data channel and POSTs a JSON
report (messages, selected candidate types) back to the test's /report endpoint.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from chromium import run_page  # noqa: E402
import turn_server  # noqa: E402
from harness import check, check_equal  # noqa: E402

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-turn relay test</title><script>
const config = {iceServers: [{urls: 'turn:127.0.0.1:%(port)d?transport=%(transport)s',
                              username: '%(user)s', credential: '%(password)s'}],
                iceTransportPolicy: 'relay'};
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
window.onerror = (m) => report({error: String(m)});
async function selectedTypes(pc) {
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
      return [stats.get(s.localCandidateId).candidateType,
              stats.get(s.remoteCandidateId).candidateType];
    }
  }
  return null;
}
async function run() {
  const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
  const types = {a: [], b: []};
  a.onicecandidate = (e) => { if (e.candidate) { types.a.push(e.candidate.type);
                                                 b.addIceCandidate(e.candidate); } };
  b.onicecandidate = (e) => { if (e.candidate) { types.b.push(e.candidate.type);
                                                 a.addIceCandidate(e.candidate); } };
  const got = {a: null, b: null};
  b.ondatachannel = (e) => {
    e.channel.onmessage = (m) => { got.b = m.data; e.channel.send('pong from b: ' + m.data); };
  };
  const channel = a.createDataChannel('relay-test');
  channel.onopen = () => channel.send('ping from a');
  channel.onmessage = async (m) => {
    got.a = m.data;
    report({received_by_a: got.a, received_by_b: got.b, gathered: types,
            selected_a: await selectedTypes(a), selected_b: await selectedTypes(b)});
  };
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
}
run().catch((e) => report({error: String(e)}));
setTimeout(() => report({error: 'timeout in the page'}), 20000);
</script>
"""


def relay_run(transport):
    extra = ["--user", "%s:%s" % (turn_server.USER, turn_server.PASSWORD),
             "--allow-loopback-peers"]
    with turn_server.start_turn(extra, metrics=True) as turn:
        page = PAGE % {"port": turn.port(transport), "transport": transport,
                       "user": turn_server.USER, "password": turn_server.PASSWORD}
        report = run_page(page, fake_media=False)
        check("error" not in report, "the page failed: %r" % report)
        check_equal(report.get("received_by_b"), "ping from a", "message a -> b")
        check_equal(report.get("received_by_a"), "pong from b: ping from a", "message b -> a")
        for side in ("a", "b"):
            gathered = report["gathered"][side]
            check(gathered and all(t == "relay" for t in gathered),
                  "%s gathered non-relay candidates: %r" % (side, gathered))
            check_equal(report["selected_" + side], ["relay", "relay"],
                        "selected candidate types of " + side)
        m = turn.metrics()
        check(m.value("rtc_turn_allocation_events_total", event="created") >= 2,
              "fewer than two allocations")
        check(m.value("rtc_turn_permissions_created_total") >= 1, "no permission")
        for direction in ("to_peer", "to_client"):
            check(m.value("rtc_turn_relayed_packets_total", direction=direction) > 0,
                  "nothing relayed " + direction)
        turn.process.stop()


def test_udp_data_channel():
    relay_run("udp")


def test_tcp_data_channel():
    relay_run("tcp")


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
