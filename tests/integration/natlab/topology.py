"""The NAT lab's network: three namespaces joined by veth links, in TEST-NET ranges only.

    client (192.0.2.2/24) --- (192.0.2.1) nat (198.51.100.2/24) --- (198.51.100.1) inet
                                                                      203.0.113.10/32 (lo)
                                                                      203.0.113.11/32 (lo)

`client` is a host behind the NAT, `nat` the router whose nftables ruleset is the personality
under test, `inet` the "internet" host with two addresses for RFC 5780 servers.

A two-sided lab (Lab(sides=2), for `rtc-probe ice` across two NATs) adds a second home on its
own WAN link, with the same LAN prefix as the first (as two homes have) and another host:

    client2 (192.0.2.3/24) --- (192.0.2.1) natb (198.18.0.2/24) --- (198.18.0.1) inet

`inet` then forwards between the two WAN links, so each router reaches the other's public
address (direct paths) as well as the servers. The addresses
exist only inside the namespaces: nothing here touches the root namespace's links, routes or
firewall (every command runs with `ip -n NS` or `ip netns exec NS`).

The router is recreated for every personality (Lab.set_router): a new namespace starts with an
empty ruleset, an empty conntrack table and default sysctls, so no binding or timeout survives
from one personality to the next. The servers' addresses sit on `inet`'s loopback, so they
outlive the links and the servers keep running across personalities.

Names carry the test's pid and a random tag (parallel runs cannot collide); a run killed before
its teardown leaves namespaces that the next run removes (reap_stale) together with the
processes it had started inside them.
"""

import os
import re
import secrets
import signal
import subprocess

CLIENT_IP = "192.0.2.2"
ROUTER_LAN_IP = "192.0.2.1"
ROUTER_WAN_IP = "198.51.100.2"
INET_LINK_IP = "198.51.100.1"
SERVER_IP = "203.0.113.10"
SERVER_ALT_IP = "203.0.113.11"

# The second side (two-sided lab): same LAN prefix, another host, its own WAN link.
CLIENT2_IP = "192.0.2.3"
ROUTER2_WAN_IP = "198.18.0.2"
INET_LINK2_IP = "198.18.0.1"

LAN_NET = "192.0.2.0/24"
WAN_NET = "198.51.100.0/24"
WAN2_NET = "198.18.0.0/24"
SERVER_NET = "203.0.113.0/24"

# Interface names inside the router; nftables rulesets refer to them.
LAN_IF = "lan0"
WAN_IF = "wan0"

_PREFIX = "natlab"
_NAME = re.compile(r"^%s-(\d+)-[0-9a-f]+-(client\d?|nat[b]?\d*|inet)$" % _PREFIX)


class LabError(RuntimeError):
    pass


def _run(argv, timeout=20, input_text=None, check=True):
    try:
        result = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                                timeout=timeout,
                                stdin=None if input_text is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise LabError("%s did not finish within %d s" % (" ".join(argv), timeout))
    if check and result.returncode != 0:
        raise LabError("%s failed (%d): %s" % (" ".join(argv), result.returncode,
                                               (result.stderr or result.stdout).strip()))
    return result


def list_namespaces():
    result = _run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def _kill_namespace_processes(namespace):
    result = _run(["ip", "netns", "pids", namespace], check=False)
    for pid in result.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def delete_namespace(namespace):
    _kill_namespace_processes(namespace)
    _run(["ip", "netns", "delete", namespace], check=False)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale():
    """Deletes lab namespaces whose creating process is gone (a run killed by a timeout)."""
    reaped = []
    for namespace in list_namespaces():
        match = _NAME.match(namespace)
        if match and not _pid_alive(int(match.group(1))):
            delete_namespace(namespace)
            reaped.append(namespace)
    return reaped


class _Side:
    """One home: its client host and the addresses of its router's links."""

    def __init__(self, client, client_ip, wan_ip, inet_link_ip, router_tag):
        self.client = client
        self.client_ip = client_ip
        self.wan_ip = wan_ip
        self.inet_link_ip = inet_link_ip
        self.router_tag = router_tag
        self.router = None


class Lab:
    """Creates the client and inet hosts; set_router() (re)creates the router between them.

    With sides=2 a second client (client2) sits behind a second router (router2), made with
    set_router(..., side=1)."""

    def __init__(self, sides=1):
        stem = "%s-%d-%s" % (_PREFIX, os.getpid(), secrets.token_hex(3))
        self.client = stem + "-client"
        self.inet = stem + "-inet"
        self._stem = stem
        self._sides = [_Side(self.client, CLIENT_IP, ROUTER_WAN_IP, INET_LINK_IP, "nat")]
        if sides == 2:
            self._sides.append(_Side(stem + "-client2", CLIENT2_IP, ROUTER2_WAN_IP,
                                     INET_LINK2_IP, "natb"))
        self._generation = 0
        self._created = []

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def router(self):
        return self._sides[0].router

    @property
    def client2(self):
        return self._sides[1].client if len(self._sides) > 1 else None

    @property
    def router2(self):
        return self._sides[1].router if len(self._sides) > 1 else None

    def up(self):
        for namespace in [side.client for side in self._sides] + [self.inet]:
            self._add_namespace(namespace)
        # The servers' addresses live on inet's loopback so they survive link changes.
        for address in (SERVER_IP, SERVER_ALT_IP):
            self.ip(self.inet, "addr", "add", address + "/32", "dev", "lo")
        if len(self._sides) > 1:
            self.sysctl(self.inet, "net.ipv4.ip_forward", "1")  # between the two WAN links
        return self

    def down(self):
        """Kills everything still running inside the namespaces and deletes them."""
        for namespace in reversed(self._created):
            delete_namespace(namespace)
        self._created = []
        for side in self._sides:
            side.router = None

    def __enter__(self):
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc):
        self.down()
        return False

    # -- the router -----------------------------------------------------------------------

    def set_router(self, ruleset, wan_addresses=(), sysctls=(), inet_routes=(), side=0):
        """A fresh router namespace with `ruleset` (nft syntax) loaded; links and routes anew.

        wan_addresses: extra public addresses on the router's WAN link (beside its own);
        sysctls: (key, value) pairs set inside the router (per-namespace ones only);
        inet_routes: prefixes `inet` routes back through the router (for a router without NAT);
        side: 0 for the first client's router, 1 for client2's (two-sided lab).
        """
        home = self._sides[side]
        self._remove_router(home)
        self._generation += 1
        router = "%s-%s%d" % (self._stem, home.router_tag, self._generation)
        self._add_namespace(router)
        home.router = router
        # Per-generation peer names: the old pair may linger a moment after its namespace goes.
        client_if = "up%d" % self._generation
        inet_if = "dn%d" % self._generation
        self.ip(router, "link", "add", LAN_IF, "type", "veth", "peer", "name", client_if,
                "netns", home.client)
        self.ip(router, "link", "add", WAN_IF, "type", "veth", "peer", "name", inet_if,
                "netns", self.inet)
        self.ip(router, "addr", "add", ROUTER_LAN_IP + "/24", "dev", LAN_IF)
        self.ip(router, "addr", "add", home.wan_ip + "/24", "dev", WAN_IF)
        for address in wan_addresses:
            self.ip(router, "addr", "add", address + "/24", "dev", WAN_IF)
        self.ip(home.client, "addr", "add", home.client_ip + "/24", "dev", client_if)
        self.ip(self.inet, "addr", "add", home.inet_link_ip + "/24", "dev", inet_if)
        for namespace, interfaces in ((router, (LAN_IF, WAN_IF)), (home.client, (client_if,)),
                                      (self.inet, (inet_if,))):
            for interface in interfaces:
                self.ip(namespace, "link", "set", interface, "up")
        self.ip(home.client, "route", "add", "default", "via", ROUTER_LAN_IP)
        self.ip(router, "route", "add", SERVER_NET, "via", home.inet_link_ip)
        # Two homes: each router reaches the other's WAN link through inet.
        for other in self._sides:
            if other is not home:
                other_net = WAN_NET if other.wan_ip == ROUTER_WAN_IP else WAN2_NET
                self.ip(router, "route", "add", other_net, "via", home.inet_link_ip)
        for prefix in inet_routes:
            self.ip(self.inet, "route", "add", prefix, "via", home.wan_ip)
        self.sysctl(router, "net.ipv4.ip_forward", "1")
        for key, value in sysctls:
            self.sysctl(router, key, value)
        self.nft(router, ruleset)
        return router

    def _remove_router(self, home=None):
        home = home or self._sides[0]
        if home.router is not None:
            delete_namespace(home.router)
            self._created.remove(home.router)
            home.router = None

    # -- commands inside the namespaces ---------------------------------------------------

    def _add_namespace(self, namespace):
        _run(["ip", "netns", "add", namespace])
        self._created.append(namespace)
        self.ip(namespace, "link", "set", "lo", "up")

    @staticmethod
    def ip(namespace, *args):
        return _run(["ip", "-n", namespace] + list(args))

    @staticmethod
    def exec_argv(namespace, argv):
        """argv that runs `argv` inside `namespace` (ip netns exec execs it: same pid)."""
        return ["ip", "netns", "exec", namespace] + list(argv)

    def sysctl(self, namespace, key, value):
        _run(self.exec_argv(namespace, ["sysctl", "-q", "-w", "%s=%s" % (key, value)]))

    def read_sysctl(self, namespace, key):
        return _run(self.exec_argv(namespace, ["sysctl", "-n", key])).stdout.strip()

    def nft(self, namespace, ruleset):
        _run(self.exec_argv(namespace, ["nft", "-f", "-"]), input_text=ruleset)

    def ruleset(self, namespace=None):
        return _run(self.exec_argv(namespace or self.router, ["nft", "list", "ruleset"])).stdout
