"""A throwaway network namespace for peers that will not use loopback (libnice skips `lo`).

    with TestNamespace("10.77.0.1") as ns:
        harness.run(ns.exec_argv([...]))

creates a namespace with `lo` up and a veth pair whose both ends stay inside it, one end holding
the address as /32, so every packet stays in the namespace. On exit (also after a failure) the
processes still in the namespace are killed by pid and the namespace is deleted. Needs root.
"""

import os
import signal
import subprocess

import harness
from harness import check


def require_netns():
    """Skips (fails under CI) without root or `ip`: making a namespace needs both."""
    harness.require_program("ip", "iproute2")
    if os.geteuid() != 0:
        harness.missing_peer("root (to make a network namespace)", "none: run as root")


def _ip(*args, check_result=True):
    result = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=20,
                            stdin=subprocess.DEVNULL)
    if check_result:
        check(result.returncode == 0, "ip %s: %s" % (" ".join(args), result.stderr.strip()))
    return result


class TestNamespace:
    def __init__(self, address, prefix="rtcit"):
        self.address = address
        self.name = "%s%d" % (prefix, os.getpid())

    def exec_argv(self, argv):
        # ip netns exec execs argv: the same pid, so a timeout kills the program itself.
        return ["ip", "netns", "exec", self.name] + list(argv)

    def pids(self):
        result = _ip("netns", "pids", self.name, check_result=False)
        return [int(p) for p in result.stdout.split() if p.isdigit()]

    def up(self):
        _ip("netns", "add", self.name)
        try:
            _ip("link", "add", "vt0", "netns", self.name, "type", "veth", "peer", "name", "vt1",
                "netns", self.name)
            _ip("-n", self.name, "addr", "add", self.address + "/32", "dev", "vt0")
            for link in ("lo", "vt0", "vt1"):
                _ip("-n", self.name, "link", "set", link, "up")
        except Exception:
            self.down()
            raise

    def down(self):
        for pid in self.pids():  # only ours: nothing else runs in this namespace
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _ip("netns", "delete", self.name, check_result=False)

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()
        return False
