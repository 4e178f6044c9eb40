#!/usr/bin/python3
"""rtc-stun's command line against CLI.md: usage errors, --help, the man page, the committed
completions, --config / --print-config, and graceful stop on SIGTERM and SIGINT.

Usage: stun_cli.py [test...]
"""

import os
import re
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import stun_msg  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stun_server import start_rtc_stun, start_stun  # noqa: E402

# The fixed command line of rtc-stun (tests/integration brief, CLI.md).
REQUIRED_FLAGS = [
    "listen", "alt-address", "alt-port", "software", "rate-limit", "cert", "key", "config",
    "print-config", "log-level", "log-format", "metrics", "threads", "generate", "help", "version",
]
COMPLETION_FILES = {  # shell -> file under completions/, named as each shell looks them up
    "bash": os.path.join("bash", "rtc-stun"),
    "zsh": os.path.join("zsh", "_rtc-stun"),
    "fish": os.path.join("fish", "rtc-stun.fish"),
}


def rtc_stun(*args, timeout=10):
    return harness.run([harness.tool_path("rtc-stun")] + list(args), timeout=timeout)


def long_flags():
    """Every long flag, from the fish completion (one `complete ... -l NAME` per flag)."""
    result = rtc_stun("--generate", "complete-fish")
    check_equal(result.returncode, 0, "--generate complete-fish exit code")
    flags = re.findall(r"(?:^|\s)-l\s+'?([A-Za-z0-9][A-Za-z0-9-]*)'?", result.stdout)
    check(flags, "no `-l NAME` in the fish completion:\n" + result.stdout)
    missing = [f for f in REQUIRED_FLAGS if f not in flags]
    check(not missing, "fish completion lacks --%s" % ", --".join(missing))
    return sorted(set(flags))


def check_usage_error(args, flag):
    result = rtc_stun(*args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    what = "rtc-stun %s" % " ".join(args)
    check_equal(result.returncode, 2, "%s exit code (stderr: %r)" % (what, result.stderr))
    check_equal(len(lines), 1, "%s: stderr lines (%r)" % (what, result.stderr))
    check(flag in lines[0], "%s: the error does not name %s: %r" % (what, flag, lines[0]))
    # CLI.md: errors are one line and start with the tool's name.
    check(lines[0].startswith("rtc-stun"),
          "%s: error not prefixed with rtc-stun: %r" % (what, lines[0]))


def test_usage_errors():
    check_usage_error(["--no-such-flag"], "--no-such-flag")
    check_usage_error(["--threads", "x"], "--threads")
    check_usage_error(["--listen", "bogus://x"], "--listen")
    check_usage_error(["--log-level", "loud"], "--log-level")
    check_usage_error(["--log-format", "xml"], "--log-format")
    check_usage_error(["--generate", "complete-tcsh"], "--generate")
    check_usage_error(["--listen", "tls://127.0.0.1:0"], "--cert")  # TLS needs a certificate
    check_usage_error(["--config", "/nonexistent/rtc-stun.toml"], "--config")


def test_cannot_bind_exits_1():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = rtc_stun("--listen", "udp://127.0.0.1:%d" % port)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    check_equal(result.returncode, 1,
                "exit code when the port is taken (stderr %r)" % result.stderr)
    check(any(str(port) in line for line in lines), "no error naming port %d: %r" % (port, lines))

    # A second rtc-stun must not join the first one's SO_REUSEPORT group and split its traffic.
    with start_stun(["udp://127.0.0.1:0", "tcp://127.0.0.1:0"]) as first:
        for scheme, host, port in first.urls:
            result = rtc_stun("--listen", "%s://%s:%d" % (scheme, host, port))
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            check_equal(result.returncode, 1, "second server on %s port %d (stderr %r)"
                        % (scheme, port, result.stderr))
            check(len(lines) == 1 and "in use" in lines[0], "expected one 'in use' line: %r" % lines)


def test_help_and_version():
    result = rtc_stun("--help")
    check_equal(result.returncode, 0, "--help exit code")
    missing = [f for f in long_flags() if "--" + f not in result.stdout]
    check(not missing, "--help does not list --%s" % ", --".join(missing))
    for args in (["--version"], ["-V"]):
        result = rtc_stun(*args)
        check_equal(result.returncode, 0, "%s exit code" % args[0])
        check(re.fullmatch(r"rtc-stun \d+\.\d+\.\d+\S*\n?", result.stdout) is not None,
              "%s printed %r" % (args[0], result.stdout))


def test_man_page_lists_every_flag():
    path = os.path.join(harness.source_dir(), "man", "rtc-stun.1.scd")
    check(os.path.exists(path), "%s is missing" % path)
    with open(path) as f:
        text = f.read().replace("\\-", "-")
    missing = [f for f in long_flags() if not re.search(r"--%s\b" % re.escape(f), text)]
    check(not missing, "man/rtc-stun.1.scd does not mention --%s" % ", --".join(missing))


def test_completions_are_current():
    for shell, relative in COMPLETION_FILES.items():
        result = rtc_stun("--generate", "complete-" + shell)
        check_equal(result.returncode, 0, "--generate complete-%s exit code" % shell)
        check(result.stdout.strip(), "--generate complete-%s printed nothing" % shell)
        path = os.path.join(harness.source_dir(), "completions", relative)
        check(os.path.exists(path), "%s is missing (commit `rtc-stun --generate complete-%s`)"
              % (path, shell))
        with open(path) as f:
            committed = f.read()
        check(committed == result.stdout,
              "completions/%s differs from `rtc-stun --generate complete-%s`: regenerate it"
              % (relative, shell))


def software_of(server):
    answer, _ = stun_msg.udp_binding(server.endpoint("udp"), timeout=3)
    check(answer is not None and answer.is_success(), "no Binding success")
    return answer.software()


def test_config_file():
    directory = harness.temp_dir()
    config = os.path.join(directory, "rtc-stun.toml")
    with open(config, "w") as f:
        f.write('# rtc-stun test configuration\n'
                'listen = ["udp://127.0.0.1:0", "tcp://127.0.0.1:0"]\n'
                'software = "rtc-it config 1"\n'
                'log-level = "info"\n')
    server = start_rtc_stun(["--config", config], listen_count=2)
    with server:
        check_equal(sorted(s for s, _, _ in server.urls), ["tcp", "udp"], "listeners from the file")
        check_equal(software_of(server), "rtc-it config 1", "SOFTWARE from the config file")
        server.stop()
    # The command line wins over the file (CLI.md).
    with start_rtc_stun(["--config", config, "--software", "from argv"], listen_count=2) as server:
        check_equal(software_of(server), "from argv", "SOFTWARE from argv over the file")
        server.stop()
    # --print-config prints the effective configuration in a form --config accepts.
    result = rtc_stun("--config", config, "--print-config")
    check_equal(result.returncode, 0, "--print-config exit code (stderr %r)" % result.stderr)
    check("rtc-it config 1" in result.stdout,
          "--print-config lacks the software:\n" + result.stdout)
    printed = os.path.join(directory, "printed.toml")
    with open(printed, "w") as f:
        f.write(result.stdout)
    with start_rtc_stun(["--config", printed], listen_count=2) as server:
        check_equal(software_of(server), "rtc-it config 1", "SOFTWARE via --print-config output")
        server.stop()


def test_signals_stop_gracefully():
    for signum in (signal.SIGTERM, signal.SIGINT):
        with start_rtc_stun(["--listen", "udp://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0"],
                            listen_count=2) as server:
            # An open TCP connection must not keep the server from stopping.
            with socket.create_connection(server.endpoint("tcp"), timeout=5):
                check_equal(server.stop(signum), 0, "exit code after signal %d" % signum)


if __name__ == "__main__":
    harness.main({
        "usage_errors": test_usage_errors,
        "cannot_bind_exits_1": test_cannot_bind_exits_1,
        "help_and_version": test_help_and_version,
        "man_page": test_man_page_lists_every_flag,
        "completions": test_completions_are_current,
        "config_file": test_config_file,
        "signals": test_signals_stop_gracefully,
    })
