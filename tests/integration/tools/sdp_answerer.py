#!/usr/bin/python3
"""A stand-in for a WebRTC endpoint behind `rtc-signal join --exec`: reads the room's JSON lines
on stdin, answers the first offer with an answer whose SDP names the offer's first line, and
exits 0. Exits 3 if stdin ends first."""

import json
import sys

for line in sys.stdin:
    message = json.loads(line)
    if message.get("type") == "offer":
        first = message["sdp"].splitlines()[0]
        answer = "v=0\r\ns=answer to %s\r\n" % first
        print(json.dumps({"type": "answer", "to": message["from"], "sdp": answer}), flush=True)
        sys.exit(0)
sys.exit(3)
