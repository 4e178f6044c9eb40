"""Two line-oriented agents (e.g. `rtc-probe ice`) with each one's stdout piped into the other's
stdin, as a shell pipe pair would; every wait is bounded."""

import subprocess
import threading
import time


def pipe_two(argvs, timeout):
    """Runs argvs[0] and argvs[1] piped into each other; returns, per agent, (exit code, or None
    when it was still running after `timeout` seconds and was killed; stdout lines; stderr)."""
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for argv in argvs]
    lines = [[], []]
    errors = ["", ""]

    def relay(i):
        for line in procs[i].stdout:
            lines[i].append(line)
            try:
                procs[1 - i].stdin.write(line)
                procs[1 - i].stdin.flush()
            except (BrokenPipeError, ValueError):
                pass  # the other agent is done

    def drain_stderr(i):
        errors[i] = procs[i].stderr.read()

    threads = [threading.Thread(target=f, args=(i,)) for i in (0, 1) for f in (relay, drain_stderr)]
    for t in threads:
        t.start()
    codes = [None, None]
    deadline = time.monotonic() + timeout
    try:
        for i, p in enumerate(procs):
            try:
                codes[i] = p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for t in threads:
            t.join(timeout=timeout)
        for p in procs:
            try:
                p.stdin.close()
            except (BrokenPipeError, ValueError):
                pass  # a line was still buffered for an agent that has exited
    return [(codes[i], lines[i], errors[i]) for i in (0, 1)]
