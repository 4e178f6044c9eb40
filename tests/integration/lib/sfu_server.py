"""Starts rtc-sfu for the integration tests and speaks WHIP/WHEP (RFC 9725) to it over HTTP.

start_sfu() returns an SfuServer with the HTTP base URL, the media port and the metrics URL,
read back from the JSON log (every port is 0, chosen by the kernel). post_offer() POSTs an SDP
offer and returns (status, headers, body); delete() ends a session.
"""

import urllib.error
import urllib.request

import harness
from harness import Process, check


class SfuServer:
    def __init__(self, process, http_url, media, metrics_url):
        self.process = process
        self.http_url = http_url  # "http://127.0.0.1:PORT"
        self.media = media  # (host, port)
        self.metrics_url = metrics_url

    def metrics(self):
        return harness.scrape_metrics(self.metrics_url)

    def request(self, method, path, body=None, content_type=None, headers=None, timeout=10):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.http_url + path, data=data, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def post_offer(self, kind, stream, sdp, headers=None):
        """kind is "whip" or "whep"."""
        return self.request("POST", "/%s/%s" % (kind, stream), sdp, "application/sdp", headers)

    def delete(self, location, headers=None):
        return self.request("DELETE", location, headers=headers)[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.kill()
        return False


def start_sfu(extra=(), host="127.0.0.1", env=None, transports=("udp",)):
    """`transports`: the media listeners, "udp" and/or "tcp" (passive ICE-TCP)."""
    argv = [harness.tool_path("rtc-sfu"), "--log-format", "json",
            "--listen", "http://%s:0" % host, "--metrics", "127.0.0.1:0"]
    for scheme in transports:
        argv += ["--listen", "%s://%s:0" % (scheme, host)]
    process = Process(argv + list(extra), env=env)
    try:
        records = process.wait_json(lambda r: r.get("msg") == "listening", count=1 + len(transports))
        http_url = media = tcp_media = None
        for r in records:
            scheme, h, port = harness.parse_url(r["url"])
            if scheme == "udp":
                media = (h, port)
            elif scheme == "tcp":
                tcp_media = (h, port)
            else:
                http_url = "%s://%s:%d" % (scheme, h if ":" not in h else "[%s]" % h, port)
        check(http_url and (media or tcp_media),
              "rtc-sfu did not log an http and a media listener: %s" % records)
        url = process.wait_json(lambda r: r.get("msg") == "metrics")[0]["url"]
        metrics_url = url if url.endswith("/metrics") else url.rstrip("/") + "/metrics"
    except Exception:
        process.kill()
        raise
    server = SfuServer(process, http_url, media, metrics_url)
    server.tcp_media = tcp_media
    return server


def audio_offer(sections=1, padding=0):
    """A send-only Opus offer with `sections` bundled sections (each padded with `padding`
    attribute lines, as Chromium pads its sections with every codec it knows), in aiortc's
    shape. Enough to negotiate; no ICE or DTLS follows."""
    fingerprint = ":".join("%02X" % i for i in range(1, 33))
    mids = " ".join(str(i) for i in range(sections))
    text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE %s\r\n" % mids
    for i in range(sections):
        text += ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\n"
                 "a=mid:%d\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
                 "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
                 "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\n" % (i, fingerprint))
        text += "".join("a=x-padding-%d:%s\r\n" % (k, "p" * 20) for k in range(padding))
    return text
