#!/usr/bin/python3
"""coturn's turnutils_uclient against rtc-turn, with turnutils_peer as the peer.

Usage: turn_uclient.py [test...]. Each relaying run must lose no packet. uclient's quirks
(interop-facts.md): it may exit 0 (or 255) when authentication fails, so its output is checked.
"""

import base64
import hashlib
import hmac
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import check, check_equal  # noqa: E402
from turn_server import check_no_loss, start_peer, uclient  # noqa: E402

USER, PASSWORD = turn_server.USER, turn_server.PASSWORD
SECRET = "rest-secret"


def start_turn(extra=(), tls=False, metrics=False, host="127.0.0.1"):
    """rtc-turn on udp:// and tcp:// (and tls://, dtls:// with a self-signed certificate)."""
    where = "[%s]" % host if ":" in host else host
    schemes = ["udp", "tcp"] + (["tls", "dtls"] if tls else [])
    listens = ["%s://%s:0" % (scheme, where) for scheme in schemes]
    extra = list(extra) + (["--cert", "auto"] if tls else [])
    return turn_server.start_turn(extra, listens=listens, metrics=metrics)


def relay_run(flags, extra=(), tls=False, scheme="udp", **kwargs):
    peer, peer_port = start_peer()
    with peer, start_turn(["--user", "%s:%s" % (USER, PASSWORD), "--allow-loopback-peers"]
                          + list(extra), tls=tls) as turn:
        out = uclient(turn.port(scheme), peer_port, flags, **kwargs)
        check_no_loss(out)
        turn.process.stop()
    return out


# Send indications (-s): channels are not used.
def test_udp_send():
    relay_run(["-s"])


def test_tcp_send():
    relay_run(["-t", "-s"], scheme="tcp")


def test_tls_send():
    relay_run(["-t", "-S", "-s"], tls=True, scheme="tls")


def test_dtls_send():
    relay_run(["-S", "-s"], tls=True, scheme="dtls")


def test_dtls_channels():
    relay_run(["-S"], tls=True, scheme="dtls")


def test_client_to_client_send():
    relay_run(["-y", "-s"])


# uclient's default mode binds channels; coturn 4.6.1 picks numbers in 0x4000-0x7FFF
# (RFC 5766), which RFC 8656 §12 narrowed to 0x4000-0x4FFF.
def test_udp_channels():
    relay_run([])


def test_tcp_channels():
    relay_run(["-t"], scheme="tcp")


# RFC 6156 IPv6 relays: uclient asks for an IPv6 relayed address (-x, REQUESTED-ADDRESS-FAMILY)
# and relays to turnutils_peer on ::1; an IPv4 relayed address could not reach that peer (443).
def ipv6_run(flags, scheme="udp", client_host="::1", relay_ips=("::1",)):
    peer, peer_port = start_peer("::1")
    extra = ["--user", "%s:%s" % (USER, PASSWORD), "--allow-loopback-peers"]
    for ip in relay_ips:
        extra += ["--relay-ip", ip]
    with peer, start_turn(extra, host=client_host) as turn:
        out = uclient(turn.port(scheme), peer_port, ["-x"] + flags, server_host=client_host,
                      peer_host="::1")
        check_no_loss(out)
        turn.process.stop()


def test_ipv6_udp_send():
    ipv6_run(["-s"])


def test_ipv6_udp_channels():
    ipv6_run([])


def test_ipv6_tcp_channels():
    ipv6_run(["-t"], scheme="tcp")


# A client on IPv4 with an IPv6 relayed address, from a server relaying both families.
def test_ipv6_relay_ipv4_client():
    ipv6_run(["-s"], client_host="127.0.0.1", relay_ips=("127.0.0.1", "::1"))


def test_rest_secret():
    peer, peer_port = start_peer()
    with peer, start_turn(["--auth-secret", SECRET, "--allow-loopback-peers"]) as turn:
        exe = harness.require_program("turnutils_uclient", "coturn")
        argv = [exe, "-n", "50", "-m", "1", "-l", "100", "-e", "127.0.0.1", "-r",
                str(peer_port), "-p", str(turn.port("udp")), "-W", SECRET, "-u", "alice",
                "-z", "5", "-s", "127.0.0.1"]
        result = harness.run(argv, timeout=60)
        check_no_loss(result.stdout + result.stderr)
        turn.process.stop()


def test_rest_credentials_by_hand():
    """The password a web service hands out (base64 HMAC-SHA1 of "<expiry>:<user>")."""
    peer, peer_port = start_peer()
    with peer, start_turn(["--auth-secret", SECRET, "--allow-loopback-peers"]) as turn:
        username = "%d:bob" % (int(time.time()) + 3600)
        password = base64.b64encode(hmac.new(SECRET.encode(), username.encode(),
                                             hashlib.sha1).digest()).decode()
        check_no_loss(uclient(turn.port("udp"), peer_port, ["-s"], user=username,
                              password=password))
        turn.process.stop()


def test_wrong_password():
    peer, peer_port = start_peer()
    with peer, start_turn(["--user", "%s:%s" % (USER, PASSWORD),
                           "--allow-loopback-peers"]) as turn:
        out = uclient(turn.port("udp"), peer_port, ["-s"], password="wrong", count=5,
                      expect_ok=False)
        check("Cannot complete Allocation" in out or "error 401" in out,
              "a wrong password was not refused:\n" + out[-3000:])
        check(not re.search(r"tot_recv_msgs=[1-9]", out), "data relayed without auth")
        turn.process.stop()


# RFC 6062 (-T implies -y: each client Connects to the other's TCP relay, whose client gets a
# ConnectionAttempt; both then bind a data connection). Eight sessions over two worker threads
# make ConnectionBinds land on the thread that did not issue the id, at least now and then.
def test_tcp_relay():
    with start_turn(["--user", "%s:%s" % (USER, PASSWORD), "--allow-loopback-peers"],
                    metrics=True) as turn:
        for _ in range(3):
            exe = harness.require_program("turnutils_uclient", "coturn")
            argv = [exe, "-T", "-n", "50", "-m", "4", "-l", "100", "-p", str(turn.port("tcp")),
                    "-u", USER, "-w", PASSWORD, "-z", "5", "127.0.0.1"]
            result = harness.run(argv, timeout=60)
            check_equal(result.returncode, 0, "turnutils_uclient exit code")
            check_no_loss(result.stdout + result.stderr)
        m = harness.scrape_metrics(turn.metrics_url)
        bound = m.value("rtc_turn_tcp_connections_total", event="bound")
        # Each session pair: one Connect (outbound) and one accepted connection, both bound.
        check(bound >= 3 * 8, "ConnectionBinds counted: %r" % bound)
        check_equal(m.value("rtc_turn_tcp_connections_total", event="connect_failure"), 0,
                    "failed connects")
        # SO_REUSEPORT spreads ~50 bind connections over two threads: some cross over.
        check(m.value("rtc_turn_tcp_binds_forwarded_total") > 0,
              "no ConnectionBind crossed threads")
        # Allocations end with their control connections (no leftovers once uclient is gone).
        harness.wait_until(lambda: harness.scrape_metrics(turn.metrics_url).value(
            "rtc_turn_allocations") == 0, what="allocations released with their connections")
        # ... and every peer data connection with them; none was cut for being idle.
        m = harness.scrape_metrics(turn.metrics_url)
        check_equal(m.value("rtc_turn_tcp_connections"), 0, "peer data connections left")
        check_equal(m.value("rtc_turn_permissions"), 0, "permissions left")
        check_equal(m.value("rtc_turn_tcp_connections_total", event="idle_timeout"), 0,
                    "idle timeouts")
        turn.process.stop()


def test_tcp_relay_loopback_forbidden():
    """RFC 6062 Connect obeys the peer filter: loopback peers are 403 without
    --allow-loopback-peers, so nothing is relayed."""
    with start_turn(["--user", "%s:%s" % (USER, PASSWORD)]) as turn:
        exe = harness.require_program("turnutils_uclient", "coturn")
        argv = [exe, "-T", "-n", "5", "-m", "1", "-l", "100", "-p", str(turn.port("tcp")),
                "-u", USER, "-w", PASSWORD, "-z", "5", "127.0.0.1"]
        out = harness.run(argv, timeout=60)
        text = out.stdout + out.stderr
        check("403" in text, "no 403 (Forbidden) for a loopback peer:\n" + text[-3000:])
        check(not re.search(r"tot_recv_msgs=[1-9]", text), "relayed to a loopback peer:\n" +
              text[-3000:])
        turn.process.stop()


# SIGHUP reloads REST secrets (from --auth-secret-file) without restarting.
def test_reload_secret():
    directory = harness.temp_dir()
    path = os.path.join(directory, "secrets")
    with open(path, "w") as f:
        f.write("old-secret\n")
    peer, peer_port = start_peer()
    with peer, start_turn(["--auth-secret-file", path, "--allow-loopback-peers"]) as turn:
        def run_with(secret):
            exe = harness.require_program("turnutils_uclient", "coturn")
            argv = [exe, "-n", "20", "-m", "1", "-l", "100", "-e", "127.0.0.1", "-r",
                    str(peer_port), "-p", str(turn.port("udp")), "-W", secret, "-u", "alice",
                    "-z", "5", "-s", "127.0.0.1"]
            result = harness.run(argv, timeout=60)
            return result.stdout + result.stderr
        check_no_loss(run_with("old-secret"))
        with open(path, "w") as f:
            f.write("new-secret\n")
        turn.process.send_signal(signal.SIGHUP)
        turn.process.wait_json(lambda r: r.get("msg") == "reloaded users")
        check_no_loss(run_with("new-secret"))
        out = run_with("old-secret")
        check(not re.search(r"tot_recv_msgs=[1-9]", out), "the old secret still works:\n" +
              out[-3000:])
        turn.process.stop()


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
