#include "demo_page.hpp"

namespace rtc::sfu_tool {

std::string_view demo_page() {
    return R"html(<!doctype html>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>rtc-sfu room</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 1em; }
  video { width: 320px; height: 240px; background: #222; margin: 4px; }
</style>
<p>Room <b id="room"></b>, you are <b id="me">...</b>: <span id="state">connecting</span></p>
<div id="videos"></div>
<script>
const params = new URLSearchParams(location.search);
const room = params.get('room') || 'demo';
const reportUrl = params.get('report');
document.getElementById('room').textContent = room;
const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
const token = params.get('token');
const ws = new WebSocket(scheme + location.host + '/ws/' + encodeURIComponent(room) +
                         (token ? '?token=' + encodeURIComponent(token) : ''));
const waiting = [];         // answers come back in the order of the requests
const watching = new Map(); // publisher id -> {pc, video}
const send = (m) => ws.send(JSON.stringify(m));
const state = (t) => { document.getElementById('state').textContent = t; };

async function negotiate(pc, request) {
  await pc.setLocalDescription(await pc.createOffer());
  request.sdp = pc.localDescription.sdp;
  const answer = new Promise((resolve) => waiting.push(resolve));
  send(request);
  const a = await answer;
  if (a.type === 'error') throw new Error(a.error);
  await pc.setRemoteDescription({type: 'answer', sdp: a.sdp});
}

function addVideo(stream, label, muted) {
  const v = document.createElement('video');
  v.autoplay = true; v.playsInline = true; v.muted = muted; v.title = label;
  v.srcObject = stream;
  document.getElementById('videos').appendChild(v);
  return v;
}

async function watch(id) {
  if (watching.has(id)) return;
  const pc = new RTCPeerConnection();
  const entry = {pc, video: null};
  watching.set(id, entry);
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    if (!entry.video) entry.video = addVideo(stream, 'member ' + id, false);
  };
  await negotiate(pc, {type: 'subscribe', publisher: id});
}

function unwatch(id) {
  const entry = watching.get(id);
  if (!entry) return;
  entry.pc.close();
  if (entry.video) entry.video.remove();
  watching.delete(id);
}

async function publish() {
  const media = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  addVideo(media, 'you', true);
  const pc = new RTCPeerConnection();
  for (const t of media.getTracks()) pc.addTransceiver(t, {direction: 'sendonly'});
  await negotiate(pc, {type: 'publish'});
}

async function reportStats() {
  const decoded = {};
  for (const [id, {pc}] of watching) {
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'video') decoded[id] = s.framesDecoded || 0;
  }
  fetch(reportUrl, {method: 'POST', mode: 'no-cors',
                    body: JSON.stringify({me: document.getElementById('me').textContent,
                                          decoded})}).catch(() => {});
}

ws.onmessage = async (event) => {
  const m = JSON.parse(event.data);
  try {
    if (m.type === 'welcome') {
      document.getElementById('me').textContent = m.id;
      state('joined');
      await publish();
      for (const id of m.publishers) await watch(id);
      if (reportUrl) setInterval(reportStats, 1000);
    } else if (m.type === 'answer' || m.type === 'error') {
      const resolve = waiting.shift();
      if (resolve) resolve(m); else state('error: ' + m.error);
    } else if (m.type === 'published') {
      await watch(m.id);
    } else if (m.type === 'unpublished' || m.type === 'left') {
      unwatch(m.id);
    }
  } catch (e) {
    state('error: ' + e);
  }
};
ws.onclose = () => state('disconnected');
</script>
)html";
}

} // namespace rtc::sfu_tool
