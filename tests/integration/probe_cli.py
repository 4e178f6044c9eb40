#!/usr/bin/python3
"""rtc-probe's command line against CLI.md: --help, --version, the man page lists every flag,
the committed completions are current, a subcommand is required.

Usage: probe_cli.py [test...]
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402

REQUIRED_FLAGS = [
    "json", "timeout", "ca", "insecure", "alt-server", "hairpin", "lifetime", "lifetime-max",
    "log-level", "log-format", "generate", "help", "version",
]
COMPLETION_FILES = {
    "bash": os.path.join("bash", "rtc-probe"),
    "zsh": os.path.join("zsh", "_rtc-probe"),
    "fish": os.path.join("fish", "rtc-probe.fish"),
}


def probe(*args):
    return harness.run([harness.tool_path("rtc-probe")] + list(args), timeout=10)


def long_flags():
    """Every long flag, from the fish completion (one `complete ... -l NAME` per flag)."""
    result = probe("--generate", "complete-fish")
    check_equal(result.returncode, 0, "--generate complete-fish exit code")
    flags = re.findall(r"(?:^|\s)-l\s+'?([A-Za-z0-9][A-Za-z0-9-]*)'?", result.stdout)
    missing = [f for f in REQUIRED_FLAGS if f not in flags]
    check(not missing, "fish completion lacks --%s" % ", --".join(missing))
    return sorted(set(flags))


def test_help_and_version():
    result = probe("--help")
    check_equal(result.returncode, 0, "--help exit code")
    for word in ("stun", "nat", "--log-level"):
        check(word in result.stdout, "--help lacks %s:\n%s" % (word, result.stdout))
    for command, flags in (("stun", ["--json", "--timeout", "--ca", "--insecure"]),
                           ("nat", ["--json", "--timeout", "--alt-server", "--hairpin",
                                    "--lifetime", "--lifetime-max"])):
        result = probe(command, "--help")
        check_equal(result.returncode, 0, "%s --help exit code" % command)
        missing = [f for f in flags if f not in result.stdout]
        check(not missing, "%s --help lacks %s" % (command, missing))
    for args in (["--version"], ["-V"]):
        result = probe(*args)
        check_equal(result.returncode, 0, "%s exit code" % args[0])
        check(re.fullmatch(r"rtc-probe \d+\.\d+\.\d+\S*\n?", result.stdout) is not None,
              "%s printed %r" % (args[0], result.stdout))


def test_subcommand_required():
    for args in ([], ["--json"], ["bogus"]):
        result = probe(*args)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        check_equal(result.returncode, 2, "rtc-probe %s exit code" % " ".join(args))
        check(len(lines) == 1 and lines[0].startswith("rtc-probe: "),
              "one error line expected: %r" % lines)


def test_man_page_lists_every_flag_and_code():
    path = os.path.join(harness.source_dir(), "man", "rtc-probe.1.scd")
    check(os.path.exists(path), "%s is missing" % path)
    with open(path) as f:
        text = f.read().replace("\\-", "-")
    missing = [f for f in long_flags() if not re.search(r"--%s\b" % re.escape(f), text)]
    check(not missing, "man/rtc-probe.1.scd does not mention --%s" % ", --".join(missing))
    for code in ("0", "1", "2", "10", "11", "12", "20", "30"):
        check(re.search(r"^\*%s\*$" % code, text, re.M), "exit status %s is not documented" % code)


def test_completions_are_current():
    for shell, relative in COMPLETION_FILES.items():
        result = probe("--generate", "complete-" + shell)
        check_equal(result.returncode, 0, "--generate complete-%s exit code" % shell)
        path = os.path.join(harness.source_dir(), "completions", relative)
        check(os.path.exists(path), "%s is missing" % path)
        with open(path) as f:
            check(f.read() == result.stdout,
                  "completions/%s differs from `rtc-probe --generate complete-%s`: run "
                  "scripts/regen-completions" % (relative, shell))


if __name__ == "__main__":
    harness.main({
        "help_and_version": test_help_and_version,
        "subcommand_required": test_subcommand_required,
        "man_page": test_man_page_lists_every_flag_and_code,
        "completions": test_completions_are_current,
    })
