#!/usr/bin/python3
"""rtc-signal's command line against CLI.md: usage errors, --help and --version, the man page,
the committed completions, --config / --print-config, a taken port, and SIGINT.

Usage: signal_cli.py [test...]
"""

import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import cli_checks  # noqa: E402
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from signal_server import start_signal  # noqa: E402

TOOL = "rtc-signal"
REQUIRED_FLAGS = [
    "listen", "cert", "key", "token-secret", "token-secret-file", "token", "allow-origin",
    "max-message-size", "max-messages-per-second", "max-peers-per-room", "max-rooms",
    "max-connections", "ping-interval", "resume-grace", "web-root", "peerjs", "redis", "config",
    "print-config", "log-level", "log-format", "metrics", "generate", "help", "version",
]


def test_usage_errors():
    for args, flag in [
        (["--no-such-flag"], "--no-such-flag"),
        (["--listen", "udp://127.0.0.1:1"], "--listen"),
        (["--listen", "https://127.0.0.1:0"], "--cert"),
        (["--max-rooms", "0"], "--max-rooms"),
        (["--allow-origin", "evil"], "--allow-origin"),
        (["--redis", "http://x"], "--redis"),
        (["--token-secret", "short"], "--token-secret"),
        (["--web-root", "/nonexistent/site"], "--web-root"),
        (["join"], "url"),
        (["join", "ws://127.0.0.1:1/r", "--timeout", "soon"], "--timeout"),
    ]:
        cli_checks.check_usage_error(TOOL, args, flag)


def test_help_version_man_completions():
    cli_checks.check_help_and_version(TOOL, REQUIRED_FLAGS, subcommands=["join"])
    cli_checks.check_man_page(TOOL)
    cli_checks.check_completions(TOOL)


def test_config_file():
    path = os.path.join(harness.temp_dir(), "signal.toml")
    with open(path, "w") as f:
        f.write('max-rooms = 7\nallow-origin = ["https://a.example"]\n')
    result = cli_checks.run_tool(TOOL, "--config", path, "--max-peers-per-room", "3",
                                 "--print-config")
    check_equal(result.returncode, 0, "--print-config exit code (%s)" % result.stderr)
    for line in ("max-rooms=7", "max-peers-per-room=3", "https://a.example"):
        check(line in result.stdout.replace(" ", ""), "%r not in:\n%s" % (line, result.stdout))
    secret = cli_checks.run_tool(TOOL, "--token-secret", "0123456789abcdef-SECRET",
                                 "--print-config")
    check("0123456789abcdef-SECRET" not in secret.stdout, "a secret printed in clear")


def test_cannot_bind_exits_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_checks.run_tool(TOOL, "--listen", "http://127.0.0.1:%d" % port)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    check_equal(result.returncode, 1, "exit code when the port is taken (%r)" % result.stderr)
    check(any(str(port) in line and "in use" in line for line in lines),
          "no 'in use' error naming port %d: %r" % (port, lines))


def test_sigint_stops_with_0():
    with start_signal() as server:
        server.process.stop(signum=signal.SIGINT, expect=0)


if __name__ == "__main__":
    harness.main({
        "usage_errors": test_usage_errors,
        "help_version_man_completions": test_help_version_man_completions,
        "config_file": test_config_file,
        "cannot_bind_exits_1": test_cannot_bind_exits_1,
        "sigint_stops_with_0": test_sigint_stops_with_0,
    })
