#!/usr/bin/python3
"""Two headless Chromium pages negotiate a real RTCPeerConnection through rtc-signal over wss
(--cert auto; the browser is told to accept it) and exchange a data-channel message each way
(issue 5 "Tests"). The pages are served by rtc-signal's own --web-root, so the default Origin
policy (same origin only) admits them. Each page reports to an observer peer in the room,
which is this test (python3-websockets), so no second web server is needed.

Usage: signal_chromium.py [test...]
"""

import os
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import chromium  # noqa: E402
import harness  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402
from signal_server import Client, run_async, start_signal  # noqa: E402

PAGE = """<!doctype html><meta charset="utf-8"><title>rtc-signal browser test</title><script>
const me = new URLSearchParams(location.search).get('id');
const other = me === 'a' ? 'b' : 'a';
const ws = new WebSocket('wss://' + location.host + '/chat?id=' + me);
const send = (m) => ws.send(JSON.stringify(m));
const report = (data) => send({type: 'message', to: 'observer', data: Object.assign({from: me}, data)});
window.onerror = (m) => report({error: String(m)});
const pc = new RTCPeerConnection({iceServers: []});
pc.onicecandidate = (e) => send({type: 'candidate', to: other,
                                 candidate: e.candidate ? e.candidate.toJSON() : null});
let offered = false;
function wire(channel) {
  channel.onopen = () => channel.send('hello from ' + me);
  channel.onmessage = (m) => report({received: m.data});
}
pc.ondatachannel = (e) => wire(e.channel);
async function offer() {
  if (offered) return;
  offered = true;
  wire(pc.createDataChannel('chat'));
  await pc.setLocalDescription(await pc.createOffer());
  send({type: 'offer', to: other, sdp: pc.localDescription.sdp});
}
ws.onmessage = async (event) => {
  const m = JSON.parse(event.data);
  if (m.type === 'welcome' && me === 'a' && m.peers.includes('b')) await offer();
  else if (m.type === 'joined' && me === 'a' && m.id === 'b') await offer();
  else if (m.type === 'offer') {
    await pc.setRemoteDescription({type: 'offer', sdp: m.sdp});
    await pc.setLocalDescription(await pc.createAnswer());
    send({type: 'answer', to: m.from, sdp: pc.localDescription.sdp});
  } else if (m.type === 'answer') {
    await pc.setRemoteDescription({type: 'answer', sdp: m.sdp});
  } else if (m.type === 'candidate') {
    if (m.end) await pc.addIceCandidate(null).catch(() => {});
    else await pc.addIceCandidate(m.candidate);
  }
};
ws.onerror = () => console.log('websocket error');
</script>
"""


def test_two_pages_data_channel():
    root = harness.temp_dir()
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE)

    async def body():
        with start_signal(["--cert", "auto", "--web-root", root],
                          listens=("https://127.0.0.1:0",)) as server:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            observer = await Client.connect(server.ws_url("chat", id="observer"), ssl=context)
            await observer.recv_type("welcome")
            base = "https://127.0.0.1:%d/" % server.port
            browsers = [Process(chromium.chromium_argv(base + "?id=" + who,
                                                       extra=["--ignore-certificate-errors"]))
                        for who in ("a", "b")]
            try:
                received = {}
                for _ in range(50):
                    m = await observer.recv_type("message", timeout=45)
                    data = m["data"]
                    check("error" not in data, "a page failed: %r" % data)
                    check_equal(m["from"], data["from"], "the server stamped the page's id")
                    received[data["from"]] = data["received"]
                    if len(received) == 2:
                        break
            except harness.TestFailure as e:
                logs = "\n".join(b.output()[-3000:] for b in browsers)
                raise harness.TestFailure("%s; chromium:\n%s" % (e, logs))
            finally:
                for b in browsers:
                    b.kill()
            check_equal(received, {"a": "hello from b", "b": "hello from a"},
                        "data-channel messages")
            m = server.metrics()
            check(m.value("rtc_signal_messages_relayed_total") >= 4, "offer, answer, candidates")

    run_async(body(), timeout=90)


if __name__ == "__main__":
    harness.main({"two_pages_data_channel": test_two_pages_data_channel})
