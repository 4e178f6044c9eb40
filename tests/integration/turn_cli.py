#!/usr/bin/python3
"""rtc-turn's command line: --print-config keeps secrets out of its output.

Usage: turn_cli.py [test...]. Passwords of --user NAME:PASS and REST secrets, given on the
command line, in the environment or in a --config file, never appear in --print-config; their
lines are commented out, so the output used as a --config file carries no placeholder secret.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402

SECRETS = ("pw-on-argv", "pw-in-file", "rest-on-argv", "rest-in-env", "rest-in-file")


def rtc_turn(*args, env=None):
    return harness.run([harness.tool_path("rtc-turn")] + list(args), env=env)


def check_clean(text, what):
    for secret in SECRETS:
        check(secret not in text, "%s shows %r:\n%s" % (what, secret, text))


def test_print_config_secrets():
    result = rtc_turn("--user", "alice:pw-on-argv", "--auth-secret", "rest-on-argv",
                      "--realm", "example.org", "--print-config")
    check_equal(result.returncode, 0, "--print-config exit code (stderr %r)" % result.stderr)
    out = result.stdout
    check_clean(out + result.stderr, "--print-config")
    check('# user="alice:<redacted>" (secret: not printed)\n' in out, "user line:\n" + out)
    check('# auth-secret="<redacted>" (secret: not printed)\n' in out, "secret line:\n" + out)
    check('realm="example.org"\n' in out, "realm missing:\n" + out)

    # The environment variable and the config file are redacted the same way.
    env = dict(os.environ, RTC_TURN_AUTH_SECRET="rest-in-env")
    result = rtc_turn("--user", "bob:pw-on-argv", "--print-config", env=env)
    check_equal(result.returncode, 0, "exit code with the environment secret")
    check_clean(result.stdout, "--print-config with RTC_TURN_AUTH_SECRET")
    check('# auth-secret="<redacted>"' in result.stdout, "env secret line:\n" + result.stdout)

    directory = harness.temp_dir()
    config = os.path.join(directory, "turn.toml")
    with open(config, "w") as f:
        f.write('user = ["carol:pw-in-file", "dave:pw-in-file"]\n'
                'auth-secret = "rest-in-file"\n')
    result = rtc_turn("--config", config, "--print-config")
    check_equal(result.returncode, 0, "exit code with a config file (%r)" % result.stderr)
    check_clean(result.stdout, "--print-config of a config file")
    check('# user=["carol:<redacted>", "dave:<redacted>"]' in result.stdout,
          "config users:\n" + result.stdout)

    # The printed configuration, read back, has no credentials left: rtc-turn says so rather
    # than run with "<redacted>" as a password.
    printed = os.path.join(directory, "printed.toml")
    with open(printed, "w") as f:
        f.write(result.stdout)
    result = rtc_turn("--config", printed, "--print-config")
    check_equal(result.returncode, 2, "a printed configuration without credentials")
    check("no credentials configured" in result.stderr, "stderr: %r" % result.stderr)


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
