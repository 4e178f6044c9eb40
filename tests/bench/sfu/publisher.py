#!/usr/bin/python3
"""The bench's one publisher: aiortc 1.4 sending VP8 640x480@30 (a moving pattern with detail,
so frames are not trivially small) and Opus (a tone), to rtc-sfu by WHIP or to Janus's VideoRoom
by its HTTP API. The same code and settings for both servers.

  publisher.py --ip IP whip URL            (POST the offer to URL, e.g. http://IP:PORT/whip/s)
  publisher.py --ip IP janus URL ROOM      (URL = http://IP:PORT/janus)

Prints JSON lines on stdout: {"event":"published", ...} once the answer is applied,
{"event":"connected"} when ICE+DTLS are up, then {"event":"stats","packets":N,"bytes":B,"t":T} (RTP
sent, both tracks; T is CLOCK_MONOTONIC in seconds) every second. Ends when stdin closes.
"""

import argparse
import asyncio
import fractions
import json
import math
import sys
import time
import urllib.request

import aioice.ice
import av
import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

WIDTH, HEIGHT, FPS = 640, 480, 30


def out(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class PatternTrack(VideoStreamTrack):
    """Moving bars over a fixed noise texture: every frame differs, none is flat."""

    def __init__(self):
        super().__init__()
        rng = numpy.random.default_rng(7)
        self.texture = rng.integers(0, 96, (HEIGHT, WIDTH * 2, 3), dtype=numpy.uint8)
        x = numpy.arange(WIDTH * 2)
        bars = (128 + 100 * numpy.sin(x / 23.0)).astype(numpy.uint8)
        self.texture[:, :, 1] = numpy.clip(self.texture[:, :, 1].astype(int) + bars, 0, 255)
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        shift = (self.n * 6) % WIDTH
        self.n += 1
        frame = av.VideoFrame.from_ndarray(
            numpy.ascontiguousarray(self.texture[:, shift:shift + WIDTH]), format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone (48 kHz mono, 20 ms frames) instead of silence."""

    def __init__(self):
        super().__init__()
        t = numpy.arange(960) / 48000.0
        self.samples = (3000 * numpy.sin(2 * math.pi * 440 * t)).astype(numpy.int16)

    async def recv(self):
        frame = await super().recv()  # paced, with pts
        samples = self.samples.reshape(1, -1)
        tone = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        tone.sample_rate = 48000
        tone.pts, tone.time_base = frame.pts, fractions.Fraction(1, 48000)
        return tone


def post_json(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


def janus_publish(url, room, sdp):
    """Janus VideoRoom: session, handle, joinandconfigure with the offer; the answer comes as
    an event by long poll. Returns (answer sdp, session url) (the session is kept alive)."""
    sid = post_json(url, {"janus": "create", "transaction": "c"})["data"]["id"]
    surl = "%s/%d" % (url, sid)
    hid = post_json(surl, {"janus": "attach", "plugin": "janus.plugin.videoroom",
                           "transaction": "a"})["data"]["id"]
    post_json("%s/%d" % (surl, hid), {
        "janus": "message", "transaction": "j",
        "body": {"request": "joinandconfigure", "room": room, "ptype": "publisher",
                 "display": "bench", "audio": True, "video": True},
        "jsep": {"type": "offer", "sdp": sdp}})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with urllib.request.urlopen(surl + "?maxev=5", timeout=40) as r:
            events = json.loads(r.read().decode())
        for e in events if isinstance(events, list) else [events]:
            if e.get("jsep", {}).get("type") == "answer":
                return e["jsep"]["sdp"], surl, e["plugindata"]["data"].get("id")
            if e.get("janus") == "event" and "error" in e.get("plugindata", {}).get("data", {}):
                raise RuntimeError("janus: %s" % e["plugindata"]["data"]["error"])
    raise RuntimeError("janus: no answer to the publisher's offer")


async def keepalive(surl):
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(15)
        await loop.run_in_executor(None, post_json, surl, {"janus": "keepalive",
                                                           "transaction": "k"})


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ip", required=True)
    p.add_argument("kind", choices=["whip", "janus"])
    p.add_argument("url")
    p.add_argument("room", nargs="?", type=int, default=1234)
    a = p.parse_args()
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [a.ip]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    audio = pc.addTrack(ToneTrack())
    video = pc.addTrack(PatternTrack())
    for t in pc.getTransceivers():
        t.direction = "sendonly"
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    tasks = []
    if a.kind == "whip":
        def whip():
            req = urllib.request.Request(a.url, data=pc.localDescription.sdp.encode(),
                                         method="POST")
            req.add_header("Content-Type", "application/sdp")
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.read().decode()
        answer = await loop.run_in_executor(None, whip)
        feed = None
    else:
        answer, surl, feed = await loop.run_in_executor(None, janus_publish, a.url, a.room,
                                                        pc.localDescription.sdp)
        tasks.append(asyncio.ensure_future(keepalive(surl)))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    out(event="published", feed=feed)
    stdin_closed = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.readline() or stdin_closed.set())
    reported_connected = False
    while not stdin_closed.is_set():
        try:
            await asyncio.wait_for(stdin_closed.wait(), 1.0)
        except asyncio.TimeoutError:
            pass
        if pc.connectionState == "connected" and not reported_connected:
            reported_connected = True
            out(event="connected")
        packets = bytes_ = 0
        for sender in (audio, video):
            for s in (await sender.getStats()).values():
                if s.type == "outbound-rtp":
                    packets += s.packetsSent
                    bytes_ += s.bytesSent
        out(event="stats", packets=packets, bytes=bytes_, t=time.monotonic(),
            state=pc.connectionState)
    for t in tasks:
        t.cancel()
    await pc.close()


if __name__ == "__main__":
    asyncio.run(main())
