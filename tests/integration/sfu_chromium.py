#!/usr/bin/python3
"""rtc-sfu with headless Chromium (fake camera and microphone): one page publishes by WHIP and
watches the same stream by WHEP, cross-origin (CORS) like a real page would, and reports
getStats(): the viewer must decode video frames and receive audio.

Usage: sfu_chromium.py [test...]
"""

import json
import os
import queue
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from chromium import chromium_argv, run_page, serve_page  # noqa: E402
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
        report = run_page(PAGE % {"sfu": sfu.http_url})
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
        report = run_page(SIMULCAST_PAGE % {"sfu": sfu.http_url}, timeout=60)
        check("error" not in report, "the page failed: %r; rtc-sfu:\n%s"
              % (report, "\n".join(sfu.process.lines()[-20:])))
        print("simulcast: %r" % report)
        check(report["layersSent"] >= 2, "Chromium sent %r layers" % report["layersSent"])
        check(report["widthAfter"] <= report["widthBefore"] / 2, "widths %r" % report)
        check(report["framesAfter"] >= 30, "frames after the switch %r" % report)
        sfu.process.stop()


class RoomReports:
    """The latest report of every page of the demo page's report hook, by member id."""

    def __init__(self, reports, sfu):
        self.reports = reports
        self.sfu = sfu
        self.latest = {}

    def wait(self, predicate, what, timeout=60):
        """Reads reports until predicate(latest) holds; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        while not predicate(self.latest):
            if time.monotonic() > deadline:
                raise harness.TestFailure("%s: not within %d s; pages: %r; rtc-sfu:\n%s"
                                          % (what, timeout, self.latest,
                                             self.sfu.process.output()[-3000:]))
            try:
                r = self.reports.get(timeout=1)
            except queue.Empty:
                continue
            check("error" not in r, "a page failed: %r" % r)
            if r.get("me") and r["me"] != "...":
                self.latest[r["me"]] = r

    def join(self, url):
        """Starts one more browser on the demo page; returns it and its member id."""
        known = set(self.latest)
        browser = Process(chromium_argv(url, fake_media=True))
        self.wait(lambda latest: set(latest) - known, "a new page joins")
        return browser, (set(self.latest) - known).pop()


def decodes(report, others, frames=30, baseline=None):
    """Whether the page decodes every member of `others` (at least `frames` frames, or more
    than `baseline` + frames) on its one receiving PeerConnection, with 2 PCs in all."""
    decoded = report.get("decoded", {})
    return (report.get("pcs") == 2 and set(decoded) == set(others) and all(
        decoded[o] >= frames + (baseline or {}).get(o, 0) for o in others))


def test_room_of_three():
    """Three browsers open the server's own demo page in one room: each publishes its camera
    and receives the two others on one renegotiated PeerConnection (rooms over /ws/ROOM), and
    says so through the page's report hook."""
    with start_sfu() as sfu:
        server, reports = serve_page("")
        browsers = []
        try:
            report_url = "http://127.0.0.1:%d/report" % server.server_address[1]
            url = "%s/demo?room=three&report=%s" % (sfu.http_url, report_url)
            browsers = [Process(chromium_argv(url, fake_media=True)) for _ in range(3)]
            pages = RoomReports(reports, sfu)
            pages.wait(lambda latest: len(latest) == 3 and all(
                decodes(r, set(latest) - {me}) for me, r in latest.items()),
                "every member decodes the two others with 2 PeerConnections")
            m = sfu.metrics()
            check(m.value("rtc_sfu_publishers") == 3,
                  "publishers %r" % m.value("rtc_sfu_publishers"))
            # One receiving session per member, however many publishers it receives.
            check(m.value("rtc_sfu_subscribers") == 3, "subscribers %r"
                  % m.value("rtc_sfu_subscribers"))
            # GET /stats: the room with its three members, each publishing and receiving;
            # each receiving session is fed by the two other members' publishers.
            stats = json.loads(sfu.request("GET", "/stats")[2])
            check(len(stats["rooms"]) == 1 and stats["rooms"][0]["name"] == "three",
                  "rooms %r" % stats["rooms"])
            members = stats["rooms"][0]["members"]
            check(len(members) == 3 and all(m["publishing"] and m["receiving"] for m in members),
                  "members %r" % members)
            peers = {p["resource"]: p for p in stats["peers"]}
            for member in members:
                sources = {t["source"] for t in peers[member["receiving"]]["tracks"]
                           if t["source"]}
                others = {o["publishing"] for o in members if o is not member}
                check(sources == others, "member %s receives from %r" % (member["id"], sources))
            # A member leaves (the whole browser, so its WebSocket closes): its sessions end.
            os.killpg(browsers[0].pid, signal.SIGKILL)
            harness.wait_until(lambda: sfu.metrics().value("rtc_sfu_publishers") == 2,
                               timeout=10, what="the leaver's publisher removed")
            harness.wait_until(lambda: sfu.metrics().value("rtc_sfu_subscribers") == 2,
                               timeout=10, what="the leaver's receiving session removed")
        finally:
            for b in browsers:
                b.kill()
            server.shutdown()
        sfu.process.stop()


def leave(pages, browser, leaver, stay, what):
    """Kills the leaver's browser; the pages `stay` must stop its sections (rejected or
    inactive in their receiving PC's remote description) and keep decoding each other, on the
    same receiving PeerConnection."""
    mids = {me: [mid for mid, who in pages.latest[me]["owners"].items() if who == leaver]
            for me in stay}
    check(all(len(m) == 2 for m in mids.values()), "the leaver's sections %r" % mids)
    frames = {me: dict(pages.latest[me]["decoded"]) for me in stay}
    os.killpg(browser.pid, signal.SIGKILL)

    def renegotiated(r, me):
        others = set(stay) - {me}
        sections = {s["mid"]: s for s in r.get("sections", [])}
        gone = all(mid in sections and (sections[mid]["port"] == 0 or
                                        sections[mid]["direction"] == "inactive")
                   for mid in mids[me])
        return gone and r.get("receivers") == 1 and decodes(r, others, baseline=frames[me])

    pages.wait(lambda latest: all(renegotiated(latest[me], me) for me in stay),
               what + ": the others renegotiate and keep decoding each other")


def test_room_renegotiation():
    """Three pages in a room; the third leaves: the two others stop its transceivers and
    renegotiate (its sections rejected or inactive) and keep decoding each other; then a
    fourth joins and the two old pages receive it on the same receiving PeerConnection (in the
    m-lines the third left); then the first leaves, whose sections carry the BUNDLE
    transport on the others."""
    with start_sfu() as sfu:
        server, reports = serve_page("")
        browsers = []
        try:
            report_url = "http://127.0.0.1:%d/report" % server.server_address[1]
            url = "%s/demo?room=reneg&report=%s" % (sfu.http_url, report_url)
            pages = RoomReports(reports, sfu)
            ids = []
            for _ in range(3):
                browser, me = pages.join(url)
                browsers.append(browser)
                ids.append(me)
            pages.wait(lambda latest: all(
                decodes(latest[me], set(ids) - {me}) for me in ids),
                "three members decode each other")
            a, b, leaver = ids
            leave(pages, browsers[2], leaver, (a, b), "the third member leaves")
            harness.wait_until(lambda: sfu.metrics().value("rtc_sfu_subscribers") == 2,
                               timeout=10, what="the leaver's receiving session removed")

            browser, fourth = pages.join(url)
            browsers.append(browser)
            pages.wait(lambda latest: all(
                decodes(latest[me], {x for x in (a, b, fourth) if x != me}) and
                latest[me].get("receivers") == 1 for me in (a, b, fourth)),
                "the fourth member is received on the same PeerConnections")
            m = sfu.metrics()
            check(m.value("rtc_sfu_publishers") == 3,
                  "publishers %r" % m.value("rtc_sfu_publishers"))
            check(m.value("rtc_sfu_subscribers") == 3, "subscribers %r"
                  % m.value("rtc_sfu_subscribers"))

            # The first member leaves: on the others its sections came first (the BUNDLE tag).
            leave(pages, browsers[0], a, (b, fourth), "the first member leaves")
        finally:
            for browser in browsers:
                browser.kill()
            server.shutdown()
        sfu.process.stop()


def test_room_bad_input():
    """Malformed room messages each get an error reply (never a crash or a silent drop), and
    the room still works afterwards."""
    import asyncio
    import json
    import websockets

    bad = [
        ("not json", None), ("[]", None), ('{"type":5}', None), ('{"type":"nope"}', None),
        ('{"type":"publish"}', 400), ('{"type":"publish","sdp":5}', 400),
        ('{"type":"publish","sdp":"garbage"}', 400),
        # large, yet within the WebSocket message limit
        (json.dumps({"type": "publish", "sdp": "v=0\r\n" + "a=x\r\n" * 5000}), 400),
        ('{"type":"subscribe","sdp":"v=0"}', 400),
        ('{"type":"subscribe","publisher":["1"],"sdp":"v=0"}', 400),
        ('{"type":"subscribe","publisher":"99","sdp":"v=0"}', 404),
        ('{"type":"renegotiate","sdp":"v=0"}', 404), ('{"type":"renegotiate"}', 400),
        ('{"type":"layer","rid":"f"}', 404), ('{"type":"layer","rid":7}', 404),
    ]

    async def run(url):
        async with websockets.connect(url, open_timeout=5) as ws:
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
            check(welcome["type"] == "welcome", "first message %r" % welcome)
            for text, status in bad:
                await ws.send(text)
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                check(reply["type"] == "error" and reply.get("status") == status if status
                      else reply["type"] == "error", "%r answered %r" % (text[:80], reply))
            await ws.send('{"type":"unsubscribe","publisher":"7"}')
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            check(reply == {"type": "unsubscribed", "publisher": "7", "mids": []},
                  "unsubscribe answered %r" % reply)
        async with websockets.connect(url, open_timeout=5) as ws:
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
            check(welcome["type"] == "welcome" and welcome["id"] == "2",
                  "a second member %r" % welcome)

    with start_sfu() as sfu:
        asyncio.run(run(sfu.http_url.replace("http://", "ws://") + "/ws/bad"))
        sfu.process.stop()


if __name__ == "__main__":
    harness.main({"publish_and_watch_in_a_page": test_publish_and_watch_in_a_page,
                  "simulcast_layer_switch": test_simulcast_layer_switch,
                  "room_of_three": test_room_of_three,
                  "room_renegotiation": test_room_renegotiation,
                  "room_bad_input": test_room_bad_input})
