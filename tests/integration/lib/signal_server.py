"""Starts rtc-signal for the integration tests and talks to it with python3-websockets.

start_signal() returns a SignalServer with the listening URL and metrics read back from the
JSON log; ws_url() builds room URLs; mint_jwt() makes HS256 tokens (RFC 7519) for auth tests;
Client wraps a websockets connection with bounded receives.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time

import harness
from harness import Process, check


class SignalServer:
    def __init__(self, process, urls, metrics_url):
        self.process = process
        self.urls = urls  # list of (scheme, host, port)
        self.metrics_url = metrics_url

    @property
    def port(self):
        return self.urls[0][2]

    def ws_url(self, room="", scheme=None, **query):
        s, host, port = self.urls[0]
        scheme = scheme or ("wss" if s == "https" else "ws")
        url = "%s://%s:%d/%s" % (scheme, host, port, room)
        if query:
            url += "?" + "&".join("%s=%s" % (k, v) for k, v in query.items())
        return url

    def http_url(self, path="/"):
        s, host, port = self.urls[0]
        return "%s://%s:%d%s" % (s, host, port, path)

    def metrics(self):
        check(self.metrics_url is not None, "rtc-signal started without --metrics")
        return harness.scrape_metrics(self.metrics_url)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.kill()
        return False


def start_signal(extra=(), listens=("http://127.0.0.1:0",), metrics=True, env=None):
    argv = [harness.tool_path("rtc-signal"), "--log-format", "json"]
    for url in listens:
        argv += ["--listen", url]
    if metrics:
        argv += ["--metrics", "127.0.0.1:0"]
    argv += list(extra)
    process = Process(argv, env=env)
    try:
        records = process.wait_json(lambda r: r.get("msg") == "listening", count=len(listens))
        urls = [harness.parse_url(r["url"]) for r in records]
        metrics_url = None
        if metrics:
            url = process.wait_json(lambda r: r.get("msg") == "metrics")[0]["url"]
            metrics_url = url if url.endswith("/metrics") else url.rstrip("/") + "/metrics"
    except Exception:
        process.kill()
        raise
    return SignalServer(process, urls, metrics_url)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_jwt(secret, claims, alg="HS256"):
    header = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signing_input = (header + "." + payload).encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return header + "." + payload + "." + _b64url(signature)


def run_async(coroutine, timeout=30):
    """Runs a test coroutine with an overall bound."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


class Client:
    """A websockets connection with bounded receives that parse JSON."""

    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def connect(cls, url, **kwargs):
        import websockets

        kwargs.setdefault("open_timeout", 5)
        ws = await websockets.connect(url, **kwargs)
        return cls(ws)

    async def send(self, message):
        await self.ws.send(json.dumps(message))

    async def recv(self, timeout=5.0):
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        return json.loads(text)

    async def recv_type(self, wanted, timeout=5.0):
        """Receives until a message of type `wanted` (bounded by time); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            check(left > 0, "no %r message within %.1f s" % (wanted, timeout))
            message = await self.recv(left)
            if message.get("type") == wanted:
                return message

    async def expect_silence(self, seconds=0.3):
        try:
            message = await asyncio.wait_for(self.ws.recv(), seconds)
        except asyncio.TimeoutError:
            return
        raise harness.TestFailure("unexpected message %r" % (message,))

    async def closed_code(self, timeout=5.0):
        """Waits for the server to close; returns the close code it sent."""
        import websockets

        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                await asyncio.wait_for(self.ws.recv(), deadline - time.monotonic())
        except websockets.exceptions.ConnectionClosed as closed:
            return closed.code
        except asyncio.TimeoutError:
            pass
        raise harness.TestFailure("the server did not close within %.1f s" % timeout)

    async def close(self):
        await self.ws.close()
