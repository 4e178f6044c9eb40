"""Headless Chromium for the browser tests: its command line (CLI flags from interop-facts.md)
and a one-page HTTP server on 127.0.0.1 whose page POSTs JSON reports back to /report."""

import http.server
import json
import queue
import threading

import harness


def chromium_argv(url, fake_media=False, extra=()):
    """Headless, no network beyond loopback, a fresh profile; console.log goes to stderr."""
    exe = harness.require_program("chromium", "chromium")
    argv = [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--allow-loopback-in-peer-connection", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--user-data-dir=" + harness.temp_dir(), "--enable-logging=stderr", "--v=0"]
    if fake_media:
        argv += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--autoplay-policy=no-user-gesture-required"]
    return argv + list(extra) + [url]


def serve_page(page, routes=None):
    """GET / returns `page`; POST /report queues its JSON body; `routes` maps other paths to
    callables (method, body bytes) -> (status, headers dict, body bytes), e.g. a proxy."""
    reports = queue.Queue()
    routes = routes or {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _route(self, method, body):
            handler = routes.get(self.path.split("?")[0])
            if handler is None:
                return False
            status, headers, data = handler(method, body)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True

        def do_GET(self):
            if self._route("GET", b""):
                return
            body = page.encode()
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = min(int(self.headers.get("Content-Length", "0")), 1 << 20)
            data = self.rfile.read(length)
            if self._route("POST", data):
                return
            try:
                reports.put(json.loads(data))
            except ValueError:
                reports.put({"error": "unparsable report %r" % data[:200]})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, reports


def wait_report(reports, browser, timeout=45):
    try:
        return reports.get(timeout=timeout)
    except queue.Empty:
        raise harness.TestFailure("no report from the page within %d s; chromium:\n%s"
                                  % (timeout, "\n".join(browser.lines()[-30:])))


def run_page(page, timeout=45, fake_media=True, while_open=None):
    """Serves `page`, opens it in headless Chromium (with a fake camera and microphone) and
    returns its first report; `while_open()` runs before the browser is closed (e.g. to read
    metrics while the page still holds its connections)."""
    server, reports = serve_page(page)
    try:
        url = "http://127.0.0.1:%d/" % server.server_address[1]
        with harness.Process(chromium_argv(url, fake_media=fake_media)) as browser:
            report = wait_report(reports, browser, timeout=timeout)
            if while_open:
                while_open()
            browser.kill()
    finally:
        server.shutdown()
    return report
