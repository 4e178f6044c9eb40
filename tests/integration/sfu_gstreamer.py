#!/usr/bin/env python3
"""rtc-sfu against GStreamer 1.22's webrtcbin (Debian 12 packages; see scripts/deps).

tools/gst_whip_publish.py publishes VP8 and Opus test media by WHIP from webrtcbin; an aiortc
WHEP viewer watches, or rtc-sfu --record writes the tracks for ffprobe. libnice gathers no
candidates on `lo`, so each test makes a network namespace with a veth address (lib/netns.py)
and runs itself inside it (`--inside TEST`): rtc-sfu, the publisher and the viewer all use that
address, and no packet leaves the namespace. A missing GStreamer element skips (77) outside CI
and fails under CI=true.
"""

import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import harness  # noqa: E402
from aiortc_peer import Viewer, connected, http, require_aiortc, run, wait_for  # noqa: E402
from harness import Process, check  # noqa: E402
from netns import TestNamespace, require_netns  # noqa: E402
from recording_check import check_recording  # noqa: E402
from sfu_server import start_sfu  # noqa: E402

PYTHON = "/usr/bin/python3"  # python3-gi and python3-aiortc are Debian's, for this interpreter
PUBLISHER = os.path.join(HERE, "tools", "gst_whip_publish.py")
NS_ADDRESS = "10.77.0.1"
GST_PACKAGES = ("gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-plugins-good "
                "gstreamer1.0-plugins-base gir1.2-gst-plugins-bad-1.0 python3-gi")
WIDTH, HEIGHT = 320, 240


def require_gstreamer():
    result = harness.run([PYTHON, PUBLISHER, "--check"], timeout=30)
    if result.returncode == 3:
        missing = json.loads(result.stdout)["elements"]
        harness.missing_peer("GStreamer element(s) %s" % ", ".join(missing), GST_PACKAGES)
    check(result.returncode == 0, "gst_whip_publish.py --check: %s" % result.stderr[-500:])


def start_publisher(server, stream, seconds):
    """Starts the webrtcbin publisher; returns (process, its "connected" record)."""
    publisher = Process([PYTHON, PUBLISHER, "%s/whip/%s" % (server.http_url, stream),
                         "--seconds", str(seconds), "--width", str(WIDTH),
                         "--height", str(HEIGHT), "--print-sdp"])
    record = publisher.wait_json(lambda r: r.get("event") in ("connected", "error"),
                                 timeout=40, stream_name="stdout")[0]
    check(record["event"] == "connected", "publisher: %s\n%s" % (record, publisher.output()))
    check(record["ice"] in ("connected", "completed") and record["connection"] == "connected",
          "publisher states %s" % record)
    return publisher, record


def done_record(publisher):
    records = [r for r in publisher.json_records("stdout") if r.get("event") == "done"]
    check(len(records) == 1, "publisher ended without a done record:\n%s" % publisher.output())
    check(records[0]["delete_status"] == 200, "publisher's DELETE: %s" % records[0])
    return records[0]


# ---------------------------------------------------------------------------------------------
# The tests proper, run inside the namespace


async def watch(server, viewer):
    await viewer.subscribe(server, "gst")
    await wait_for(lambda: connected(viewer.pc), "viewer connected")
    await wait_for(lambda: viewer.frames["video"] >= 30 and viewer.frames["audio"] >= 50,
                   "viewer decoding webrtcbin's audio and video (%s)" % viewer.frames)
    check((WIDTH, HEIGHT) in viewer.sizes, "viewer decoded sizes %s" % viewer.sizes)
    m = server.metrics()
    check(m.value("rtc_sfu_publishers") == 1, "publishers gauge")
    check(m.value("rtc_sfu_subscribers") == 1, "subscribers gauge")
    check(m.value("rtc_sfu_connected_peers") == 2, "connected gauge")
    # 30 video frames and 50 audio frames decoded took at least 80 packets each way.
    received = m.value("rtc_sfu_rtp_packets_total", direction="in")
    forwarded = m.value("rtc_sfu_rtp_packets_total", direction="out")
    check(received >= 80, "only %d packets from webrtcbin" % received)
    check(forwarded >= 80, "only %d packets forwarded to the viewer" % forwarded)
    status = (await http(server, "DELETE", viewer.location))[0]
    check(status == 200, "viewer's DELETE answered %d" % status)


def inside_publishes_to_aiortc_viewer():
    require_aiortc(NS_ADDRESS)
    with start_sfu(host=NS_ADDRESS) as server:
        publisher, _ = start_publisher(server, "gst", seconds=120)

        async def scenario():
            viewer = Viewer()
            try:
                await watch(server, viewer)
            finally:  # a viewer left open keeps aiortc's decoder threads, and the process, alive
                await viewer.close()

        run(scenario())
        # SIGTERM: the publisher DELETEs its resource and exits 0.
        publisher.stop(signal.SIGTERM, timeout=15, expect=0)
        done_record(publisher)
        m = server.metrics()
        check(m.value("rtc_sfu_publishers") == 0 and m.value("rtc_sfu_subscribers") == 0,
              "peers left after DELETE")
        server.process.stop()


def inside_recording_read_by_ffprobe():
    harness.require_program("ffprobe", "ffmpeg")
    harness.require_program("ffmpeg", "ffmpeg")
    directory = harness.temp_dir()
    with start_sfu(["--record", directory], host=NS_ADDRESS) as server:
        publisher, _ = start_publisher(server, "rec", seconds=4)
        try:
            code = publisher.popen.wait(30)
        except subprocess.TimeoutExpired:
            raise harness.TestFailure("publisher still running 30 s after connecting")
        check(code == 0, "publisher exited %s:\n%s" % (code, publisher.output()))
        published = done_record(publisher)["published_seconds"]
        check(3.5 <= published <= 6.0, "published %.2f s" % published)
        server.process.stop()
    durations = check_recording(directory, published)
    print("published %.2f s, recorded %s" % (published, durations))


INSIDE = {
    "webrtcbin_publishes_to_aiortc_viewer": inside_publishes_to_aiortc_viewer,
    "webrtcbin_recording_read_by_ffprobe": inside_recording_read_by_ffprobe,
}


# ---------------------------------------------------------------------------------------------
# Outside: check the peers, make the namespace, run the test inside it


def in_namespace(name):
    def test():
        require_netns()
        require_gstreamer()
        with TestNamespace(NS_ADDRESS, prefix="rtcgst") as ns:
            result = harness.run(ns.exec_argv([PYTHON, os.path.abspath(__file__), "--inside",
                                               name]), timeout=150)
        for line in (result.stdout + result.stderr).splitlines():
            print("  [%s] %s" % (ns.name, line))
        sys.stdout.flush()
        if result.returncode == harness.SKIP_CODE:
            raise harness.Skip((result.stdout.strip().splitlines() or ["skipped inside"])[-1])
        check(result.returncode == 0, "%s failed inside the namespace (exit %d)"
              % (name, result.returncode))
    return test


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inside"]:
        del sys.argv[1]
        harness.main(INSIDE)
    else:
        harness.main({name: in_namespace(name) for name in INSIDE})
