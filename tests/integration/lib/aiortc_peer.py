"""aiortc 1.4 (python3-aiortc) peers for the rtc-sfu tests: a WHEP viewer that counts decoded
frames, and the asyncio helpers around it (bounded waits, HTTP off the event loop).

require_aiortc(host) skips (or fails under CI) without aiortc and makes aioice gather on `host`
only: aioice leaves loopback out on its own, and the GStreamer tests run on a veth address.
"""

import asyncio
import time

import harness
from harness import check

try:
    import aioice.ice
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
except ImportError:  # outside CI a missing peer skips; in CI it fails (harness)
    aioice = None

TIMEOUT = 30.0


def require_aiortc(host="127.0.0.1"):
    if aioice is None:
        harness.missing_peer("aiortc", "python3-aiortc")
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [host]


def new_pc():
    # No ICE servers: aiortc would otherwise ask a public STUN server.
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def http(server, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: server.request(*args, **kwargs))


async def wait_for(predicate, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise harness.TestFailure("%s not reached within %.0f s" % (what, timeout))
        await asyncio.sleep(0.05)


def with_setup(sdp, setup):
    """The offer with another a=setup role (RFC 8842): aiortc always offers actpass and takes
    its role from the answer, so "passive" here makes the SFU the DTLS client."""
    return sdp.replace("a=setup:actpass", "a=setup:" + setup) if setup else sdp


class Viewer:
    """A WHEP subscriber that counts decoded frames per kind."""

    def __init__(self):
        self.pc = new_pc()
        self.frames = {"audio": 0, "video": 0}
        self.sizes = set()
        self.tasks = []
        self.location = None

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames[track.kind] += 1
            if track.kind == "video":
                self.sizes.add((frame.width, frame.height))

    async def subscribe(self, server, stream, kinds=("audio", "video"), proxy=None, setup=None):
        """WHEP; `setup` replaces the offer's a=setup:actpass (e.g. "passive")."""
        for kind in kinds:
            self.pc.addTransceiver(kind, direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        status, hdrs, body = await http(server, "POST", "/whep/" + stream,
                                        with_setup(self.pc.localDescription.sdp, setup),
                                        "application/sdp")
        check(status == 201, "WHEP POST answered %d: %s" % (status, body))
        self.location = hdrs["Location"]
        if proxy:
            body = proxy.rewrite_answer(body)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await self.pc.close()


def connected(pc):
    # ICE completed and DTLS connected (aiortc's connectionState needs both).
    return pc.iceConnectionState == "completed" and pc.connectionState == "connected"


def run(coroutine, timeout=90):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))
