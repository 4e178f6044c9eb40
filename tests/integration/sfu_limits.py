#!/usr/bin/python3
"""rtc-sfu's limits with their defaults (--max-rooms, --max-tracks) and offers as large as a
browser's receiving PeerConnection in a room of 50 (about 100 sections, a few hundred kB).

Usage: sfu_limits.py [test...]
"""

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from sfu_server import audio_offer as offer, start_sfu  # noqa: E402

def test_max_tracks_and_large_offers():
    big = offer(120, padding=90)  # ~120 sections of ~2.5 kB, like a room of 60
    check(len(big) > 256 * 1024, "the offer is only %d bytes" % len(big))
    with start_sfu() as sfu:
        status, _, body = sfu.post_offer("whip", "big", big)
        check_equal(status, 201, "a %d-byte offer with 120 sections: %s" % (len(big), body[:200]))
        check_equal(body.count("m=audio"), 120, "answered sections")
        status, _, body = sfu.post_offer("whip", "bigger", offer(129))
        check_equal(status, 400, "129 sections (default --max-tracks 128)")
        check("--max-tracks" in body, "the refusal names the flag: %r" % body)
        sfu.process.stop()
    with start_sfu(["--max-tracks", "2"]) as sfu:
        check_equal(sfu.post_offer("whip", "three", offer(3))[0], 400, "3 sections, limit 2")
        check_equal(sfu.post_offer("whip", "two", offer(2))[0], 201, "2 sections, limit 2")
        sfu.process.stop()


def test_max_rooms():
    import websockets

    async def scenario(base):
        async with websockets.connect(base + "/ws/one", open_timeout=5) as first:
            welcome = json.loads(await asyncio.wait_for(first.recv(), 5))
            check_equal(welcome["type"], "welcome", "first room")
            async with websockets.connect(base + "/ws/two", open_timeout=5) as second:
                try:
                    await asyncio.wait_for(second.recv(), 5)
                    check(False, "a second room was let in with --max-rooms 1")
                except websockets.ConnectionClosed as e:
                    check_equal(e.rcvd.code if e.rcvd else None, 1013, "close code")
            # Another member of the existing room is still let in.
            async with websockets.connect(base + "/ws/one", open_timeout=5) as again:
                check_equal(json.loads(await asyncio.wait_for(again.recv(), 5))["type"],
                            "welcome", "second member of the first room")
        # The room is gone with its members: another one may open.
        for _ in range(50):
            async with websockets.connect(base + "/ws/two", open_timeout=5) as later:
                try:
                    reply = json.loads(await asyncio.wait_for(later.recv(), 5))
                    check_equal(reply["type"], "welcome", "a room once the first is empty")
                    return
                except websockets.ConnectionClosed:
                    await asyncio.sleep(0.1)  # the first room's close is still in flight
        check(False, "no room could open after the first one emptied")

    with start_sfu(["--max-rooms", "1"]) as sfu:
        asyncio.run(scenario(sfu.http_url.replace("http://", "ws://")))
        sfu.process.stop()


if __name__ == "__main__":
    harness.main({"max_tracks_and_large_offers": test_max_tracks_and_large_offers,
                  "max_rooms": test_max_rooms})
