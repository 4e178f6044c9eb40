#!/usr/bin/python3
"""Every video codec Chromium can send passes through rtc-sfu (VP8, VP9, H.264, AV1), with the
payload type rewritten to the viewer's: one page publishes a camera with one codec preferred
(setCodecPreferences) and watches it by WHEP; the viewer must decode frames in that codec.

Usage: sfu_codecs.py [test...]
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from chromium import run_page  # noqa: E402
from harness import check  # noqa: E402
from sfu_server import start_sfu  # noqa: E402

CODECS = ["video/VP8", "video/VP9", "video/H264", "video/AV1"]

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-sfu codecs</title><script>
const sfu = '%(sfu)s';
const wanted = %(codecs)s;
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
window.onerror = (m) => report({error: String(m)});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function negotiate(pc, kind, stream) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(sfu + '/' + kind + '/' + stream, {method: 'POST',
      headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error(kind + ' answered ' + r.status + ': ' + await r.text());
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
}
// The decoded video's frames and codec as the viewer's getStats() reports them.
async function decoded(pc) {
  const stats = await pc.getStats();
  for (const s of stats.values())
    if (s.type === 'inbound-rtp' && s.kind === 'video')
      return {frames: s.framesDecoded || 0,
              codec: s.codecId && stats.get(s.codecId) ? stats.get(s.codecId).mimeType : null};
  return {frames: 0, codec: null};
}
async function one(mime, media) {
  const codecs = RTCRtpSender.getCapabilities('video').codecs.filter(
      (c) => c.mimeType.toLowerCase() === mime.toLowerCase());
  if (codecs.length === 0) return {mime, skipped: 'Chromium cannot send it'};
  const pub = new RTCPeerConnection();
  const t = pub.addTransceiver(media.getVideoTracks()[0], {direction: 'sendonly'});
  t.setCodecPreferences(codecs);
  const stream = mime.split('/')[1].toLowerCase();
  await negotiate(pub, 'whip', stream);
  const sub = new RTCPeerConnection();
  sub.addTransceiver('video', {direction: 'recvonly'});
  await negotiate(sub, 'whep', stream);
  const started = Date.now();
  let d = await decoded(sub);
  while (d.frames < 30 && Date.now() - started < 20000) {
    await sleep(200);
    d = await decoded(sub);
  }
  pub.close();
  sub.close();
  return {mime, frames: d.frames, codec: d.codec};
}
async function run() {
  const media = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}});
  const results = [];
  for (const mime of wanted) results.push(await one(mime, media));
  report({results});
}
run().catch((e) => report({error: String(e)}));
</script>
"""


def test_video_codecs_pass_through():
    with start_sfu() as sfu:
        report = run_page(PAGE % {"sfu": sfu.http_url, "codecs": CODECS}, timeout=120)
        check("error" not in report, "the page failed: %r; rtc-sfu:\n%s"
              % (report, "\n".join(sfu.process.lines()[-20:])))
        print("codecs: %r" % report["results"])
        # Debian 12's Chromium sends all four (H.264 through OpenH264, AV1 through libaom).
        skipped = [r for r in report["results"] if "skipped" in r]
        check(not skipped, "Chromium could not send %r" % skipped)
        for r in report["results"]:
            check(r["frames"] >= 30, "%s: %d frames decoded" % (r["mime"], r["frames"]))
            check((r["codec"] or "").lower() == r["mime"].lower(),
                  "%s arrived as %r" % (r["mime"], r["codec"]))
        sfu.process.stop()


if __name__ == "__main__":
    harness.main({"video_codecs_pass_through": test_video_codecs_pass_through})
