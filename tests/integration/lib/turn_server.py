"""Starts rtc-turn for the integration tests: JSON logs, listening URLs and metrics URL read back.

Also starts coturn's turnutils_peer and runs turnutils_uclient, for the tests that need them.
"""

import re

import harness
from harness import Process, check, check_equal

REALM = "example.org"
USER, PASSWORD = "test", "secret"


class TurnServer:
    def __init__(self, process, urls, metrics_url):
        self.process = process
        self.urls = urls  # list of (scheme, host, port)
        self.metrics_url = metrics_url

    def port(self, scheme="udp"):
        for s, _, p in self.urls:
            if s == scheme:
                return p
        raise harness.TestFailure("no %s listener in %r" % (scheme, self.urls))

    def metrics(self):
        check(self.metrics_url is not None, "rtc-turn started without --metrics")
        return harness.scrape_metrics(self.metrics_url)

    def base_url(self):
        return self.metrics_url.rsplit("/", 1)[0] if self.metrics_url.endswith("/metrics") \
            else self.metrics_url.rstrip("/")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.kill()
        return False


def start_turn(extra=(), listens=("udp://127.0.0.1:0", "tcp://127.0.0.1:0"), metrics=False,
               threads=2):
    """rtc-turn with the given listeners and flags; waits until UDP answers Binding."""
    argv = [harness.tool_path("rtc-turn"), "--realm", REALM, "--threads", str(threads),
            "--log-format", "json"]
    for url in listens:
        argv += ["--listen", url]
    if metrics:
        argv += ["--metrics", "127.0.0.1:0"]
    argv += list(extra)
    process = Process(argv)
    try:
        records = process.wait_json(lambda r: r.get("msg") == "listening", count=len(listens))
        urls = [harness.parse_url(r["url"]) for r in records]
        metrics_url = None
        if metrics:
            url = process.wait_json(lambda r: r.get("msg") == "metrics")[0]["url"]
            metrics_url = url if url.endswith("/metrics") else url.rstrip("/") + "/metrics"
        for scheme, host, port in urls:
            if scheme == "udp":
                harness.wait_udp_stun(host, port)
    except Exception:
        process.kill()
        raise
    return TurnServer(process, urls, metrics_url)


def start_peer(host="127.0.0.1"):
    """turnutils_peer (an echo peer) on host; it binds P and P+1."""
    peer = harness.require_program("turnutils_peer", "coturn")
    port = harness.free_port_block(hosts=(host,), count=2, kinds=("udp",))
    return Process([peer, "-L", host, "-p", str(port)]), port


def uclient_argv(server_port, peer_port, flags, user=USER, password=PASSWORD, count=50,
                 server_host="127.0.0.1", peer_host="127.0.0.1"):
    exe = harness.require_program("turnutils_uclient", "coturn")
    return [exe, "-n", str(count), "-m", "1", "-l", "100", "-e", peer_host,
            "-r", str(peer_port), "-p", str(server_port), "-u", user, "-w", password,
            "-z", "5"] + list(flags) + [server_host]


def uclient(server_port, peer_port, flags, timeout=60, expect_ok=True, **kwargs):
    result = harness.run(uclient_argv(server_port, peer_port, flags, **kwargs), timeout=timeout)
    if expect_ok:
        check_equal(result.returncode, 0, "turnutils_uclient exit code")
    return result.stdout + result.stderr


def uclient_totals(output):
    """(sent, received, lost) from uclient's last summary; fails if none was printed."""
    sent = re.findall(r"tot_send_msgs=(\d+)", output)
    recv = re.findall(r"tot_recv_msgs=(\d+)", output)
    lost = re.findall(r"Total lost packets (\d+)", output)
    check(sent and recv and lost, "no uclient summary printed:\n" + output[-3000:])
    return int(sent[-1]), int(recv[-1]), int(lost[-1])


def check_no_loss(output):
    sent, received, lost = uclient_totals(output)
    check_equal(lost, 0, "lost packets")
    check(received > 0, "nothing received back:\n" + output[-3000:])
    return sent, received
