"""Starts the STUN server under test: rtc-stun, or coturn's STUN server as a stand-in.

The interop tests run against rtc-stun. Setting RTC_STUN_IMPL=coturn runs the same tests against
`turnserver --stun-only` instead, which proves the client side of a test (and documents how the
reference behaves) without rtc-stun.
"""

import os
import signal

import harness
from harness import Process, TestFailure, check

RTC_STUN = "rtc-stun"
COTURN = "coturn"


def impl_from_env():
    impl = os.environ.get("RTC_STUN_IMPL", RTC_STUN)
    check(impl in (RTC_STUN, COTURN), "RTC_STUN_IMPL must be rtc-stun or coturn, not %r" % impl)
    return impl


class StunServer:
    def __init__(self, process, impl, urls, metrics_url=None):
        self.process = process
        self.impl = impl
        self.urls = urls  # list of (scheme, host, port)
        self.metrics_url = metrics_url

    def endpoint(self, scheme="udp", host=None):
        for s, h, p in self.urls:
            if s == scheme and (host is None or h == host):
                return h, p
        where = " on " + host if host else ""
        raise TestFailure("server has no %s listener%s: %r" % (scheme, where, self.urls))

    def metrics(self):
        check(self.metrics_url is not None, "server started without --metrics")
        return harness.scrape_metrics(self.metrics_url)

    def stop(self, signum=signal.SIGTERM, expect=0):
        """Graceful stop; rtc-stun must exit 0 (CLI.md). coturn dies by the signal: not checked."""
        return self.process.stop(signum, expect=expect if self.impl == RTC_STUN else None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.kill()
        return False


def _wait_ready(urls):
    for scheme, host, port in urls:
        if scheme == "udp":
            harness.wait_udp_stun(host, port)
        elif scheme in ("tcp", "tls"):
            harness.wait_tcp(host, port)


def start_rtc_stun(args, listen_count, metrics=False, extra_ready=()):
    """Starts rtc-stun with JSON logs; reads back `listen_count` listening URLs (and the metrics
    URL); waits until each answers. extra_ready lists further (scheme, host, port) to wait for."""
    argv = [harness.tool_path("rtc-stun")] + list(args) + ["--log-format", "json"]
    if metrics:
        argv += ["--metrics", "127.0.0.1:0"]
    process = Process(argv)
    try:
        records = process.wait_json(lambda r: r.get("msg") == "listening", count=listen_count)
        urls = [harness.parse_url(r["url"]) for r in records]
        metrics_url = None
        if metrics:
            metrics_url = process.wait_json(lambda r: r.get("msg") == "metrics")[0]["url"]
        _wait_ready(urls + list(extra_ready))
    except Exception:
        process.kill()
        raise
    return StunServer(process, RTC_STUN, urls, metrics_url)


def _coturn_certificate():
    harness.require_program("openssl", "openssl")
    directory = harness.temp_dir()
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    result = harness.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=localhost"],
        timeout=60,
    )
    check(result.returncode == 0, "openssl failed: " + result.stderr)
    return cert, key


def coturn_argv(hosts, port, alt_port=None, tls_port=None, extra=()):
    """turnserver in STUN-only mode on explicit ports, logging to stdout (no files)."""
    harness.require_program("turnserver", "coturn")
    argv = ["turnserver", "-n", "--stun-only", "--no-cli", "--no-dtls", "--log-file=stdout",
            "--simple-log", "--listening-port=%d" % port,
            "--pidfile=%s" % os.path.join(harness.temp_dir(), "turnserver.pid")]
    for host in hosts:
        argv.append("--listening-ip=%s" % host)
    if alt_port is not None:
        argv.append("--alt-listening-port=%d" % alt_port)
    if tls_port is None:
        argv.append("--no-tls")
    else:
        cert, key = _coturn_certificate()
        argv += ["--tls-listening-port=%d" % tls_port, "--cert=%s" % cert, "--pkey=%s" % key]
    return argv + list(extra)


def start_coturn(listen, alt_address=None):
    schemes = {harness.parse_url(u)[0] for u in listen}
    hosts = sorted({harness.parse_url(u)[1] for u in listen})
    all_hosts = hosts + ([alt_address] if alt_address else [])
    # P and P+1 (RFC 5780 alternate port), P+2 and P+3 for TLS and coturn's alternate TLS port.
    base = harness.free_port_block(all_hosts, count=4)
    tls_port = base + 2 if "tls" in schemes else None
    alt_port = base + 1 if alt_address else None
    argv = coturn_argv(all_hosts, base, alt_port=alt_port, tls_port=tls_port)
    process = Process(argv)
    urls = []
    for scheme in ("udp", "tcp", "tls"):
        if scheme in schemes:
            for host in all_hosts:
                urls.append((scheme, host, tls_port if scheme == "tls" else base))
    try:
        _wait_ready(urls)
    except Exception:
        process.kill()
        raise
    return StunServer(process, COTURN, urls)


def start_stun(listen=("udp://127.0.0.1:0",), alt_address=None, extra=(), metrics=False, impl=None,
               cert_auto=False):
    """The server under test with the given listeners. With alt_address (RFC 5780 mode) the one
    UDP listener gets an explicit free port P so that P+1 on both addresses is free too.
    cert_auto passes `--cert auto` (coturn gets a fresh self-signed certificate instead)."""
    impl = impl or impl_from_env()
    if cert_auto and impl == RTC_STUN:
        extra = ["--cert", "auto"] + list(extra)
    if impl == COTURN:
        check(not metrics and not extra, "coturn stand-in takes no rtc-stun flags or metrics")
        return start_coturn(list(listen), alt_address)
    if alt_address is None:
        args = []
        for url in listen:
            args += ["--listen", url]
        return start_rtc_stun(args + list(extra), len(listen), metrics)
    check(len(listen) == 1, "RFC 5780 mode takes one primary UDP listener")
    scheme, host, _ = harness.parse_url(listen[0])
    last_error = None
    for _ in range(3):  # the free port may be taken between our check and the server's bind
        port = harness.free_port_block((host, alt_address), count=2, kinds=("udp",))
        args = ["--listen", "%s://%s:%d" % (scheme, host, port), "--alt-address", alt_address]
        others = [("udp", h, p) for h in (host, alt_address) for p in (port, port + 1)]
        try:
            server = start_rtc_stun(args + list(extra), 1, metrics, extra_ready=others)
        except TestFailure as e:
            last_error = e
            continue
        server.urls = others
        return server
    raise last_error
