#!/usr/bin/python3
"""The PeerJS wire protocol of rtc-signal --peerjs, spoken by hand with python3-websockets
(issue 5 "PeerJS compatibility"): OPEN, relaying as {type,src,dst,payload}, ID-TAKEN and the
same-token takeover, the key and parameter errors, queued delivery, EXPIRE after 5 s, and
GET /KEY/id.

Usage: peerjs_wire.py [test...]

RTC_PEERJS_PEER_BIN=.../node_modules/peer/dist/bin/peerjs.js runs the same checks against the
reference PeerJS server (npm `peer` 1.0.2) instead, to check the test's expectations; checks of
what only rtc-signal does (metrics, closing a replaced socket) are then left out.
"""

import asyncio
import os
import re
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import harness  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402
from signal_server import Client, run_async, start_signal  # noqa: E402

try:
    import websockets  # noqa: E402
except ImportError:  # pragma: no cover - python3-websockets comes from scripts/deps
    websockets = None

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PEER_BIN = os.environ.get("RTC_PEERJS_PEER_BIN")


class Server:
    """rtc-signal --peerjs, or the reference server when RTC_PEERJS_PEER_BIN is set."""

    def __init__(self, key="peerjs"):
        self.key = key
        self.signal = None
        self.process = None
        if PEER_BIN:
            port = harness.free_port("tcp")
            node = harness.require_program("node", "nodejs")
            self.process = Process([node, PEER_BIN, "--port", str(port), "--host", "127.0.0.1",
                                    "--key", key])
            self.process.wait_line(lambda line: "Started PeerServer" in line,
                                   stream_name="stdout")
            self.port = port
        else:
            self.signal = start_signal(["--peerjs", "--peerjs-key", key])
            self.port = self.signal.port

    def url(self, **query):
        text = "ws://127.0.0.1:%d/peerjs" % self.port
        if query:
            text += "?" + "&".join("%s=%s" % (k, v) for k, v in query.items())
        return text

    def http(self, path):
        """(status, content type, body) of GET path."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path),
                                        timeout=5) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read().decode()

    def metric(self, name):
        return self.signal.metrics().value(name) if self.signal else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.signal:
            self.signal.process.kill()
        if self.process:
            self.process.kill()
        return False


def need_websockets():
    if websockets is None:
        harness.missing_peer("python3 websockets module", "python3-websockets")


async def connect(server, peer_id, token="tok", key=None):
    """A socket like peerjs 1.5.5 opens it (its URL carries version=1.5.5)."""
    return await Client.connect(server.url(key=key or server.key, id=peer_id, token=token,
                                           version="1.5.5"))


async def opened(server, peer_id, token="tok"):
    client = await connect(server, peer_id, token)
    check_equal(await client.recv(), {"type": "OPEN"}, "first message to " + peer_id)
    return client


async def send_text(client, text):
    await client.ws.send(text)


def test_open_and_relay():
    need_websockets()

    async def body():
        with Server() as server:
            alice = await opened(server, "alice")
            bob = await opened(server, "bob")
            await alice.send({"type": "HEARTBEAT"})
            await alice.send({"type": "OFFER", "src": "mallory", "dst": "bob", "extra": 1,
                              "payload": {"sdp": {"type": "offer", "sdp": "v=0\r\n"},
                                          "type": "data", "connectionId": "dc_x"}})
            offer = await bob.recv()
            check_equal(offer, {"type": "OFFER", "src": "alice", "dst": "bob",
                                "payload": {"sdp": {"type": "offer", "sdp": "v=0\r\n"},
                                            "type": "data", "connectionId": "dc_x"}},
                        "relayed OFFER (src set by the server, extra fields dropped)")
            check_equal(list(offer), ["type", "src", "dst", "payload"], "field order")
            await bob.send({"type": "ANSWER", "dst": "alice", "payload": {"sdp": "a"}})
            check_equal(await alice.recv(), {"type": "ANSWER", "src": "bob", "dst": "alice",
                                             "payload": {"sdp": "a"}}, "relayed ANSWER")
            await alice.send({"type": "CANDIDATE", "dst": "bob",
                              "payload": {"candidate": {"candidate": "candidate:1 1 udp 1 "
                                                        "127.0.0.1 9 typ host"}}})
            check_equal((await bob.recv())["type"], "CANDIDATE", "relayed CANDIDATE")
            await alice.send({"type": "LEAVE", "dst": "bob"})
            check_equal(await bob.recv(), {"type": "LEAVE", "src": "alice", "dst": "bob"},
                        "relayed LEAVE without payload")
            # Garbage is ignored and the socket keeps working. (peer 1.0.2 rethrows a JSON
            # syntax error as an uncaught exception and stops reading that socket.)
            if server.signal:
                await send_text(alice, "{not json")
            await send_text(alice, "[1,2,3]")
            await alice.send({"type": "NONSENSE", "dst": "bob"})
            await alice.send({"type": "OFFER", "dst": "bob", "payload": 2})
            check_equal(await bob.recv(), {"type": "OFFER", "src": "alice", "dst": "bob",
                                           "payload": 2}, "relay after garbage")
            await alice.expect_silence(0.3)  # HEARTBEAT has no answer
            if server.signal:
                check(server.metric("rtc_signal_peerjs_relayed_total") >= 5, "relayed count")
                check_equal(server.metric("rtc_signal_peerjs_clients"), 2, "clients gauge")

    run_async(body())


def test_errors_and_id_taken():
    need_websockets()

    async def body():
        with Server(key="k1") as server:
            bad = await connect(server, "alice", key="wrong")
            check_equal(await bad.recv(), {"type": "ERROR",
                                           "payload": {"msg": "Invalid key provided"}},
                        "bad key")
            await bad.closed_code()
            missing = await Client.connect(server.url(key="k1", id="alice"))
            check_equal(await missing.recv(), {"type": "ERROR", "payload": {
                "msg": "No id, token, or key supplied to websocket server"}}, "no token")
            await missing.closed_code()

            alice = await opened(server, "alice", token="t1")
            thief = await connect(server, "alice", token="t2")
            check_equal(await thief.recv(), {"type": "ID-TAKEN",
                                             "payload": {"msg": "ID is taken"}}, "ID-TAKEN")
            await thief.closed_code()
            # alice still owns her id.
            bob = await opened(server, "bob")
            await bob.send({"type": "OFFER", "dst": "alice", "payload": 1})
            check_equal((await alice.recv())["src"], "bob", "alice still reachable")

            # Same token while connected: the new socket takes the id over, with no OPEN.
            alice2 = await connect(server, "alice", token="t1")
            await alice2.expect_silence(0.3)
            await bob.send({"type": "OFFER", "dst": "alice", "payload": 2})
            check_equal((await alice2.recv())["payload"], 2, "delivered to the new socket")
            if server.signal:
                await alice.closed_code()  # rtc-signal closes the replaced socket
            await alice2.send({"type": "ANSWER", "dst": "bob", "payload": 3})
            check_equal(await bob.recv(), {"type": "ANSWER", "src": "alice", "dst": "bob",
                                           "payload": 3}, "the new socket speaks as alice")
            # Once alice's socket is gone, anyone may take the id.
            await alice2.close()
            deadline = time.monotonic() + 5
            while True:
                other = await connect(server, "alice", token="t3")
                first = await other.recv()
                if first == {"type": "OPEN"}:
                    break
                check(time.monotonic() < deadline, "alice's id never freed: %r" % first)
                await asyncio.sleep(0.05)

    run_async(body())


def test_queued_delivery():
    need_websockets()

    async def body():
        with Server() as server:
            alice = await opened(server, "alice")
            await alice.send({"type": "OFFER", "dst": "bob", "payload": "first"})
            await alice.send({"type": "CANDIDATE", "dst": "bob", "payload": "second"})
            await alice.send({"type": "LEAVE", "dst": "bob"})  # not queued
            await asyncio.sleep(0.5)  # bob comes later, well within the 5 s
            bob = await connect(server, "bob")
            check_equal(await bob.recv(), {"type": "OPEN"}, "OPEN first")
            check_equal(await bob.recv(), {"type": "OFFER", "src": "alice", "dst": "bob",
                                           "payload": "first"}, "queued OFFER")
            check_equal(await bob.recv(), {"type": "CANDIDATE", "src": "alice", "dst": "bob",
                                           "payload": "second"}, "queued CANDIDATE")
            await bob.expect_silence(0.3)
            # Delivered: alice is not told anything when the 5 s are over.
            await alice.expect_silence(6.5)

    run_async(body())


def test_expire_after_5s():
    need_websockets()

    async def body():
        with Server() as server:
            alice = await opened(server, "alice")
            carol = await opened(server, "carol")
            start = time.monotonic()
            await alice.send({"type": "OFFER", "dst": "nobody", "payload": 1})
            await alice.send({"type": "CANDIDATE", "dst": "nobody", "payload": 2})
            await carol.send({"type": "OFFER", "dst": "nobody", "payload": 3})
            expire = await alice.recv(timeout=8)
            elapsed = time.monotonic() - start
            check_equal(expire, {"type": "EXPIRE", "src": "nobody", "dst": "alice"}, "EXPIRE")
            # peer checks every second: 5-6 s there; rtc-signal expires at 5 s.
            check(4.8 <= elapsed <= 6.8, "EXPIRE after %.2f s, expected about 5" % elapsed)
            check_equal(await carol.recv(timeout=2),
                        {"type": "EXPIRE", "src": "nobody", "dst": "carol"}, "carol's EXPIRE")
            await alice.expect_silence(1.2)  # once per sender
            # The id comes later: nothing old for it.
            nobody = await opened(server, "nobody")
            await nobody.expect_silence(0.3)

    run_async(body())


def test_get_id():
    with Server() as server:
        ids = set()
        for _ in range(3):
            status, content_type, body = server.http("/peerjs/id?ts=123&version=1.5.5")
            check_equal(status, 200, "GET /peerjs/id status")
            check(content_type.startswith("text/html"), "content type %r" % content_type)
            check(UUID_V4.match(body), "not a uuid v4: %r" % body)
            ids.add(body)
        check_equal(len(ids), 3, "distinct ids")
        status, _, _ = server.http("/peerjs/peers")
        check_equal(status, 401, "discovery is off by default")


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
