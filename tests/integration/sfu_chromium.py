#!/usr/bin/python3
"""rtc-sfu with headless Chromium (fake camera and microphone): one page publishes by WHIP and
watches the same stream by WHEP, cross-origin (CORS) like a real page would, and reports
getStats(): the viewer must decode video frames and receive audio.

Usage: sfu_chromium.py [test...]
"""

import os
import queue
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from chromium import chromium_argv, serve_page, wait_report  # noqa: E402
from harness import Process, check  # noqa: E402
from sfu_server import start_sfu  # noqa: E402

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-sfu test</title><script>
const sfu = '%(sfu)s';
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
window.onerror = (m) => report({error: String(m)});
async function negotiate(pc, kind, stream) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(sfu + '/' + kind + '/' + stream, {method: 'POST',
      headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error(kind + ' answered ' + r.status + ': ' + await r.text());
  const location = r.headers.get('Location');
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  return location;
}
async function inbound(pc) {
  const out = {};
  for (const s of (await pc.getStats()).values())
    if (s.type === 'inbound-rtp') out[s.kind] = s;
  return out;
}
async function run() {
  const media = await navigator.mediaDevices.getUserMedia(
      {audio: true, video: {width: 640, height: 480}});
  const pub = new RTCPeerConnection();
  for (const t of media.getTracks()) pub.addTransceiver(t, {direction: 'sendonly'});
  const pubLocation = await negotiate(pub, 'whip', 'page');
  const sub = new RTCPeerConnection();
  sub.addTransceiver('video', {direction: 'recvonly'});
  sub.addTransceiver('audio', {direction: 'recvonly'});
  await negotiate(sub, 'whep', 'page');
  const started = Date.now();
  for (;;) {
    const s = await inbound(sub);
    const video = s.video || {}, audio = s.audio || {};
    if ((video.framesDecoded || 0) >= 60 && (audio.packetsReceived || 0) >= 100) {
      report({framesDecoded: video.framesDecoded, width: video.frameWidth,
              height: video.frameHeight, audioPackets: audio.packetsReceived,
              pliCount: video.pliCount, nackCount: video.nackCount,
              pub: pub.connectionState, sub: sub.connectionState,
              location: pubLocation});
      return;
    }
    if (Date.now() - started > 25000) {
      report({error: 'no media: ' + JSON.stringify({video, audio}), pub: pub.connectionState,
              sub: sub.connectionState});
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
run().catch((e) => report({error: String(e)}));
</script>
"""


def test_publish_and_watch_in_a_page():
    with start_sfu() as sfu:
        server, reports = serve_page(PAGE % {"sfu": sfu.http_url})
        try:
            url = "http://127.0.0.1:%d/" % server.server_address[1]
            with Process(chromium_argv(url, fake_media=True)) as browser:
                report = wait_report(reports, browser)
                browser.kill()
        finally:
            server.shutdown()
        check("error" not in report, "the page failed: %r" % report)
        check(report["pub"] == "connected" and report["sub"] == "connected",
              "connection states %r" % report)
        check(report["framesDecoded"] >= 60, "frames decoded %r" % report)
        check(report["width"] == 640 and report["height"] == 480, "frame size %r" % report)
        m = sfu.metrics()
        check(m.value("rtc_sfu_rtp_packets_total", direction="out") > 0, "nothing forwarded")
        sfu.process.stop()


SIMULCAST_PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-sfu simulcast</title><script>
const sfu = '%(sfu)s';
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
window.onerror = (m) => report({error: String(m)});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function negotiate(pc, kind) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(sfu + '/' + kind + '/simulcast', {method: 'POST',
      headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error(kind + ' answered ' + r.status + ': ' + await r.text());
  const location = r.headers.get('Location');
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  return location;
}
async function video(pc) {
  for (const s of (await pc.getStats()).values())
    if (s.type === 'inbound-rtp' && s.kind === 'video') return s;
  return {};
}
async function until(pc, test, what) {
  const started = Date.now();
  for (;;) {
    const v = await video(pc);
    if (test(v)) return v;
    if (Date.now() - started > 30000) throw new Error(what + ': ' + JSON.stringify(v));
    await sleep(200);
  }
}
async function run() {
  const media = await navigator.mediaDevices.getUserMedia(
      {video: {width: 1280, height: 720, frameRate: 30}});
  const pub = new RTCPeerConnection();
  pub.addTransceiver(media.getVideoTracks()[0], {direction: 'sendonly', sendEncodings: [
      {rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f'}]});
  await negotiate(pub, 'whip');
  const sub = new RTCPeerConnection();
  sub.addTransceiver('video', {direction: 'recvonly'});
  const location = await negotiate(sub, 'whep');
  const first = await until(sub, (v) => (v.framesDecoded || 0) >= 30, 'no frames');
  // Ask for the smallest layer: the width must drop while frames keep coming.
  const r = await fetch(sfu + location + '/layer', {method: 'POST',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({encodingId: 'q'})});
  if (r.status !== 204) throw new Error('layer request answered ' + r.status);
  const small = await until(sub, (v) => v.frameWidth && v.frameWidth <= first.frameWidth / 2,
                            'no switch to q');
  const later = await until(sub, (v) => v.framesDecoded >= small.framesDecoded + 30,
                            'frames stopped after the switch');
  let layers = 0;
  for (const s of (await pub.getStats()).values())
    if (s.type === 'outbound-rtp' && s.kind === 'video' && s.packetsSent > 0) layers++;
  report({widthBefore: first.frameWidth, widthAfter: small.frameWidth,
          framesAfter: later.framesDecoded - small.framesDecoded, layersSent: layers});
}
run().catch((e) => report({error: String(e)}));
</script>
"""


def test_simulcast_layer_switch():
    """Chromium publishes three simulcast layers (rid q, h, f); a viewer in the same page gets
    one layer, and after a WHEP layer request for "q" its decoded width drops while frames
    keep coming (the switch waits for a keyframe of the new layer)."""
    with start_sfu() as sfu:
        server, reports = serve_page(SIMULCAST_PAGE % {"sfu": sfu.http_url})
        try:
            url = "http://127.0.0.1:%d/" % server.server_address[1]
            with Process(chromium_argv(url, fake_media=True)) as browser:
                report = wait_report(reports, browser, timeout=60)
                browser.kill()
        finally:
            server.shutdown()
        check("error" not in report, "the page failed: %r; rtc-sfu:\n%s"
              % (report, "\n".join(sfu.process.lines()[-20:])))
        print("simulcast: %r" % report)
        check(report["layersSent"] >= 2, "Chromium sent %r layers" % report["layersSent"])
        check(report["widthAfter"] <= report["widthBefore"] / 2, "widths %r" % report)
        check(report["framesAfter"] >= 30, "frames after the switch %r" % report)
        sfu.process.stop()


def test_room_of_three():
    """Three browsers open the server's own demo page in one room: each publishes its camera
    and watches the two others (rooms over /ws/ROOM), and says so through the page's report
    hook."""
    with start_sfu() as sfu:
        server, reports = serve_page("")
        browsers = []
        try:
            report_url = "http://127.0.0.1:%d/report" % server.server_address[1]
            url = "%s/demo?room=three&report=%s" % (sfu.http_url, report_url)
            browsers = [Process(chromium_argv(url, fake_media=True)) for _ in range(3)]
            decoding = {}
            deadline = time.monotonic() + 60
            while len(decoding) < 3 or not all(
                    len(d) == 2 and min(d.values()) >= 30 for d in decoding.values()):
                if time.monotonic() > deadline:
                    raise harness.TestFailure("not every member decodes the two others: %r; "
                                              "rtc-sfu:\n%s" % (decoding, sfu.process.output()))
                try:
                    r = reports.get(timeout=1)
                except queue.Empty:
                    continue
                check("error" not in r, "a page failed: %r" % r)
                decoding[r["me"]] = r["decoded"]
            m = sfu.metrics()
            check(m.value("rtc_sfu_publishers") == 3, "publishers %r" % m.value("rtc_sfu_publishers"))
            check(m.value("rtc_sfu_subscribers") == 6, "subscribers %r"
                  % m.value("rtc_sfu_subscribers"))
            # A member leaves (the whole browser, so its WebSocket closes): its sessions end.
            os.killpg(browsers[0].pid, signal.SIGKILL)
            harness.wait_until(lambda: sfu.metrics().value("rtc_sfu_publishers") == 2,
                               timeout=10, what="the leaver's publisher removed")
            harness.wait_until(lambda: sfu.metrics().value("rtc_sfu_subscribers") == 2,
                               timeout=10, what="the leaver's subscriptions removed")
        finally:
            for b in browsers:
                b.kill()
            server.shutdown()
        sfu.process.stop()


if __name__ == "__main__":
    harness.main({"publish_and_watch_in_a_page": test_publish_and_watch_in_a_page,
                  "simulcast_layer_switch": test_simulcast_layer_switch,
                  "room_of_three": test_room_of_three})
