#!/usr/bin/python3
"""Passive ICE-TCP (RFC 6544, RFC 4571 framing): rtc-sfu listening for media on TCP only.

chromium_over_tcp: headless Chromium publishes by WHIP and watches by WHEP in one page while
rtc-sfu has no UDP media port at all, so the only way is an active TCP candidate of Chromium to
the server's passive one; the selected pairs must be TCP and video must be decoded.

bad_frames: a raw TCP client sends a frame whose length is 0 and then one over the limit: each
connection is closed and counted, and the server keeps serving.

Usage: sfu_ice_tcp.py [test...]
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from chromium import run_page  # noqa: E402
from harness import check, check_equal  # noqa: E402
from sfu_server import start_sfu  # noqa: E402

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-sfu ICE-TCP</title><script>
const sfu = '%(sfu)s';
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
window.onerror = (m) => report({error: String(m)});
async function negotiate(pc, kind) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(sfu + '/' + kind + '/tcp', {method: 'POST',
      headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error(kind + ' answered ' + r.status + ': ' + await r.text());
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
}
// The protocol of the nominated pair's local candidate, and the video inbound stats.
async function look(pc) {
  const all = await pc.getStats();
  let protocol = null, video = {};
  for (const s of all.values()) {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded')
      protocol = all.get(s.localCandidateId).protocol;
    if (s.type === 'inbound-rtp' && s.kind === 'video') video = s;
  }
  return {protocol, video};
}
async function run() {
  const media = await navigator.mediaDevices.getUserMedia(
      {audio: true, video: {width: 320, height: 240}});
  const pub = new RTCPeerConnection();
  for (const t of media.getTracks()) pub.addTransceiver(t, {direction: 'sendonly'});
  await negotiate(pub, 'whip');
  const sub = new RTCPeerConnection();
  sub.addTransceiver('video', {direction: 'recvonly'});
  sub.addTransceiver('audio', {direction: 'recvonly'});
  await negotiate(sub, 'whep');
  const started = Date.now();
  for (;;) {
    const p = await look(pub), s = await look(sub);
    if ((s.video.framesDecoded || 0) >= 60) {
      report({pubProtocol: p.protocol, subProtocol: s.protocol,
              framesDecoded: s.video.framesDecoded, pub: pub.connectionState,
              sub: sub.connectionState});
      return;
    }
    if (Date.now() - started > 30000) {
      report({error: 'no media: ' + JSON.stringify(s.video), pub: pub.connectionState,
              sub: sub.connectionState});
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
run().catch((e) => report({error: String(e)}));
</script>
"""


def test_chromium_over_tcp():
    with start_sfu(transports=("tcp",)) as sfu:
        check(sfu.media is None and sfu.tcp_media, "expected a TCP media listener only")
        seen = {}
        report = run_page(PAGE % {"sfu": sfu.http_url}, timeout=60,
                          while_open=lambda: seen.update(metrics=sfu.metrics()))
        m = seen["metrics"]  # read while the page still held its connections
        check("error" not in report, "the page failed: %r; rtc-sfu:\n%s"
              % (report, "\n".join(sfu.process.lines()[-20:])))
        print("ice-tcp: %r" % report)
        check_equal(report["pubProtocol"], "tcp", "publisher's selected candidate")
        check_equal(report["subProtocol"], "tcp", "viewer's selected candidate")
        check(report["framesDecoded"] >= 60, "frames decoded %r" % report)
        check(m.value("rtc_sfu_ice_tcp_connections") >= 2, "connections gauge")
        check(m.value("rtc_sfu_rtp_packets_total", direction="out") > 0, "nothing forwarded")
        sfu.process.stop()


def closed_by_server(sock, timeout=5.0):
    """True once the server closed the connection (EOF or reset) within `timeout`."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def test_bad_frames():
    with start_sfu(transports=("tcp",)) as sfu:
        host, port = sfu.tcp_media
        for what, data in (("an empty frame", b"\x00\x00"),
                           ("a frame over the limit", b"\xff\xff" + b"\x00" * 64)):
            with socket.create_connection((host, port), timeout=5) as s:
                s.sendall(data)
                check(closed_by_server(s), "the server kept a connection after %s" % what)
        # A well-framed STUN check for no known session is dropped, and the connection stays.
        with socket.create_connection((host, port), timeout=5) as s:
            check_text = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + b"\x07" * 12
            s.sendall(len(check_text).to_bytes(2, "big") + check_text)
            check(not closed_by_server(s, timeout=1.0), "a framed datagram closed the connection")
            deadline = time.monotonic() + 5
            while True:
                m = sfu.metrics()
                dropped = (m.value("rtc_sfu_drops_total", reason="malformed") +
                           m.value("rtc_sfu_drops_total", reason="unknown_address"))
                if dropped >= 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            check(dropped >= 1, "the framed datagram was not counted as a drop")
        m = sfu.metrics()
        check_equal(m.value("rtc_sfu_drops_total", reason="tcp_frame"), 2, "bad frames counted")
        check_equal(sfu.request("GET", "/healthz")[0], 200, "health after bad frames")
        sfu.process.stop()


if __name__ == "__main__":
    harness.main({"chromium_over_tcp": test_chromium_over_tcp, "bad_frames": test_bad_frames})
