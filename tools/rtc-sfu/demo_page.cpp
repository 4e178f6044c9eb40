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
const waiting = [];      // answers come back in the order of the requests
const feeds = new Map(); // publisher id -> {stream, video}
const owner = new Map(); // mid of the receiving PC -> publisher id
const pcs = [];          // every PeerConnection this page made
let recv = null;         // the one receiving PeerConnection
let recvCount = 0;       // how many receiving PCs there have been
const send = (m) => ws.send(JSON.stringify(m));
const state = (t) => { document.getElementById('state').textContent = t; };
// Negotiations one at a time; the page always offers, so there is no glare.
let queue = Promise.resolve();
const serially = (task) => { queue = queue.then(task).catch((e) => state('error: ' + e)); };

function newPc() {
  const pc = new RTCPeerConnection();
  pcs.push(pc);
  return pc;
}

async function negotiate(pc, request) {
  await pc.setLocalDescription(await pc.createOffer());
  request.sdp = pc.localDescription.sdp;
  const answer = new Promise((resolve) => waiting.push(resolve));
  send(request);
  const a = await answer;
  if (a.type === 'error') {
    await pc.setLocalDescription({type: 'rollback'});
    throw new Error(a.error);
  }
  for (const mid of a.mids || []) owner.set(mid, request.publisher);
  await pc.setRemoteDescription({type: 'answer', sdp: a.sdp});
}

function addVideo(stream, label, muted) {
  const v = document.createElement('video');
  v.autoplay = true; v.playsInline = true; v.muted = muted; v.title = label;
  v.srcObject = stream;
  document.getElementById('videos').appendChild(v);
  return v;
}

function receiver() {
  if (recv) return recv;
  recv = newPc();
  recvCount++;
  // Never stopped: the first m-line carries the BUNDLE transport while publishers come and go.
  recv.addTransceiver('audio', {direction: 'inactive'});
  recv.ontrack = (e) => {
    const feed = feeds.get(owner.get(e.transceiver.mid));
    if (!feed) return;
    feed.stream.addTrack(e.track);
    if (!feed.video) feed.video = addVideo(feed.stream, 'member ' + owner.get(e.transceiver.mid));
  };
  return recv;
}

// A new publisher: two more receiving transceivers on the same PC, then a new offer.
function watch(id) {
  if (feeds.has(id)) return;
  feeds.set(id, {stream: new MediaStream(), video: null});
  serially(async () => {
    if (!feeds.has(id)) return;
    const pc = receiver();
    const added = [pc.addTransceiver('video', {direction: 'recvonly'}),
                   pc.addTransceiver('audio', {direction: 'recvonly'})];
    try {
      await negotiate(pc, {type: 'subscribe', publisher: id});
    } catch (e) {
      for (const t of added) t.stop();
      throw e;
    }
  });
}

// A publisher left: stop its transceivers and re-offer.
function unwatch(id) {
  const feed = feeds.get(id);
  if (!feed) return;
  feeds.delete(id);
  if (feed.video) feed.video.remove();
  serially(async () => {
    if (!recv) return;
    for (const t of recv.getTransceivers())
      if (t.mid !== null && owner.get(t.mid) === id) { owner.delete(t.mid); t.stop(); }
    await negotiate(recv, {type: 'renegotiate'});
  });
}

async function publish() {
  const media = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  addVideo(media, 'you', true);
  const pc = newPc();
  for (const t of media.getTracks()) pc.addTransceiver(t, {direction: 'sendonly'});
  await negotiate(pc, {type: 'publish'});
}

// For tests: frames decoded per publisher, open PCs, the receiving PC's m-sections.
async function reportStats() {
  const decoded = {};
  const sections = [];
  if (recv) {
    for (const s of (await recv.getStats()).values())
      if (s.type === 'inbound-rtp' && s.kind === 'video' && owner.has(s.mid))
        decoded[owner.get(s.mid)] = s.framesDecoded || 0;
    const sdp = recv.remoteDescription ? recv.remoteDescription.sdp : '';
    for (const m of sdp.split('\r\nm=').slice(1))
      sections.push({mid: (m.match(/a=mid:(\S+)/) || [])[1], port: +m.split(' ')[1],
                     direction: (m.match(/a=(sendrecv|sendonly|recvonly|inactive)/) || [])[1]});
  }
  const owners = Object.fromEntries(owner);
  const open = pcs.filter((pc) => pc.signalingState !== 'closed').length;
  fetch(reportUrl, {method: 'POST', mode: 'no-cors',
                    body: JSON.stringify({me: document.getElementById('me').textContent,
                                          decoded, pcs: open, receivers: recvCount, sections,
                                          owners})})
      .catch(() => {});
}

ws.onmessage = (event) => {
  const m = JSON.parse(event.data);
  if (m.type === 'welcome') {
    document.getElementById('me').textContent = m.id;
    state('joined');
    serially(publish);
    for (const id of m.publishers) watch(id);
    if (reportUrl) setInterval(reportStats, 1000);
  } else if (m.type === 'answer' || m.type === 'error') {
    const resolve = waiting.shift();
    if (resolve) resolve(m); else state('error: ' + m.error);
  } else if (m.type === 'published') {
    watch(m.id);
  } else if (m.type === 'unpublished' || m.type === 'left') {
    unwatch(m.id);
  }
};
ws.onclose = () => state('disconnected');
</script>
)html";
}

} // namespace rtc::sfu_tool
