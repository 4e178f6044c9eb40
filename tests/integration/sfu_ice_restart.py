#!/usr/bin/python3
"""ICE restart and trickle PATCH of a WHIP/WHEP session (RFC 9725 §4.3).

in_a_page: headless Chromium publishes by WHIP and watches by WHEP in one page, then restarts ICE
on both PeerConnections the way a WHIP client does (restartIce, PATCH the new ufrag/pwd with
If-Match "*", put the server's new credentials into the remote description). Chromium must
reconnect on a new candidate pair whose checks rtc-sfu answered with its new password (Chromium
verifies the integrity of each response), and video must keep being decoded.

patch_refusals: the HTTP side without a browser: 412 for a trickle PATCH with a stale ETag,
400/404/415 for bad restarts, and the old ufrag refused after a restart.

Usage: sfu_ice_restart.py [test...]
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from chromium import run_page  # noqa: E402
from harness import check, check_equal  # noqa: E402
from sfu_server import audio_offer, start_sfu  # noqa: E402

FRAG = "application/trickle-ice-sdpfrag"

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-sfu ICE restart</title><script>
const sfu = '%(sfu)s';
const report = (r) => fetch('/report', {method: 'POST', body: JSON.stringify(r)});
window.onerror = (m) => report({error: String(m)});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const attr = (sdp, name) => sdp.match(new RegExp('a=' + name + ':(.*)\\r\\n'))[1];
async function negotiate(pc, kind) {
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(sfu + '/' + kind + '/restart', {method: 'POST',
      headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error(kind + ' answered ' + r.status + ': ' + await r.text());
  const session = {location: r.headers.get('Location'), etag: r.headers.get('ETag')};
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  return session;
}
// RFC 9725 §4.3.2 from the client's side.
async function restart(pc, session) {
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer());
  const mine = pc.localDescription.sdp;
  const r = await fetch(sfu + session.location, {method: 'PATCH',
      headers: {'Content-Type': '%(frag)s', 'If-Match': '*'},
      body: 'a=ice-ufrag:' + attr(mine, 'ice-ufrag') + '\\r\\na=ice-pwd:' +
            attr(mine, 'ice-pwd') + '\\r\\n'});
  if (r.status !== 200) throw new Error('restart answered ' + r.status + ': ' + await r.text());
  const frag = await r.text();
  const answer = pc.remoteDescription.sdp
      .replace(/a=ice-ufrag:.*\\r\\n/g, 'a=ice-ufrag:' + attr(frag, 'ice-ufrag') + '\\r\\n')
      .replace(/a=ice-pwd:.*\\r\\n/g, 'a=ice-pwd:' + attr(frag, 'ice-pwd') + '\\r\\n');
  await pc.setRemoteDescription({type: 'answer', sdp: answer});
  return {etag: r.headers.get('ETag'), ufrag: attr(frag, 'ice-ufrag')};
}
async function stats(pc) {
  const out = {pairs: {}, video: {}};
  for (const s of (await pc.getStats()).values()) {
    if (s.type === 'candidate-pair') out.pairs[s.id] = s;
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.video = s;
  }
  return out;
}
async function until(what, test) {
  const started = Date.now();
  for (;;) {
    const v = await test();
    if (v) return v;
    if (Date.now() - started > 25000) throw new Error('timed out: ' + what);
    await sleep(200);
  }
}
// A pair that did not exist before the restart, nominated, with answered checks.
async function newPair(pc, before) {
  const s = await stats(pc);
  for (const [id, p] of Object.entries(s.pairs))
    if (!(id in before.pairs) && p.state === 'succeeded' && p.nominated &&
        p.responsesReceived > 0 && pc.iceConnectionState === 'connected')
      return p;
  return null;
}
async function run() {
  const media = await navigator.mediaDevices.getUserMedia(
      {audio: true, video: {width: 320, height: 240}});
  const pub = new RTCPeerConnection();
  for (const t of media.getTracks()) pub.addTransceiver(t, {direction: 'sendonly'});
  const pubSession = await negotiate(pub, 'whip');
  const sub = new RTCPeerConnection();
  sub.addTransceiver('video', {direction: 'recvonly'});
  sub.addTransceiver('audio', {direction: 'recvonly'});
  const subSession = await negotiate(sub, 'whep');
  await until('first frames', async () => (await stats(sub)).video.framesDecoded >= 30);
  const pubBefore = await stats(pub), subBefore = await stats(sub);
  const pubRestart = await restart(pub, pubSession);
  const subRestart = await restart(sub, subSession);
  const pubPair = await until('publisher reconnects', () => newPair(pub, pubBefore));
  const subPair = await until('viewer reconnects', () => newPair(sub, subBefore));
  const framesAt = (await stats(sub)).video.framesDecoded;
  const later = await until('frames after the restart', async () => {
    const v = (await stats(sub)).video;
    return v.framesDecoded >= framesAt + 60 ? v : null;
  });
  report({pubEtagBefore: pubSession.etag, pubEtagAfter: pubRestart.etag,
          subEtagBefore: subSession.etag, subEtagAfter: subRestart.etag,
          pubLocation: pubSession.location,
          pubPairResponses: pubPair.responsesReceived, subPairResponses: subPair.responsesReceived,
          framesAfter: later.framesDecoded - framesAt, pub: pub.connectionState,
          sub: sub.connectionState});
}
run().catch((e) => report({error: String(e)}));
</script>
"""


def test_in_a_page():
    with start_sfu() as sfu:
        report = run_page(PAGE % {"sfu": sfu.http_url, "frag": FRAG}, timeout=90)
        check("error" not in report, "the page failed: %r; rtc-sfu:\n%s"
              % (report, "\n".join(sfu.process.lines()[-20:])))
        print("ice restart: %r" % report)
        check(report["pubEtagAfter"] != report["pubEtagBefore"], "the ETag did not change")
        check(report["subEtagAfter"] != report["subEtagBefore"], "the ETag did not change")
        check(report["framesAfter"] >= 60, "frames after the restart %r" % report)
        check(report["pub"] == "connected" and report["sub"] == "connected", "states %r" % report)
        # A trickle PATCH from before the restart names a stale ETag (RFC 9725 §4.3.1).
        location = report["pubLocation"]
        status = sfu.request("PATCH", location, "a=end-of-candidates\r\n", FRAG,
                             {"If-Match": report["pubEtagBefore"]})[0]
        check_equal(status, 412, "trickle PATCH with the ETag from before the restart")
        status = sfu.request("PATCH", location, "a=end-of-candidates\r\n", FRAG,
                             {"If-Match": report["pubEtagAfter"]})[0]
        check_equal(status, 204, "trickle PATCH with the current ETag")
        check(sum(1 for line in sfu.process.lines() if '"ice restart"' in line) == 2,
              "rtc-sfu did not log two restarts")
        sfu.process.stop()




def test_patch_refusals():
    with start_sfu() as sfu:
        status, headers, answer = sfu.post_offer("whip", "refusals", audio_offer())
        check_equal(status, 201, "WHIP POST")
        location, etag = headers["Location"], headers["ETag"]
        old_ufrag = re.search(r"a=ice-ufrag:(\S+)", answer).group(1)
        check_equal(etag, '"%s"' % old_ufrag, "ETag")
        new = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"

        cases = [
            ("wrong content type", location, new, "text/plain", {"If-Match": "*"}, 415),
            ("restart without a pwd", location, "a=ice-ufrag:abcd\r\n", FRAG, {"If-Match": "*"},
             400),
            ("restart with a short pwd", location, "a=ice-ufrag:abcd\r\na=ice-pwd:x\r\n", FRAG,
             {"If-Match": "*"}, 400),
            ("restart of no session", "/resource/0123456789abcdef01234567", new, FRAG,
             {"If-Match": "*"}, 404),
            ("trickle with a wrong ETag", location, "a=end-of-candidates\r\n", FRAG,
             {"If-Match": '"nope"'}, 412),
            ("trickle with the ETag", location, "a=end-of-candidates\r\n", FRAG,
             {"If-Match": etag}, 204),
        ]
        for what, path, body, content_type, extra, expected in cases:
            status = sfu.request("PATCH", path, body, content_type, extra)[0]
            check_equal(status, expected, what)

        status, headers, frag = sfu.request("PATCH", location, new, FRAG, {"If-Match": "*"})
        check_equal(status, 200, "restart")
        check_equal(headers["Content-Type"], FRAG, "restart reply type")
        new_ufrag = re.search(r"a=ice-ufrag:(\S+)", frag).group(1)
        check(re.search(r"a=ice-pwd:\S{22,}", frag), "no new pwd in %r" % frag)
        check(new_ufrag != old_ufrag, "the ufrag did not change")
        check_equal(headers["ETag"], '"%s"' % new_ufrag, "new ETag")
        status = sfu.request("PATCH", location, "a=end-of-candidates\r\n", FRAG,
                             {"If-Match": etag})[0]
        check_equal(status, 412, "trickle with the ETag from before the restart")
        check_equal(sfu.delete(location), 200, "DELETE")
        sfu.process.stop()


if __name__ == "__main__":
    harness.main({"in_a_page": test_in_a_page, "patch_refusals": test_patch_refusals})
