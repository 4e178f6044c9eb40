"""Shared plumbing for the integration tests: processes, ports, /proc, metrics, peers, skipping.

Every wait is bounded. A test script calls harness.main({...}) with its test functions; each
test raises TestFailure (via check()) on a failed assertion, or Skip when a third-party peer is
missing outside CI. Exit codes: 0 all passed, 1 a failure, 77 skipped (SKIP_RETURN_CODE).
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

SKIP_CODE = 77
DEFAULT_TIMEOUT = 10.0


class TestFailure(AssertionError):
    pass


class Skip(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise TestFailure("%s: expected %r, got %r" % (what, expected, actual))


# ---------------------------------------------------------------------------------------------
# Locations and requirements


def source_dir():
    env = os.environ.get("RTC_SOURCE_DIR")
    if env:
        return env
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def build_dir():
    env = os.environ.get("RTC_BUILD_DIR")
    if env:
        return env
    return os.path.join(source_dir(), "build")


def in_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_peer(what, package):
    """A third-party peer is missing: skip locally, fail under CI (scripts/deps installs it)."""
    message = "%s not found (Debian package %s; scripts/deps installs it)" % (what, package)
    if in_ci():
        raise TestFailure(message + " and CI is set")
    raise Skip(message)


def require_program(program, package):
    path = shutil.which(program)
    if path is None:
        missing_peer(program, package)
    return path


def require_path(path, package):
    if not os.path.exists(path):
        missing_peer(path, package)
    return path


def tool_path(name):
    """Our own executable in the build tree. Missing is always a failure, never a skip."""
    path = os.path.join(build_dir(), "tools", name, name)
    check(os.access(path, os.X_OK), "%s is not built (expected at %s)" % (name, path))
    return path


def pion_tools():
    """Builds (cached) pion's stun-client, stun-bench and our stun-conn-client; returns the dir."""
    require_program("go", "golang-go")
    require_path("/usr/share/gocode/src/github.com/pion/stun", "golang-github-pion-stun-dev")
    script = os.path.join(source_dir(), "tests", "integration", "tools", "build-pion-stun.sh")
    result = run(["/bin/sh", script, build_dir()], timeout=240)
    if result.returncode == SKIP_CODE:
        raise Skip(result.stderr.strip())
    check(result.returncode == 0, "build-pion-stun.sh failed:\n" + result.stderr)
    return os.path.join(build_dir(), "pion")


def temp_dir():
    path = tempfile.mkdtemp(prefix="rtc-it-")
    atexit.register(shutil.rmtree, path, True)
    return path


# ---------------------------------------------------------------------------------------------
# Running things


def run(argv, timeout=DEFAULT_TIMEOUT, env=None, input_text=None, cwd=None):
    """Runs a program to completion with a time limit; returns CompletedProcess (text)."""
    try:
        return subprocess.run(
            argv,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise TestFailure(
            "%s did not finish within %.0f s; stdout:\n%s" % (argv[0], timeout, e.stdout or "")
        )


_started = []


def _kill_leftovers():
    for process in _started:
        process.kill()


atexit.register(_kill_leftovers)


class Process:
    """A long-running subprocess whose stdout and stderr lines are collected by threads."""

    def __init__(self, argv, env=None, cwd=None, capture=True):
        self.argv = list(argv)
        self.name = os.path.basename(argv[0])
        self._lines = {"stdout": [], "stderr": []}
        self._cond = threading.Condition()
        pipe = subprocess.PIPE if capture else subprocess.DEVNULL
        self.popen = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=pipe,
            stderr=pipe,
            text=True,
            errors="replace",
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        _started.append(self)
        self._readers = []
        if capture:
            for stream_name in ("stdout", "stderr"):
                reader = threading.Thread(target=self._read, args=(stream_name,), daemon=True)
                reader.start()
                self._readers.append(reader)

    def _read(self, stream_name):
        stream = getattr(self.popen, stream_name)
        for line in stream:
            with self._cond:
                self._lines[stream_name].append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def lines(self, stream_name="stderr"):
        with self._cond:
            return list(self._lines[stream_name])

    def output(self, timeout=10.0):
        """Everything printed so far; once the process has exited, everything it printed (the
        reader threads are joined first, so the last lines are not lost to a race)."""
        if self.popen.poll() is not None:
            deadline = time.monotonic() + timeout
            for reader in self._readers:
                reader.join(max(0.0, deadline - time.monotonic()))
        return "\n".join(self.lines("stdout") + self.lines("stderr"))

    def alive(self):
        return self.popen.poll() is None

    def wait_line(self, predicate, timeout=DEFAULT_TIMEOUT, stream_name="stderr", start=0):
        """The first line (from index start) satisfying predicate; fails on timeout or exit."""
        deadline = time.monotonic() + timeout
        index = start
        with self._cond:
            while True:
                lines = self._lines[stream_name]
                while index < len(lines):
                    if predicate(lines[index]):
                        return lines[index]
                    index += 1
                if self.popen.poll() is not None and all(not r.is_alive() for r in self._readers):
                    raise TestFailure(
                        "%s exited with %s before the expected output; output:\n%s"
                        % (self.name, self.popen.returncode, "\n".join(lines[-30:]))
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TestFailure(
                        "%s: expected output not seen within %.0f s; output:\n%s"
                        % (self.name, timeout, "\n".join(lines[-30:]))
                    )
                self._cond.wait(min(remaining, 0.2))

    def json_records(self, stream_name="stderr"):
        records = []
        for line in self.lines(stream_name):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def wait_json(self, predicate, count=1, timeout=DEFAULT_TIMEOUT, stream_name="stderr"):
        """The first `count` JSON log records satisfying predicate, in order."""
        found = []

        def accept(line):
            try:
                record = json.loads(line)
            except ValueError:
                return False
            if isinstance(record, dict) and predicate(record):
                found.append(record)
            return len(found) >= count

        self.wait_line(accept, timeout, stream_name)
        return found

    def send_signal(self, signum):
        if self.alive():
            os.kill(self.pid, signum)

    def stop(self, signum=signal.SIGTERM, timeout=DEFAULT_TIMEOUT, expect=0):
        """Sends signum, waits (bounded) and checks the exit code; returns it."""
        self.send_signal(signum)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure("%s did not exit within %.0f s of signal %d"
                              % (self.name, timeout, signum))
        for reader in self._readers:
            reader.join(2.0)
        if expect is not None:
            check(
                code == expect,
                "%s exited with %s after signal %d, expected %s; stderr:\n%s"
                % (self.name, code, signum, expect, "\n".join(self.lines()[-20:])),
            )
        return code

    def kill(self):
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    # /proc readings (Linux) --------------------------------------------------------------

    def rss_bytes(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise TestFailure("no VmRSS for pid %d" % self.pid)

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def cpu_seconds(self):
        """utime + stime of the whole process (all threads), in seconds."""
        return cpu_seconds(self.pid)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: field 3 is state, so utime (14) and stime (15) are at 11 and 12.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(predicate, timeout=DEFAULT_TIMEOUT, interval=0.05, what="condition"):
    """Polls predicate until true (returns its value) or fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestFailure("%s not reached within %.1f s" % (what, timeout))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Addresses and ports


def parse_url(url):
    """'udp://127.0.0.1:5' -> ('udp', '127.0.0.1', 5); brackets of IPv6 hosts are removed."""
    scheme, rest = url.split("://", 1)
    rest = rest.split("/", 1)[0]
    host, port = rest.rsplit(":", 1)
    return scheme, host.strip("[]"), int(port)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _port_free(host, port, kind):
    sock_type = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    with socket.socket(family_of(host), sock_type) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(kind="udp", host="127.0.0.1"):
    """A port the kernel just gave us (bind 0, read back, close)."""
    sock_type = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    with socket.socket(family_of(host), sock_type) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_port_block(hosts=("127.0.0.1",), count=2, kinds=("udp", "tcp")):
    """A port P such that P..P+count-1 are free for every kind on every host (bounded tries)."""
    for _ in range(200):
        base = free_port("udp", hosts[0])
        if base + count > 65535:
            continue
        if all(
            _port_free(h, base + i, k) for h in hosts for k in kinds for i in range(count)
        ):
            return base
    raise TestFailure("no block of %d free ports found" % count)


def wait_udp_stun(host, port, timeout=DEFAULT_TIMEOUT):
    """Waits until a Binding request to host:port gets a STUN answer; returns the answer."""
    from stun_msg import udp_binding  # local import: stun_msg sits next to this file

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message, _ = udp_binding((host, port), family_of(host), timeout=0.3, retries=1)
        if message is not None:
            return message
    raise TestFailure("no STUN answer from udp %s:%d within %.0f s" % (host, port, timeout))


def wait_tcp(host, port, timeout=DEFAULT_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise TestFailure("tcp %s:%d not accepting within %.0f s" % (host, port, timeout))
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Metrics (Prometheus text format)


class Metrics:
    def __init__(self, samples):
        self.samples = samples  # list of (name, {label: value}, float)

    def value(self, name, **labels):
        """Sum of every sample of `name` whose labels include `labels` (0 if none)."""
        total = 0.0
        for sample_name, sample_labels, value in self.samples:
            if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                total += value
        return total

    def has(self, name):
        return any(sample_name == name for sample_name, _, _ in self.samples)

    def labels(self, name, label):
        return sorted({l.get(label) for n, l, _ in self.samples if n == name and label in l})


def parse_labels(text):
    labels = {}
    i = 0
    while i < len(text):
        eq = text.index("=", i)
        key = text[i:eq].strip().lstrip(",").strip()
        j = eq + 2  # skip ="
        value = []
        while text[j] != '"':
            if text[j] == "\\":
                j += 1
            value.append(text[j])
            j += 1
        labels[key] = "".join(value)
        i = j + 1
        while i < len(text) and text[i] in ", ":
            i += 1
    return labels


def parse_metrics(text):
    samples = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            label_text, value_text = rest.rsplit("}", 1)
            labels = parse_labels(label_text)
        else:
            name, value_text = line.split(None, 1)
            labels = {}
        samples.append((name.strip(), labels, float(value_text.split()[0])))
    return Metrics(samples)


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode("utf-8", "replace")


def scrape_metrics(url):
    status, body = http_get(url)
    check(status == 200, "GET %s answered %d" % (url, status))
    return parse_metrics(body)


# ---------------------------------------------------------------------------------------------
# Test runner


def main(tests):
    """Runs the named tests (argv) or all of them; exits 0, 1 or 77."""
    names = sys.argv[1:] or list(tests)
    unknown = [n for n in names if n not in tests]
    if unknown:
        print("unknown test(s): %s; known: %s" % (", ".join(unknown), ", ".join(tests)))
        sys.exit(2)
    failed = skipped = 0
    for name in names:
        started = time.monotonic()
        try:
            tests[name]()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
        except Exception as e:  # a failed check or an unexpected error both fail the test
            failed += 1
            if not isinstance(e, TestFailure):
                traceback.print_exc()
            print("FAIL %s: %s" % (name, e), flush=True)
        else:
            print("PASS %s (%.1f s)" % (name, time.monotonic() - started), flush=True)
        finally:
            _kill_leftovers()
    if failed:
        sys.exit(1)
    if skipped == len(names):
        sys.exit(SKIP_CODE)
    sys.exit(0)
