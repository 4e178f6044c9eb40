#!/usr/bin/python3
"""The real PeerJS browser client (npm peerjs 1.5.5, pinned by package-lock.json and installed
here by install.sh with npm ci) connects two peers through rtc-signal --peerjs in two headless
Chromium processes, and a data-channel message goes each way (issue 5 "Tests").

rtc-signal serves page.html and peerjs.min.js from its --web-root. One page (the answerer)
registers a chosen id; the other (the caller) gets its id from GET /peerjs/id, connects to the
answerer and sends "ping"; the answerer replies "pong". Both pages report to this test, an
observer peer in rtc-signal's own room "report", so no second web server is needed.

Usage: peerjs_chromium.py [test...]
"""

import json
import os
import re
import shutil
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

import harness  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402
from signal_server import Client, run_async, start_signal  # noqa: E402

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ANSWERER = "answerer-1"


def install_peerjs():
    """Runs install.sh (npm ci when node_modules is missing); returns peerjs.min.js's path."""
    harness.require_program("npm", "npm")
    result = harness.run(["/bin/sh", os.path.join(HERE, "install.sh")], timeout=300)
    if result.returncode == harness.SKIP_CODE:
        harness.missing_peer("npm", "npm")
    check(result.returncode == 0, "install.sh failed (%d):\n%s%s"
          % (result.returncode, result.stdout, result.stderr))
    with open(os.path.join(HERE, "node_modules", "peerjs", "package.json")) as f:
        check_equal(json.load(f)["version"], "1.5.5", "installed peerjs version")
    return os.path.join(HERE, "node_modules", "peerjs", "dist", "peerjs.min.js")


def web_root():
    script = install_peerjs()
    root = harness.temp_dir()
    shutil.copy(os.path.join(HERE, "page.html"), os.path.join(root, "index.html"))
    shutil.copy(script, os.path.join(root, "peerjs.min.js"))
    return root


def chromium_argv(url):
    exe = harness.require_program("chromium", "chromium")
    return [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--allow-loopback-in-peer-connection", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--ignore-certificate-errors",
            "--user-data-dir=" + harness.temp_dir(), "--enable-logging=stderr", "--v=0", url]


async def next_report(observer, browsers, timeout=45):
    """The next page report ({"role": ..., ...}); fails on a page error, with Chromium's logs."""
    try:
        message = await observer.recv_type("message", timeout=timeout)
    except (harness.TestFailure, TimeoutError) as e:
        raise harness.TestFailure("%s; chromium:\n%s" % (
            str(e) or "no report in time", "\n".join(b.output()[-3000:] for b in browsers)))
    data = message["data"]
    check_equal(message["from"], data.get("role"), "the reporting page's id")
    if "error" in data:
        raise harness.TestFailure("the %s page failed: %s; chromium:\n%s" % (
            data.get("role"), data["error"], "\n".join(b.output()[-3000:] for b in browsers)))
    return data


def data_channel_run(secure):
    root = web_root()

    async def body():
        extra = ["--peerjs", "--web-root", root]
        listens = ("http://127.0.0.1:0",)
        context = None
        if secure:
            extra += ["--cert", "auto"]
            listens = ("https://127.0.0.1:0",)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with start_signal(extra, listens=listens) as server:
            kwargs = {"ssl": context} if context else {}
            observer = await Client.connect(server.ws_url("report", id="observer"), **kwargs)
            await observer.recv_type("welcome")
            base = server.http_url("/index.html")
            browsers = []
            try:
                # The answerer first, so the caller's OFFER finds it registered.
                browsers.append(Process(chromium_argv(base + "?role=answerer&id=" + ANSWERER)))
                first = await next_report(observer, browsers)
                check_equal(first, {"role": "answerer", "open": ANSWERER}, "answerer's OPEN")
                browsers.append(Process(chromium_argv(base + "?role=caller&peer=" + ANSWERER)))
                reports = {}
                for _ in range(10):
                    data = await next_report(observer, browsers)
                    reports.setdefault(data["role"], {}).update(data)
                    if all("received" in reports.get(r, {}) for r in ("caller", "answerer")):
                        break
                metrics = server.metrics()  # while both pages are still connected
            finally:
                for b in browsers:
                    b.kill()
            caller = reports.get("caller", {})
            answerer = reports.get("answerer", {})
            caller_id = caller.get("open", "")
            check(UUID_V4.match(caller_id), "the caller's id from GET /peerjs/id: %r" % caller_id)
            check_equal(answerer.get("received"), "ping from " + caller_id, "caller -> answerer")
            check_equal(answerer.get("from_peer"), caller_id, "the answerer sees the caller's id")
            check_equal(caller.get("received"),
                        "pong from %s: ping from %s" % (ANSWERER, caller_id),
                        "answerer -> caller")
            check_equal(caller.get("from_peer"), ANSWERER, "the caller's connection peer")
            m = metrics
            check(m.value("rtc_signal_peerjs_relayed_total") >= 2,
                  "OFFER and ANSWER relayed by the PeerJS core")
            check_equal(m.value("rtc_signal_peerjs_clients"), 2, "PeerJS clients connected")
            await observer.close()

    run_async(body(), timeout=150)


def test_two_browsers_data_channel():
    data_channel_run(secure=False)


def test_two_browsers_over_wss():
    data_channel_run(secure=True)


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
