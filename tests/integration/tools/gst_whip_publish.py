#!/usr/bin/python3
"""A WHIP (RFC 9725) publisher built on GStreamer's webrtcbin: VP8 test video and Opus test audio.

Usage: gst_whip_publish.py WHIP_URL [--seconds S] [--width W --height H] [--token T]
       gst_whip_publish.py --check     (exit 0 if every element is there, 3 and a list if not)

It offers (bundle-policy max-bundle, no trickle: the offer waits for ICE gathering to finish),
POSTs the offer, sets the 201 answer as the remote description, prints one JSON line once ICE
and DTLS are connected, publishes for S seconds, DELETEs the Location resource (RFC 9725 §4.4),
prints a last JSON line and exits 0; SIGTERM ends it the same way, earlier. A failure or a
timeout prints {"event": "error", ...} and exits 1.
Needs python3-gi and the GStreamer packages listed in scripts/deps; run with /usr/bin/python3.
"""

import argparse
import json
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ELEMENTS = ("valve", "webrtcbin", "nicesrc", "dtlssrtpenc", "srtpenc", "rtpbin", "videotestsrc",
            "videoconvert", "vp8enc", "rtpvp8pay", "audiotestsrc", "audioconvert",
            "audioresample", "opusenc", "rtpopuspay", "queue", "capsfilter")
MISSING_EXIT = 3
CONNECT_TIMEOUT = 20.0

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC
except (ImportError, ValueError) as error:
    Gst = None
    IMPORT_ERROR = str(error)


def emit(record):
    print(json.dumps(record), flush=True)


def missing_elements():
    if Gst is None:
        return ["python3-gi/GstWebRTC (%s)" % IMPORT_ERROR]
    Gst.init(None)
    return [name for name in ELEMENTS if Gst.ElementFactory.find(name) is None]


def http(method, url, body=None, token=None):
    """(status, headers, body text); HTTP errors are answers, no answer is status 0."""
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method)
    if body:
        req.add_header("Content-Type", "application/sdp")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()
    except OSError as e:  # refused, reset, timed out: status 0
        return 0, {}, str(e)


# rtcp-fb in the caps puts a=rtcp-fb nack/nack pli in the offer, so a PLI from the SFU reaches
# vp8enc (as a force-key-unit event).
VIDEO_CAPS = ("application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
              "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true")
# encoding-params=2: without it the offer says OPUS/48000, not opus/48000/2 (RFC 7587 §7).
AUDIO_CAPS = ("application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"
              "encoding-params=(string)2")


def pipeline_text(width, height):
    # Low bitrate, realtime VP8 with a keyframe every second.
    # The valves drop raw media until DTLS is up: webrtcbin would otherwise queue what the live
    # sources made while connecting and send it in one burst, older RTP timestamps first, and a
    # recording would last longer than the publishing time. The encoders start at the opening.
    return (
        "webrtcbin name=webrtc bundle-policy=max-bundle "
        "videotestsrc is-live=true pattern=ball "
        "! video/x-raw,width=%d,height=%d,framerate=30/1 "
        "! valve name=video_gate drop=true drop-mode=forward-sticky-events "
        "! videoconvert ! queue "
        "! vp8enc deadline=1 target-bitrate=300000 keyframe-max-dist=30 cpu-used=8 "
        "! rtpvp8pay pt=96 ! %s ! webrtc. "
        "audiotestsrc is-live=true wave=sine freq=440 "
        "! valve name=audio_gate drop=true drop-mode=forward-sticky-events "
        "! audioconvert ! audioresample ! queue "
        "! opusenc bitrate=32000 ! rtpopuspay pt=111 ! %s ! webrtc. "
        % (width, height, VIDEO_CAPS, AUDIO_CAPS))


class Publisher:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipe = Gst.parse_launch(pipeline_text(args.width, args.height))
        self.webrtc = self.pipe.get_by_name("webrtc")
        self.location = None
        self.connected_at = None
        self.result = 1
        self.offer_requested = False
        self.offered = False
        self.finished = False
        self.started = time.monotonic()
        self.set_up_transceivers()
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)

    def set_up_transceivers(self):
        # Publish only (RFC 9725 §4.2): every transceiver sends, none receives. webrtcbin waits
        # for caps on every sink pad before it negotiates, and none come while the valves are
        # shut: the caps of the capsfilter in front of each pad stand in as codec preferences.
        for index in range(16):
            pad = self.webrtc.get_static_pad("sink_%d" % index)
            if pad is None:
                break
            transceiver = pad.get_property("transceiver")
            transceiver.set_property("direction",
                                     GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            caps = pad.get_peer().get_parent_element().get_property("caps")
            transceiver.set_property("codec-preferences", caps)

    def fail(self, what):
        emit({"event": "error", "error": what})
        self.result = 1
        self.loop.quit()
        return False

    def on_error(self, _bus, message):
        error, debug = message.parse_error()
        GLib.idle_add(self.fail, "%s (%s)" % (error.message, debug))

    def on_negotiation_needed(self, _element):
        # One offer, one answer: WHIP has no renegotiation, so later signals are ignored.
        if self.offer_requested:
            return
        self.offer_requested = True
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None else None
        if offer is None:
            GLib.idle_add(self.fail, "create-offer gave no offer")
            return
        self.webrtc.emit("set-local-description", offer, None)

    def on_gathering(self, _element, _pspec):
        state = self.webrtc.get_property("ice-gathering-state")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE and not self.offered:
            self.offered = True
            GLib.idle_add(self.post_offer)

    def post_offer(self):
        offer = self.webrtc.get_property("local-description").sdp.as_text()
        status, headers, body = http("POST", self.args.url, offer, self.args.token)
        if status != 201:
            return self.fail("WHIP POST answered %d: %s" % (status, body.strip()))
        location = headers.get("Location")
        if not location:
            return self.fail("201 without Location")
        self.location = urllib.parse.urljoin(self.args.url, location)
        if self.args.print_sdp:
            emit({"event": "sdp", "offer": offer, "answer": body})
        result, message = GstSdp.SDPMessage.new_from_text(body)
        if result != GstSdp.SDPResult.OK:
            return self.fail("answer is not SDP: %s" % body[:200])
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self.webrtc.emit("set-remote-description", answer, None)
        return False

    def poll(self):
        ice = self.webrtc.get_property("ice-connection-state")
        pc = self.webrtc.get_property("connection-state")
        if self.connected_at is None:
            ice_ok = ice in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                             GstWebRTC.WebRTCICEConnectionState.COMPLETED)
            if ice_ok and pc == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
                self.connected_at = time.monotonic()
                for gate in ("video_gate", "audio_gate"):
                    self.pipe.get_by_name(gate).set_property("drop", False)
                emit({"event": "connected", "ice": ice.value_nick, "connection": pc.value_nick,
                      "location": self.location})
                GLib.timeout_add(int(self.args.seconds * 1000), self.finish)
            elif time.monotonic() - self.started > CONNECT_TIMEOUT:
                return self.fail("not connected within %.0f s (ice %s, connection %s)"
                                 % (CONNECT_TIMEOUT, ice.value_nick, pc.value_nick))
        elif pc in (GstWebRTC.WebRTCPeerConnectionState.FAILED,
                    GstWebRTC.WebRTCPeerConnectionState.CLOSED):
            return self.fail("connection %s while publishing" % pc.value_nick)
        return True

    def on_signal(self):
        if self.connected_at is None or self.location is None:
            return self.fail("stopped before connecting")
        return self.finish()

    def finish(self):
        if self.finished:
            return False
        self.finished = True
        published = time.monotonic() - self.connected_at
        status = http("DELETE", self.location, token=self.args.token)[0]
        emit({"event": "done", "published_seconds": round(published, 3), "delete_status": status})
        self.result = 0 if status == 200 else 1
        self.loop.quit()
        return False

    def run(self):
        if self.pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            emit({"event": "error", "error": "the pipeline did not start"})
            return 1
        GLib.timeout_add(50, self.poll)
        # SIGTERM or SIGINT end the session early, as the time running out does.
        for signum in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.on_signal)
        # Hard bound on the whole run, whatever happens on the way.
        GLib.timeout_add(int((CONNECT_TIMEOUT + self.args.seconds + 15) * 1000),
                         self.fail, "overall time limit reached")
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)
        return self.result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("url", nargs="?", help="WHIP endpoint, http://HOST:PORT/whip/STREAM")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--token")
    p.add_argument("--print-sdp", action="store_true", help="emit the offer and the answer")
    p.add_argument("--check", action="store_true", help="only check the elements are there")
    args = p.parse_args()
    missing = missing_elements()
    if missing:
        emit({"event": "missing", "elements": missing})
        return MISSING_EXIT
    if args.check:
        return 0
    if not args.url or not 0 < args.seconds <= 600:
        p.error("a WHIP URL and --seconds in (0, 600] are needed")
    return Publisher(args).run()


if __name__ == "__main__":
    sys.exit(main())
