"""Checks of CLI.md that hold for every tool: one-line usage errors with exit 2, --help listing
every flag, --version, the man page naming every flag, and the committed completions."""

import os
import re

import harness
from harness import check, check_equal

COMPLETION_PATHS = {  # shell -> file under completions/, named as each shell looks them up
    "bash": "bash/%s",
    "zsh": "zsh/_%s",
    "fish": "fish/%s.fish",
}


def run_tool(tool, *args, timeout=10):
    return harness.run([harness.tool_path(tool)] + list(args), timeout=timeout)


def long_flags(tool, required=()):
    """Every long flag, from the fish completion (one `complete ... -l NAME` per flag)."""
    result = run_tool(tool, "--generate", "complete-fish")
    check_equal(result.returncode, 0, "--generate complete-fish exit code")
    flags = re.findall(r"(?:^|\s)-l\s+'?([A-Za-z0-9][A-Za-z0-9-]*)'?", result.stdout)
    check(flags, "no `-l NAME` in the fish completion:\n" + result.stdout)
    missing = [f for f in required if f not in flags]
    check(not missing, "fish completion lacks --%s" % ", --".join(missing))
    return sorted(set(flags))


def check_usage_error(tool, args, flag):
    result = run_tool(tool, *args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    what = "%s %s" % (tool, " ".join(args))
    check_equal(result.returncode, 2, "%s exit code (stderr: %r)" % (what, result.stderr))
    check_equal(len(lines), 1, "%s: stderr lines (%r)" % (what, result.stderr))
    check(flag in lines[0], "%s: the error does not name %s: %r" % (what, flag, lines[0]))
    check(lines[0].startswith(tool), "%s: error not prefixed with %s: %r" % (what, tool, lines[0]))


def check_help_and_version(tool, required=(), subcommands=()):
    """--help (with each subcommand's --help) lists every flag; --version and -V print the
    version."""
    text = ""
    for args in [["--help"]] + [[sub, "--help"] for sub in subcommands]:
        result = run_tool(tool, *args)
        check_equal(result.returncode, 0, "%s exit code" % " ".join(args))
        text += result.stdout
    missing = [f for f in long_flags(tool, required) if "--" + f not in text]
    check(not missing, "--help does not list --%s" % ", --".join(missing))
    for args in (["--version"], ["-V"]):
        result = run_tool(tool, *args)
        check_equal(result.returncode, 0, "%s exit code" % args[0])
        check(re.fullmatch(r"%s \d+\.\d+\.\d+\S*\n?" % re.escape(tool), result.stdout) is not None,
              "%s printed %r" % (args[0], result.stdout))


def check_man_page(tool, section=1, flags=None):
    path = os.path.join(harness.source_dir(), "man", "%s.%d.scd" % (tool, section))
    check(os.path.exists(path), "%s is missing" % path)
    with open(path) as f:
        text = f.read().replace("\\-", "-")
    flags = long_flags(tool) if flags is None else flags
    missing = [f for f in flags if not re.search(r"--%s\b" % re.escape(f), text)]
    check(not missing, "man/%s.%d.scd does not mention --%s" % (tool, section, ", --".join(missing)))


def check_completions(tool):
    for shell, pattern in COMPLETION_PATHS.items():
        result = run_tool(tool, "--generate", "complete-" + shell)
        check_equal(result.returncode, 0, "--generate complete-%s exit code" % shell)
        check(result.stdout.strip(), "--generate complete-%s printed nothing" % shell)
        relative = pattern % tool
        path = os.path.join(harness.source_dir(), "completions", relative)
        check(os.path.exists(path), "%s is missing (commit `%s --generate complete-%s`)"
              % (path, tool, shell))
        with open(path) as f:
            committed = f.read()
        check(committed == result.stdout,
              "completions/%s differs from `%s --generate complete-%s`: regenerate it"
              % (relative, tool, shell))
