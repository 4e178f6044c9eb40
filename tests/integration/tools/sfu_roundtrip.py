#!/usr/bin/python3
"""Publishes aiortc's test audio and video to an rtc-sfu by WHIP and watches it back by WHEP;
exits 0 once the viewer decoded 30 video frames, 1 otherwise (bounded: 30 s).

Usage: sfu_roundtrip.py http://HOST:PORT [STREAM]   (run with /usr/bin/python3: aiortc)
"""

import asyncio
import sys
import urllib.request

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

# aioice leaves loopback out when it gathers; the demo runs on 127.0.0.1.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def post(url, sdp):
    req = urllib.request.Request(url, data=sdp.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp"})
    with urllib.request.urlopen(req, timeout=10) as response:
        return response.read().decode()


async def negotiate(pc, url):
    await pc.setLocalDescription(await pc.createOffer())
    answer = await asyncio.get_running_loop().run_in_executor(
        None, post, url, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


async def main(base, stream):
    config = RTCConfiguration(iceServers=[])
    publisher, viewer = RTCPeerConnection(config), RTCPeerConnection(config)
    for track in (AudioStreamTrack(), VideoStreamTrack()):
        publisher.addTransceiver(track, direction="sendonly")
    await negotiate(publisher, "%s/whip/%s" % (base, stream))
    viewer.addTransceiver("video", direction="recvonly")
    decoded = asyncio.get_running_loop().create_future()

    @viewer.on("track")
    def on_track(track):
        async def read():
            for _ in range(30):
                await track.recv()
            decoded.set_result(True)
        asyncio.ensure_future(read())

    await negotiate(viewer, "%s/whep/%s" % (base, stream))
    try:
        await asyncio.wait_for(decoded, 30)
        print("sfu_roundtrip: the viewer decoded 30 frames")
        return 0
    except asyncio.TimeoutError:
        print("sfu_roundtrip: no video decoded within 30 s", file=sys.stderr)
        return 1
    finally:
        await viewer.close()
        await publisher.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "selfcheck")))
