#!/usr/bin/env python3
"""rtc-sfu against aiortc 1.4 (python3-aiortc, run with /usr/bin/python3).

An aiortc publisher sends audio and video by WHIP; aiortc subscribers watch by WHEP. Each test
asserts what could fail: ICE completed and DTLS connected on every peer, frames decoded on every
subscriber, the server's metrics (forwarded packets, peers gone after DELETE).
"""

import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from aiortc_peer import (Viewer, connected, http, new_pc, require_aiortc, run,  # noqa: E402
                         wait_for, with_setup)
from harness import check  # noqa: E402
from lossy_proxy import LossyProxy  # noqa: E402
from recording_check import check_recording  # noqa: E402
from sfu_server import start_sfu  # noqa: E402

try:
    from aiortc import RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
except ImportError:  # require_aiortc() skips or fails first
    pass


async def sending_pc():
    """An aiortc PeerConnection sending test audio and video, its offer set."""
    pc = new_pc()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(VideoStreamTrack())
    for t in pc.getTransceivers():
        t.direction = "sendonly"
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def publish(server, stream, headers=None, proxy=None, setup=None):
    pc = await sending_pc()
    status, hdrs, body = await http(server, "POST", "/whip/" + stream,
                                    with_setup(pc.localDescription.sdp, setup), "application/sdp",
                                    headers)
    check(status == 201, "WHIP POST answered %d: %s" % (status, body))
    check(hdrs.get("Location", "").startswith("/resource/"), "no Location: %s" % dict(hdrs))
    check(hdrs.get("ETag"), "no ETag")
    check(hdrs.get("Content-Type", "").startswith("application/sdp"), "answer not SDP")
    if proxy:
        body = proxy.rewrite_answer(body)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return pc, hdrs["Location"]


async def check_stats(server, location, viewers):
    """GET /stats: the stream with its publisher and both viewers, per-track counters."""
    status, _, body = await http(server, "GET", "/stats")
    check(status == 200, "GET /stats answered %d" % status)
    stats = json.loads(body)
    publisher = location.rsplit("/", 1)[1]
    watchers = sorted(v.location.rsplit("/", 1)[1] for v in viewers)
    check(stats["streams"] == [{"name": "cam1", "publisher": publisher, "subscribers": watchers}],
          "streams %r" % stats["streams"])
    peers = {p["resource"]: p for p in stats["peers"]}
    pub = peers[publisher]
    check(pub["role"] == "publisher" and pub["connected"], "publisher %r" % pub)
    kinds = sorted(t["kind"] for t in pub["tracks"])
    check(kinds == ["audio", "video"], "publisher tracks %r" % kinds)
    for t in pub["tracks"]:
        check(t["layers"][0]["packets"] > 0, "nothing received on %r" % t)
    for w in watchers:
        tracks = peers[w]["tracks"]
        check(all(t["source"] == publisher and t["packets"] > 0 for t in tracks),
              "viewer %s tracks %r" % (w, tracks))
        check(peers[w]["address"].startswith("127.0.0.1:"), "viewer address %r" % peers[w])


def test_both_dtls_roles():
    """A publisher and a viewer that offer a=setup:passive get a=setup:active answers: the SFU
    is their DTLS client (RFC 8842 §5.3); another viewer keeps the usual roles. Media flows."""
    require_aiortc()
    with start_sfu() as server:
        async def scenario():
            pub, _ = await publish(server, "roles", setup="passive")
            check(pub.remoteDescription.sdp.count("a=setup:active") >= 1, "publisher's answer")
            viewers = [Viewer(), Viewer()]
            await viewers[0].subscribe(server, "roles", setup="passive")
            await viewers[1].subscribe(server, "roles")
            check("a=setup:active" in viewers[0].pc.remoteDescription.sdp, "viewer 0's answer")
            check("a=setup:passive" in viewers[1].pc.remoteDescription.sdp, "viewer 1's answer")
            await wait_for(lambda: connected(pub), "publisher connected")
            for i, v in enumerate(viewers):
                await wait_for(lambda: connected(v.pc), "viewer %d connected" % i)
                await wait_for(lambda: v.frames["video"] >= 30,
                               "viewer %d decoding video (%s)" % (i, v.frames))
            for v in viewers:
                await v.close()
            await pub.close()
        run(scenario())
        server.process.stop()


def test_room_over_websocket():
    """The rooms API with aiortc on both sides: two members publish over /ws/ROOM, a third
    subscribes to the first and then, renegotiating the same PeerConnection with two more
    receive-only sections, to the second; it decodes both."""
    require_aiortc()
    import websockets

    async def member(ws_url):
        ws = await websockets.connect(ws_url, open_timeout=5)
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
        check(welcome["type"] == "welcome", "welcome %r" % welcome)
        return ws, welcome["id"]

    async def reply(ws, kind):
        while True:  # "published" events of the others may come first
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            check(message["type"] != "error", "room error %r" % message)
            if message["type"] == kind:
                return message

    async def publish_in_room(ws):
        pc = await sending_pc()
        await ws.send(json.dumps({"type": "publish", "sdp": pc.localDescription.sdp}))
        answer = await reply(ws, "answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        return pc

    async def subscribe(ws, viewer, publisher):
        for kind in ("audio", "video"):
            viewer.pc.addTransceiver(kind, direction="recvonly")
        await viewer.pc.setLocalDescription(await viewer.pc.createOffer())
        await ws.send(json.dumps({"type": "subscribe", "publisher": publisher,
                                  "sdp": viewer.pc.localDescription.sdp}))
        answer = await reply(ws, "answer")
        check(answer["publisher"] == publisher and len(answer["mids"]) == 2,
              "subscribe answer %r" % {k: v for k, v in answer.items() if k != "sdp"})
        await viewer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"],
                                                                   type="answer"))
        return answer

    with start_sfu() as server:
        async def scenario():
            url = server.http_url.replace("http://", "ws://") + "/ws/aio"
            (ws_a, id_a), (ws_b, id_b), (ws_c, _) = [await member(url) for _ in range(3)]
            pub_a = await publish_in_room(ws_a)
            pub_b = await publish_in_room(ws_b)
            viewer = Viewer()
            first = await subscribe(ws_c, viewer, id_a)
            await wait_for(lambda: connected(viewer.pc), "room viewer connected")
            await wait_for(lambda: viewer.frames["video"] >= 20,
                           "room viewer decoding A (%s)" % viewer.frames)
            before = viewer.frames["video"]
            second = await subscribe(ws_c, viewer, id_b)
            check(second["resource"] == first["resource"], "a second receiving session")
            # Two video tracks now arrive on one PeerConnection: frames come about twice as
            # fast; wait for 40 more than before.
            await wait_for(lambda: viewer.frames["video"] >= before + 40,
                           "room viewer decoding A and B (%s)" % viewer.frames)
            m = server.metrics()
            check(m.value("rtc_sfu_publishers") == 2 and m.value("rtc_sfu_subscribers") == 1,
                  "one receiving session for two publishers")
            status, _, body = await http(server, "GET", "/stats")
            peers = {p["resource"]: p for p in json.loads(body)["peers"]}
            sources = {t["source"] for t in peers[first["resource"]]["tracks"]}
            check(len(sources) == 2, "receiving session fed by %r" % sources)
            await viewer.close()
            for pc in (pub_a, pub_b):
                await pc.close()
            for ws in (ws_a, ws_b, ws_c):
                await ws.close()
        run(scenario())
        server.process.stop()


def test_whip_whep_two_viewers():
    require_aiortc()
    with start_sfu() as server:
        async def scenario():
            pub, location = await publish(server, "cam1")
            viewers = [Viewer(), Viewer()]
            for v in viewers:
                await v.subscribe(server, "cam1")
            await wait_for(lambda: connected(pub), "publisher connected")
            for i, v in enumerate(viewers):
                await wait_for(lambda: connected(v.pc), "viewer %d connected" % i)
            for i, v in enumerate(viewers):
                await wait_for(lambda: v.frames["video"] >= 30 and v.frames["audio"] >= 50,
                               "viewer %d decoding audio and video (%s)" % (i, v.frames))
                check((640, 480) in v.sizes, "viewer %d decoded sizes %s" % (i, v.sizes))
            m = server.metrics()
            check(m.value("rtc_sfu_publishers") == 1, "publishers gauge")
            check(m.value("rtc_sfu_subscribers") == 2, "subscribers gauge")
            check(m.value("rtc_sfu_connected_peers") == 3, "connected gauge")
            forwarded = m.value("rtc_sfu_rtp_packets_total", direction="out")
            received = m.value("rtc_sfu_rtp_packets_total", direction="in")
            check(forwarded >= received, "forwarded %d < received %d with two viewers"
                  % (forwarded, received))
            check(m.value("rtc_sfu_keyframe_requests_total") >= 1, "no PLI sent for the viewers")
            await check_stats(server, location, viewers)
            # DELETE ends each session (RFC 9725 §4.4); the server forgets the peers.
            for v in viewers:
                status = (await http(server, "DELETE", v.location))[0]
                check(status == 200, "DELETE answered %d" % status)
                await v.close()
            status = (await http(server, "DELETE", location))[0]
            check(status == 200, "DELETE of the publisher answered %d" % status)
            await pub.close()
            m = server.metrics()
            check(m.value("rtc_sfu_publishers") == 0 and m.value("rtc_sfu_subscribers") == 0,
                  "peers left after DELETE")
            status = (await http(server, "DELETE", location))[0]
            check(status == 404, "a second DELETE answered %d" % status)
        run(scenario())
        server.process.stop()


def test_viewer_joins_late_and_publisher_returns():
    """A viewer that joins after the start gets a keyframe (PLI) and decodes; when the publisher
    leaves and a new one publishes the same stream, the viewer decodes the new one."""
    require_aiortc()
    with start_sfu() as server:
        async def scenario():
            pub, location = await publish(server, "cam2")
            await wait_for(lambda: connected(pub), "publisher connected")
            await asyncio.sleep(0)  # the viewer joins while video flows
            v = Viewer()
            await v.subscribe(server, "cam2", kinds=("video",))
            await wait_for(lambda: v.frames["video"] >= 20, "late viewer decoding")
            await http(server, "DELETE", location)
            await pub.close()
            before = v.frames["video"]
            pub2, location2 = await publish(server, "cam2")
            await wait_for(lambda: v.frames["video"] >= before + 20,
                           "viewer decoding the second publisher")
            await v.close()
            await pub2.close()
        run(scenario())


def test_nack_and_pli_through_loss():
    """Every 10th video packet lost on the way to a viewer: the viewer NACKs, the server
    resends from its history and the viewer keeps decoding. Every 10th lost on the way from
    the publisher: the server NACKs the publisher itself (RFC 4585 §6.2.1)."""
    require_aiortc()
    with start_sfu() as server:
        to_viewer = LossyProxy(server.media, direction="to_client")
        from_publisher = LossyProxy(server.media, direction="to_server")

        async def scenario():
            pub, _ = await publish(server, "lossy", proxy=from_publisher)
            v = Viewer()
            await v.subscribe(server, "lossy", kinds=("video",), proxy=to_viewer)
            await wait_for(lambda: v.frames["video"] >= 60, "viewer decoding through loss")
            m = server.metrics()
            check(to_viewer.dropped >= 5, "the proxy dropped only %d" % to_viewer.dropped)
            check(m.value("rtc_sfu_nacks_total", direction="in") >= 1, "no NACK from the viewer")
            check(m.value("rtc_sfu_retransmits_total") >= 1, "no retransmission")
            check(from_publisher.dropped >= 5, "dropped %d from the publisher"
                  % from_publisher.dropped)
            check(m.value("rtc_sfu_nacks_total", direction="out") >= 1,
                  "no NACK sent to the publisher")
            check(m.value("rtc_sfu_keyframe_requests_total") >= 1, "no PLI for the viewer")
            await v.close()
            await pub.close()
        try:
            run(scenario())
        finally:
            to_viewer.close()
            from_publisher.close()


def test_recording_read_by_ffprobe():
    """--record: a publisher's Opus and VP8 tracks land in an .ogg and a .webm that ffprobe
    reads with the right codecs and the publishing time as duration, and ffmpeg decodes."""
    require_aiortc()
    harness.require_program("ffprobe", "ffmpeg")
    directory = harness.temp_dir()
    with start_sfu(["--record", directory]) as server:
        async def scenario():
            pub, location = await publish(server, "rec")
            await wait_for(lambda: connected(pub), "publisher connected")
            started = time.monotonic()
            await wait_for(lambda: server.metrics().value(
                "rtc_sfu_rtp_packets_total", direction="in") >= 100, "media flowing")
            await asyncio.sleep(max(0.0, 4.0 - (time.monotonic() - started)))
            status = (await http(server, "DELETE", location))[0]
            check(status == 200, "DELETE answered %d" % status)
            await pub.close()
            return time.monotonic() - started
        published = asyncio.run(asyncio.wait_for(scenario(), 60))
        server.process.stop()
    check_recording(directory, published)


def test_whep_refusals():
    require_aiortc()
    with start_sfu(["--token", "s3cret"]) as server:
        async def scenario():
            v = Viewer()
            v.pc.addTransceiver("video", direction="recvonly")
            await v.pc.setLocalDescription(await v.pc.createOffer())
            offer = v.pc.localDescription.sdp
            auth = {"Authorization": "Bearer s3cret"}
            status, hdrs, _ = await http(server, "POST", "/whep/none", offer, "application/sdp")
            check(status == 401 and hdrs.get("WWW-Authenticate") == "Bearer",
                  "no token: %d" % status)
            status, _, _ = await http(server, "POST", "/whep/none", offer, "application/sdp",
                                      {"Authorization": "Bearer wrong"})
            check(status == 401, "wrong token: %d" % status)
            status, _, _ = await http(server, "POST", "/whep/none", offer, "application/sdp", auth)
            check(status == 404, "no publisher: %d" % status)
            status, _, _ = await http(server, "POST", "/whip/x", offer, "text/plain", auth)
            check(status == 415, "wrong content type: %d" % status)
            status, _, _ = await http(server, "POST", "/whip/x", "v=0\r\nnonsense", "application/sdp",
                                      auth)
            check(status == 400, "garbage SDP: %d" % status)
            status, _, _ = await http(server, "POST", "/whip/bad%20name", offer, "application/sdp",
                                      auth)
            check(status == 400, "bad stream name: %d" % status)
            status, _, _ = await http(server, "GET", "/stats")
            check(status == 401, "stats without the token: %d" % status)
            status, _, body = await http(server, "GET", "/stats", headers=auth)
            check(status == 200 and json.loads(body)["version"] == 1, "stats: %d" % status)
            pub, _ = await publish(server, "taken", auth)
            status, _, _ = await http(server, "POST", "/whip/taken", offer, "application/sdp", auth)
            check(status == 409, "second publisher: %d" % status)
            await v.close()
            await pub.close()
        run(scenario())
        check(server.process.alive(), "rtc-sfu died on bad requests")


if __name__ == "__main__":
    harness.main({
        "whip_whep_two_viewers": test_whip_whep_two_viewers,
        "late_viewer_and_new_publisher": test_viewer_joins_late_and_publisher_returns,
        "nack_and_pli_through_loss": test_nack_and_pli_through_loss,
        "recording_read_by_ffprobe": test_recording_read_by_ffprobe,
        "refusals": test_whep_refusals,
        "both_dtls_roles": test_both_dtls_roles,
        "room_over_websocket": test_room_over_websocket,
    })
