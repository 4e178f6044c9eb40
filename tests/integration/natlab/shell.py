#!/usr/bin/python3
"""Brings the NAT lab up with one personality and runs a command behind the NAT, for debugging.

    shell.py PERSONALITY [--rtc-stun PATH] [-- COMMAND ARGS...]

The servers run as in the test (rtc-stun on 203.0.113.10:3478, coturn on 203.0.113.10:3480,
alternates on 203.0.113.11). COMMAND runs inside the client namespace (192.0.2.2 behind the
router); without one, an interactive shell does. Everything is torn down when it exits.
Example: shell.py symmetric-random -- rtc-probe nat stun:203.0.113.10:3478 --json
"""

import argparse
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import natlab_test  # noqa: E402
import personalities  # noqa: E402
import topology  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("personality", choices=sorted(personalities.BY_NAME))
    parser.add_argument("--rtc-stun", help="rtc-stun to serve (default: the build tree's)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    signal.signal(signal.SIGTERM, natlab_test._stop)
    personality = personalities.BY_NAME[args.personality]
    topology.reap_stale()
    with topology.Lab() as lab:
        natlab_test.start_servers(lab, args.rtc_stun or harness.tool_path("rtc-stun"))
        lab.set_router(personality.ruleset, personality.wan_addresses, personality.sysctls,
                       personality.inet_routes)
        print("natlab: %s (%s); client %s, router %s, inet %s" % (
            personality.name, personality.summary, lab.client, lab.router, lab.inet),
            file=sys.stderr, flush=True)
        argv = command or [os.environ.get("SHELL", "/bin/bash")]
        return subprocess.call(lab.exec_argv(lab.client, argv))


if __name__ == "__main__":
    sys.exit(main())
