"""The NAT-type clients the lab runs inside the client namespace, each read into one Verdict.

- labcheck.py: the lab's own control (asserted: it proves the personality is what it says);
- rtc-probe nat: the tool under test (asserted);
- turnutils_natdiscovery (coturn) and `stun` (stun-client, RFC 3489): the anchors, whose
  verdicts are only logged, for comparison.
"""

import json
import re
import subprocess
import time

from labcheck import rfc3489_label

ABBREVIATIONS = {
    "endpoint-independent": "EI",
    "address-dependent": "AD",
    "address-and-port-dependent": "APD",
    "none": "none",
    "unknown": "?",
    None: "-",
}


class Verdict:
    """What one client concluded, in the RFC 5780 / RFC 4787 vocabulary."""

    def __init__(self, tool, server, mapping=None, filtering=None, rfc3489=None, hairpin=None,
                 lifetime=None, exit_code=None, elapsed=None, log="", error=None):
        self.tool = tool
        self.server = server
        self.mapping = mapping
        self.filtering = filtering
        self.rfc3489 = rfc3489
        self.hairpin = hairpin
        self.lifetime = lifetime
        self.exit_code = exit_code
        self.elapsed = elapsed  # wall seconds
        self.log = log
        self.error = error  # the client did not produce a verdict at all

    def short(self):
        """'EI/APD' (mapping/filtering), 'blocked', or the RFC 3489 label for stun."""
        if self.error:
            return "error"
        if self.rfc3489 == "udp blocked":
            return "blocked"
        if self.mapping is None and self.filtering is None:
            return self.rfc3489 or "?"
        return "%s/%s" % (ABBREVIATIONS.get(self.mapping, self.mapping),
                          ABBREVIATIONS.get(self.filtering, self.filtering))

    def as_dict(self):
        return {k: v for k, v in vars(self).items() if k != "log"}


def run_in(lab, namespace, argv, timeout):
    """Runs argv inside namespace; returns (CompletedProcess or None on timeout, wall seconds)."""
    started = time.monotonic()
    try:
        result = subprocess.run(lab.exec_argv(namespace, argv), capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL, errors="replace")
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - started
    return result, time.monotonic() - started


# ---------------------------------------------------------------------------------------------
# The lab's control


def labcheck(lab, python, script, server, hairpin=False, lifetime=None):
    argv = [python, script, "nat", server]
    if hairpin:
        argv.append("--hairpin")
    if lifetime:
        argv += ["--lifetime", ",".join("%g" % s for s in lifetime)]
    result, elapsed = run_in(lab, lab.client, argv, timeout=60)
    if result is None or result.returncode != 0:
        text = "timed out" if result is None else result.stdout + result.stderr
        return Verdict("labcheck", server, elapsed=elapsed, log=text, error=text.strip())
    report = json.loads(result.stdout)
    verdict = Verdict("labcheck", server, report.get("mapping"), report.get("filtering"),
                      report.get("rfc3489"), report.get("hairpin"), elapsed=elapsed,
                      log=result.stdout)
    verdict.lifetime_alive = report.get("lifetime_alive")
    verdict.report = report
    return verdict


# ---------------------------------------------------------------------------------------------
# rtc-probe (the tool under test)


def rtc_probe(lab, probe, server, extra=(), timeout=90):
    """`rtc-probe nat stun:HOST:PORT --json` plus extra flags."""
    argv = [probe, "nat", "stun:" + server, "--json"] + list(extra)
    result, elapsed = run_in(lab, lab.client, argv, timeout)
    if result is None:
        return Verdict("rtc-probe", server, elapsed=elapsed, error="timed out after %d s" % timeout)
    log = "$ %s\n%s%s" % (" ".join(argv), result.stdout, result.stderr)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return Verdict("rtc-probe", server, exit_code=result.returncode, elapsed=elapsed, log=log,
                       error="no JSON on stdout (exit %d): %s"
                       % (result.returncode, result.stderr.strip()[-300:]))
    blocked = report.get("udp_blocked") or result.returncode == 20
    verdict = Verdict("rtc-probe", server,
                      None if blocked else report.get("mapping"),
                      None if blocked else report.get("filtering"),
                      report.get("rfc3489"), report.get("hairpin"),
                      lifetime=report.get("binding_lifetime_s"), exit_code=result.returncode,
                      elapsed=elapsed, log=log)
    verdict.report = report
    return verdict


# ---------------------------------------------------------------------------------------------
# Anchors: coturn's turnutils_natdiscovery


_NATDISCOVERY_MAPPING = [
    ("No NAT!", "none"),
    ("NAT with Endpoint Independent Mapping!", "endpoint-independent"),
    ("NAT with Address Dependent Mapping!", "address-dependent"),
    ("NAT with Address and Port Dependent Mapping!", "address-and-port-dependent"),
]
_NATDISCOVERY_FILTERING = [
    ("NAT with Endpoint Independent Filtering!", "endpoint-independent"),
    ("NAT with Address Dependent Filtering!", "address-dependent"),
    ("NAT with Address and Port Dependent Filtering!", "address-and-port-dependent"),
]


def _first_match(text, table):
    for needle, value in table:
        if needle in text:
            return value
    return None


def natdiscovery(lab, server):
    """`turnutils_natdiscovery -m -f -H -p PORT HOST`: mapping, filtering and hairpinning."""
    host, port = server.rsplit(":", 1)
    argv = ["turnutils_natdiscovery", "-m", "-f", "-H", "-p", port, host]
    result, elapsed = run_in(lab, lab.client, argv, timeout=60)
    if result is None:
        return Verdict("natdiscovery", server, elapsed=elapsed, error="timed out")
    text = result.stdout + result.stderr
    mapping = _first_match(text, _NATDISCOVERY_MAPPING)
    filtering = _first_match(text, _NATDISCOVERY_FILTERING)
    # It says "(maybe a successful hairpinning)" when its own request came back.
    hairpin = "successful hairpinning" in text
    error = None
    if mapping is None and filtering is None:
        lines = [line for line in text.splitlines() if line.strip()]
        error = "no verdict, exit %d: %s" % (result.returncode, lines[-1] if lines else "")
    rfc3489 = rfc3489_label(mapping, filtering) if mapping and filtering else None
    return Verdict("natdiscovery", server, mapping, filtering, rfc3489, hairpin,
                   exit_code=result.returncode, elapsed=elapsed, log=text, error=error)


def natdiscovery_lifetime(lab, server, seconds):
    """`turnutils_natdiscovery -t -T S` (RFC 5780 §4.6 with RESPONSE-PORT after S idle
    seconds). It prints no verdict and exits 0 either way: the answer to its second request
    ("RFC 5780 response 2") arriving means the binding was still alive. Returns (alive, text)."""
    host, port = server.rsplit(":", 1)
    argv = ["turnutils_natdiscovery", "-t", "-T", "%d" % seconds, "-p", port, host]
    result, _ = run_in(lab, lab.client, argv, timeout=seconds + 30)
    if result is None:
        return None, "timed out"
    text = result.stdout + result.stderr
    if "RFC 5780 response 1" not in text:
        return None, text
    return "RFC 5780 response 2" in text, text


# ---------------------------------------------------------------------------------------------
# Anchors: the classic RFC 3489 client `stun`


# Its exit code: NAT type in bits 1-3, 0x01 "preserves ports", 0x10 "no hairpin".
_STUN_TYPES = {
    0x00: "open internet",
    0x02: "full cone",
    0x04: "restricted cone",
    0x06: "port-restricted cone",
    0x08: "symmetric",
    0x0A: "symmetric udp firewall",
    0x0C: "udp blocked",
}


def stun_client(lab, server):
    result, elapsed = run_in(lab, lab.client, ["stun", server, "-v"], timeout=60)
    if result is None:
        return Verdict("stun", server, elapsed=elapsed, error="timed out")
    text = result.stdout + result.stderr
    code = result.returncode
    label = _STUN_TYPES.get(code & 0x0E)
    primary = re.search(r"(?m)^Primary: (.*)$", result.stdout)
    error = None if label else "unknown exit code 0x%02x" % code
    hairpin = None if label in ("udp blocked", "open internet") else not code & 0x10
    verdict = Verdict("stun", server, rfc3489=label, hairpin=hairpin, exit_code=code,
                      elapsed=elapsed, log=text, error=error)
    verdict.summary = primary.group(1).strip() if primary else ""
    return verdict
