#!/usr/bin/python3
"""rtc-signal against python3-websockets clients (issue 5 "Tests"): join and relay, sender
stamping, resume with queued delivery and expiry, limits, auth and Origin refusals, malformed
frames and JSON, and that the server keeps serving everyone else.

Usage: signal_ws.py [test...]
"""

import asyncio
import os
import signal
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from signal_server import Client, mint_jwt, run_async, start_signal  # noqa: E402

try:
    import websockets  # noqa: E402
except ImportError:  # pragma: no cover - python3-websockets comes from scripts/deps
    websockets = None

SECRET = "0123456789abcdef-test-secret"


def need_websockets():
    if websockets is None:
        harness.missing_peer("python3 websockets module", "python3-websockets")


async def join(server, room, peer, **query):
    client = await Client.connect(server.ws_url(room, id=peer, **query))
    welcome = await client.recv_type("welcome")
    return client, welcome


async def refused_status(url, **kwargs):
    try:
        ws = await websockets.connect(url, open_timeout=5, **kwargs)
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    raise harness.TestFailure("%s was accepted" % url)


def test_join_relay():
    need_websockets()

    async def body():
        with start_signal() as server:
            alice, welcome = await join(server, "room1", "alice")
            check_equal(welcome["v"], 1, "schema version")
            check_equal(welcome["peers"], [], "alice's welcome peers")
            check(welcome.get("resume"), "no resume token in %r" % welcome)
            bob, welcome = await join(server, "room1", "bob")
            check_equal(welcome["peers"], ["alice"], "bob's welcome peers")
            joined = await alice.recv_type("joined")
            check_equal(joined["id"], "bob", "joined id")

            await alice.send({"type": "offer", "to": "bob", "sdp": "v=0\r\n", "id": 1})
            offer = await bob.recv_type("offer")
            check_equal((offer["from"], offer["sdp"]), ("alice", "v=0\r\n"), "relayed offer")
            await bob.send({"type": "answer", "to": "alice", "sdp": "v=0 answer"})
            check_equal((await alice.recv_type("answer"))["from"], "bob", "answer sender")

            await alice.send({"type": "candidate", "to": "bob",
                              "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                                            "sdpMid": "0", "sdpMLineIndex": 0}})
            cand = await bob.recv_type("candidate")
            check_equal(cand["candidate"]["sdpMid"], "0", "candidate relayed whole")
            await alice.send({"type": "candidate", "to": "bob", "candidate": None})
            end = await bob.recv_type("candidate")
            check(end.get("end") is True, "a null candidate becomes end:true, got %r" % end)

            carol, _ = await join(server, "room1", "carol")
            for who in (alice, bob):
                check_equal((await who.recv_type("joined"))["id"], "carol", "carol joined")
            await alice.send({"type": "message", "data": {"hello": [1, 2]}})
            for who in (bob, carol):
                m = await who.recv_type("message")
                check_equal((m["from"], m["data"]), ("alice", {"hello": [1, 2]}), "broadcast")
            await alice.expect_silence()  # the sender does not get its own broadcast

            await bob.send({"type": "bye", "to": "alice"})
            check_equal((await alice.recv_type("bye"))["from"], "bob", "bye")
            await carol.send({"type": "leave"})
            left = await alice.recv_type("left")
            check_equal((left["id"], left["reason"]), ("carol", "leave"), "left")
            for c in (alice, bob):
                await c.close()
            metrics = server.metrics()
            check(metrics.value("rtc_signal_messages_relayed_total") >= 7,
                  "relayed counter: %r" % metrics.value("rtc_signal_messages_relayed_total"))

    run_async(body())


def test_sender_is_stamped():
    need_websockets()

    async def body():
        with start_signal() as server:
            alice, _ = await join(server, "r", "alice")
            bob, _ = await join(server, "r", "bob")
            await alice.send({"type": "offer", "to": "bob", "from": "mallory", "sdp": "x"})
            offer = await bob.recv_type("offer")
            check_equal(offer["from"], "alice", "a peer cannot speak as another")
            await alice.send({"type": "message", "to": "nobody", "data": 1, "id": "m1"})
            error = await alice.recv_type("error")
            check_equal((error["code"], error.get("ref")), ("unknown-peer", "m1"), "unknown peer")

    run_async(body())


def test_other_rooms_are_separate():
    need_websockets()

    async def body():
        with start_signal() as server:
            a, _ = await join(server, "one", "a")
            b, welcome = await join(server, "two", "b")
            check_equal(welcome["peers"], [], "room two is empty")
            await a.send({"type": "message", "data": "to room one only"})
            await b.expect_silence()
            await a.send({"type": "message", "to": "b", "data": "x"})
            check_equal((await a.recv_type("error"))["code"], "unknown-peer", "cross-room send")
            client = await Client.connect(server.ws_url("", id="c"))
            welcome = await client.recv_type("welcome")
            check(len(welcome["room"]) >= 8, "a new room id was made: %r" % welcome["room"])

    run_async(body())


def test_resume_delivers_queue():
    need_websockets()

    async def body():
        with start_signal(["--resume-grace", "10"]) as server:
            alice, _ = await join(server, "r", "alice")
            bob, welcome = await join(server, "r", "bob")
            token = welcome["resume"]
            bob.ws.transport.abort()  # a drop, not a Close
            away = await alice.recv_type("away")
            check_equal(away["id"], "bob", "away")
            await alice.send({"type": "offer", "to": "bob", "sdp": "queued offer"})
            await alice.send({"type": "message", "to": "bob", "data": 2})
            code = await refused_status(server.ws_url("r", id="bob", resume="wrong"))
            check(code in (403, 409, 410), "a wrong resume token is refused: %d" % code)
            bob2 = await Client.connect(server.ws_url("r", id="bob", resume=token))
            welcome = await bob2.recv_type("welcome")
            check(welcome["resumed"] is True, "resumed: %r" % welcome)
            offer = await bob2.recv_type("offer")
            check_equal((offer["from"], offer["sdp"]), ("alice", "queued offer"), "queued")
            check_equal((await bob2.recv_type("message"))["data"], 2, "queue order")
            check_equal((await alice.recv_type("back"))["id"], "bob", "back")
            metrics = server.metrics()
            check_equal(metrics.value("rtc_signal_resumes_total"), 1.0, "resumes counter")

    run_async(body())


def test_expired_queue_tells_sender():
    need_websockets()

    async def body():
        with start_signal(["--resume-grace", "1"]) as server:
            alice, _ = await join(server, "r", "alice")
            bob, _ = await join(server, "r", "bob")
            bob.ws.transport.abort()
            await alice.recv_type("away")
            await alice.send({"type": "offer", "to": "bob", "sdp": "late", "id": 7})
            seen = {}
            for _ in range(10):  # "expired" and "left" come together, in either order
                m = await alice.recv(timeout=5)
                seen[m["type"]] = m
                if "expired" in seen and "left" in seen:
                    break
            expired, left = seen.get("expired", {}), seen.get("left", {})
            check_equal((expired.get("to"), expired.get("ref"), expired.get("of")),
                        ("bob", 7, "offer"), "expired notice")
            check_equal((left.get("id"), left.get("reason")), ("bob", "gone"), "left after grace")

    run_async(body())


def test_id_taken_and_room_full():
    need_websockets()

    async def body():
        with start_signal(["--max-peers-per-room", "2"]) as server:
            a, _ = await join(server, "r", "a")
            check_equal(await refused_status(server.ws_url("r", id="a")), 409, "id taken")
            b, _ = await join(server, "r", "b")
            check_equal(await refused_status(server.ws_url("r", id="c")), 403, "room full")
            check_equal(await refused_status(server.ws_url("r", id="bad/id")), 400, "bad id")
            check_equal(await refused_status(server.ws_url("a/b")), 404, "deep path")
            await a.send({"type": "message", "to": "b", "data": "still fine"})
            check_equal((await b.recv_type("message"))["data"], "still fine", "served after")

    run_async(body())


def test_bad_messages_keep_serving():
    need_websockets()

    async def body():
        with start_signal() as server:
            a, _ = await join(server, "r", "a")
            b, _ = await join(server, "r", "b")
            await a.ws.send("{not json")
            check_equal((await a.recv_type("error"))["code"], "bad-json", "bad JSON")
            await a.ws.send("[1,2,3]")
            check_equal((await a.recv_type("error"))["code"], "bad-message", "not an object")
            await a.send({"type": "teleport", "to": "b"})
            check_equal((await a.recv_type("error"))["code"], "unknown-type", "unknown type")
            await a.ws.send('{"type":"message","data":' + "[" * 5000 + "]" * 5000 + "}")
            check_equal((await a.recv_type("error"))["code"], "bad-json", "deep JSON")
            await b.send({"type": "message", "data": "alive"})
            check_equal((await a.recv_type("message"))["data"], "alive", "a still served")
            metrics = server.metrics()
            check(metrics.value("rtc_signal_drops_total", reason="bad_json") >= 1,
                  "bad_json drops counted")

    run_async(body())


def test_limits_close_codes():
    need_websockets()

    async def body():
        with start_signal(["--max-message-size", "1024", "--max-messages-per-second", "5"]) \
                as server:
            a, _ = await join(server, "r", "a")
            b, _ = await join(server, "r", "b")
            await a.ws.send("x" * 5000)
            check_equal(await a.closed_code(), 1009, "too big")

            c, _ = await join(server, "r", "c")
            codes = []
            try:
                for i in range(200):
                    await c.send({"type": "message", "to": "b", "data": i})
            except websockets.exceptions.ConnectionClosed as closed:
                codes.append(closed.code)
            if not codes:
                codes.append(await c.closed_code())
            check_equal(codes[0], 1008, "a flood ends with 1008")
            d, _ = await join(server, "r", "d")
            await d.send({"type": "message", "to": "b", "data": "after the flood"})
            for _ in range(300):  # c's messages that got through come first
                got = await b.recv_type("message", timeout=5)
                if got["from"] == "d":
                    break
            check_equal(got["data"], "after the flood", "b still served")
            metrics = server.metrics()
            check(metrics.value("rtc_signal_drops_total", reason="rate") >= 1, "rate drops")
            check(metrics.value("rtc_signal_websocket_errors_total", reason="too_big") >= 1,
                  "too_big closes")

    run_async(body())


def test_jwt_auth():
    need_websockets()

    async def body():
        env = dict(os.environ, RTC_SIGNAL_TOKEN_SECRET=SECRET)
        with start_signal(env=env) as server:
            now = int(time.time())
            url = server.ws_url("r", id="alice")
            check_equal(await refused_status(url), 401, "no token")
            bad = mint_jwt("another-secret-0123456789", {"exp": now + 60})
            check_equal(await refused_status(url + "&token=" + bad), 401, "wrong secret")
            old = mint_jwt(SECRET, {"exp": now - 60})
            check_equal(await refused_status(url + "&token=" + old), 401, "expired")
            other_room = mint_jwt(SECRET, {"exp": now + 60, "room": "elsewhere"})
            check_equal(await refused_status(url + "&token=" + other_room), 403, "room claim")
            other_peer = mint_jwt(SECRET, {"exp": now + 60, "sub": "bob"})
            check_equal(await refused_status(url + "&token=" + other_peer), 403, "sub claim")
            none_alg = mint_jwt(SECRET, {"exp": now + 60}, alg="none")
            check_equal(await refused_status(url + "&token=" + none_alg), 401, "alg none")
            good = mint_jwt(SECRET, {"exp": now + 60, "room": "r", "sub": "alice"})
            client = await Client.connect(url + "&token=" + good)
            check_equal((await client.recv_type("welcome"))["id"], "alice", "admitted")
            header = mint_jwt(SECRET, {"exp": now + 60, "sub": "carol"})
            client2 = await Client.connect(server.ws_url("r"),
                                           extra_headers={"Authorization": "Bearer " + header})
            check_equal((await client2.recv_type("welcome"))["id"], "carol",
                        "Bearer header, id from sub")
            check(server.metrics().value("rtc_signal_auth_failures_total") >= 4,
                  "auth failures counted")

    run_async(body())


def test_origin_policy():
    need_websockets()

    async def body():
        with start_signal() as server:
            url = server.ws_url("r", id="a")
            check_equal(await refused_status(url, origin="http://evil.example"), 403,
                        "cross-origin browser refused by default")
            same = "http://127.0.0.1:%d" % server.port
            client = await Client.connect(url, origin=same)
            await client.recv_type("welcome")
        with start_signal(["--allow-origin", "https://app.example"]) as server:
            client = await Client.connect(server.ws_url("r", id="a"), origin="https://app.example")
            await client.recv_type("welcome")
            check_equal(await refused_status(server.ws_url("r", id="b"),
                                             origin="https://other.example"), 403, "not listed")

    run_async(body())


def raw_handshake(port, path="/r?id=raw"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, port))
    sock.sendall(request.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        check(chunk, "connection closed during the handshake")
        data += chunk
    check(data.startswith(b"HTTP/1.1 101"), "handshake: %r" % data[:40])
    return sock, data.split(b"\r\n\r\n", 1)[1]


def read_close_code(sock, pending=b""):
    """Reads frames until a Close; returns its code (bounded by the socket timeout)."""
    data = pending
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        while len(data) >= 2:
            opcode, length = data[0] & 0x0F, data[1] & 0x7F
            offset = 2
            if length == 126:
                if len(data) < 4:
                    break
                length, offset = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127:
                if len(data) < 10:
                    break
                length, offset = struct.unpack("!Q", data[2:10])[0], 10
            if len(data) < offset + length:
                break
            payload = data[offset:offset + length]
            data = data[offset + length:]
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return None


def masked_frame(opcode, payload, mask=True):
    head = bytes([0x80 | opcode])
    key = b"\x01\x02\x03\x04"
    length = len(payload)
    bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([bit | length])
    else:
        head += bytes([bit | 126]) + struct.pack("!H", length)
    if not mask:
        return head + payload
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_malformed_frames():
    need_websockets()

    async def body():
        with start_signal() as server:
            keeper, _ = await join(server, "r", "keeper")
            cases = [
                ("unmasked frame", masked_frame(0x1, b'{"type":"leave"}', mask=False), 1002),
                ("bad UTF-8", masked_frame(0x1, b"\xff\xfe\xfd"), 1007),
                ("reserved opcode", masked_frame(0x3, b"x"), 1002),
                ("fragmented ping", bytes([0x09, 0x80]) + b"\x00\x00\x00\x00", 1002),
            ]
            for i, (what, frame, expected) in enumerate(cases):
                sock, pending = raw_handshake(server.port, "/r?id=raw%d" % i)
                with sock:
                    sock.sendall(frame)
                    code = await asyncio.get_running_loop().run_in_executor(
                        None, read_close_code, sock, pending)
                    check_equal(code, expected, what)
            other, _ = await join(server, "r", "other")
            await other.send({"type": "message", "to": "keeper", "data": "ok"})
            check_equal((await keeper.recv_type("message"))["data"], "ok", "others still served")
            check(server.metrics().value("rtc_signal_websocket_errors_total",
                                         reason="protocol_error") >= 3, "protocol errors counted")

    run_async(body())


def test_wss_cert_auto_and_shutdown():
    need_websockets()

    async def body():
        server = start_signal(["--cert", "auto"], listens=("https://127.0.0.1:0",))
        with server:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            client = await Client.connect(server.ws_url("r", id="a"), ssl=context)
            await client.recv_type("welcome")
            server.process.send_signal(signal.SIGTERM)
            check_equal(await client.closed_code(), 1001, "shutdown closes with 1001")
            check_equal(server.process.popen.wait(timeout=10), 0, "exit code after SIGTERM")

    run_async(body())


if __name__ == "__main__":
    harness.main({
        "join_relay": test_join_relay,
        "sender_is_stamped": test_sender_is_stamped,
        "other_rooms_are_separate": test_other_rooms_are_separate,
        "resume_delivers_queue": test_resume_delivers_queue,
        "expired_queue_tells_sender": test_expired_queue_tells_sender,
        "id_taken_and_room_full": test_id_taken_and_room_full,
        "bad_messages_keep_serving": test_bad_messages_keep_serving,
        "limits_close_codes": test_limits_close_codes,
        "jwt_auth": test_jwt_auth,
        "origin_policy": test_origin_policy,
        "malformed_frames": test_malformed_frames,
        "wss_cert_auto_and_shutdown": test_wss_cert_auto_and_shutdown,
    })
