#!/usr/bin/python3
"""rtc-sfu's command line against CLI.md: usage errors, --help and --version, the man page, the
committed completions, --config / --print-config, a taken port, and SIGINT.

Usage: sfu_cli.py [test...]
"""

import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import cli_checks  # noqa: E402
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from sfu_server import start_sfu  # noqa: E402

TOOL = "rtc-sfu"
REQUIRED_FLAGS = [
    "listen", "cert", "key", "external-ip", "token", "ice-server", "allow-origin", "max-peers",
    "max-streams", "max-subscribers", "max-room-members", "consent-timeout", "record", "config", "print-config", "log-level",
    "log-format", "metrics", "generate", "help", "version",
]


def test_usage_errors():
    for args, flag in [
        (["--no-such-flag"], "--no-such-flag"),
        (["--listen", "tcp://127.0.0.1:1"], "--listen"),
        (["--listen", "udp://127.0.0.1:0"], "--listen"),
        (["--listen", "http://127.0.0.1:0"], "--listen"),
        (["--listen", "https://127.0.0.1:0", "--listen", "udp://127.0.0.1:0"], "--cert"),
        (["--max-peers", "0"], "--max-peers"),
        (["--consent-timeout", "1"], "--consent-timeout"),
        (["--ice-server", "http://x"], "--ice-server"),
        (["--external-ip", "not-an-ip"], "--external-ip"),
        (["--record", "/nonexistent/recordings"], "--record"),
    ]:
        cli_checks.check_usage_error(TOOL, args, flag)


def test_help_version_man_completions():
    cli_checks.check_help_and_version(TOOL, REQUIRED_FLAGS)
    cli_checks.check_man_page(TOOL)
    cli_checks.check_completions(TOOL)


def test_config_file():
    path = os.path.join(harness.temp_dir(), "sfu.toml")
    with open(path, "w") as f:
        f.write('max-streams = 7\nice-server = ["stun:stun.example.org"]\n')
    result = cli_checks.run_tool(TOOL, "--config", path, "--max-peers", "3", "--print-config")
    check_equal(result.returncode, 0, "--print-config exit code (%s)" % result.stderr)
    for line in ("max-streams=7", "max-peers=3", "stun:stun.example.org"):
        check(line in result.stdout.replace(" ", ""), "%r not in:\n%s" % (line, result.stdout))
    secret = cli_checks.run_tool(TOOL, "--token", "0123456789abcdef-SECRET", "--print-config")
    check("0123456789abcdef-SECRET" not in secret.stdout, "a secret printed in clear")


def test_cannot_bind_exits_1():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = cli_checks.run_tool(TOOL, "--listen", "udp://127.0.0.1:%d" % port,
                                     "--listen", "http://127.0.0.1:0")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    check_equal(result.returncode, 1, "exit code when the port is taken (%r)" % result.stderr)
    check(any(str(port) in line and "in use" in line for line in lines),
          "no 'in use' error naming port %d: %r" % (port, lines))


def test_sigint_stops_with_0():
    with start_sfu() as server:
        server.process.stop(signum=signal.SIGINT, expect=0)


if __name__ == "__main__":
    harness.main({
        "usage_errors": test_usage_errors,
        "help_version_man_completions": test_help_version_man_completions,
        "config_file": test_config_file,
        "cannot_bind_exits_1": test_cannot_bind_exits_1,
        "sigint_stops_with_0": test_sigint_stops_with_0,
    })
