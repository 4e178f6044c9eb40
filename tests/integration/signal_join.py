#!/usr/bin/python3
"""`rtc-signal join`, the shell side (issue 5 "Client mode"): two join processes exchange an
offer and an answer through a server, JSON lines both ways, and exit codes for failures.

Usage: signal_join.py [test...]
"""

import asyncio
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402
from signal_server import Client, run_async, start_signal  # noqa: E402

ANSWERER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "sdp_answerer.py")


def signal_tool():
    return harness.tool_path("rtc-signal")


def test_offer_answer_between_two_shells():
    with start_signal() as server:
        url = server.ws_url("demo")
        bob = Process([signal_tool(), "--log-format", "json", "join", url, "--id", "bob",
                       "--exec", "/usr/bin/python3 " + ANSWERER])
        with bob:
            bob.wait_json(lambda r: r.get("msg") == "connected")
            offer = "v=0\no=alice 1 1 IN IP4 127.0.0.1\ns=-\n"
            result = harness.run([signal_tool(), "join", url, "--id", "alice", "--sdp",
                                  "--timeout", "10s"], input_text=offer, timeout=20)
            check_equal(result.returncode, 0, "alice's exit code (stderr: %s)" % result.stderr)
            check_equal(result.stdout.strip().splitlines(),
                        ["v=0", "s=answer to v=0"], "the bare answer on stdout")
            # The answerer exits 0 after answering, so bob's join leaves and exits 0 too.
            check_equal(bob.popen.wait(timeout=10), 0, "bob's exit code: " + bob.output())


def test_json_lines_both_ways():
    async def body():
        with start_signal() as server:
            peer = await Client.connect(server.ws_url("lines", id="peer"))
            await peer.recv_type("welcome")
            join = subprocess.Popen([signal_tool(), "join", server.ws_url("lines"), "--id", "sh"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                check_equal((await peer.recv_type("joined"))["id"], "sh", "the shell joined")
                join.stdin.write(json.dumps({"type": "message", "to": "peer", "data": 42}) + "\n")
                join.stdin.flush()
                m = await peer.recv_type("message")
                check_equal((m["from"], m["data"]), ("sh", 42), "stdin line relayed")
                await peer.send({"type": "message", "to": "sh", "data": "back"})
                loop = asyncio.get_running_loop()
                lines = []
                for _ in range(5):
                    line = await asyncio.wait_for(loop.run_in_executor(None, join.stdout.readline), 5)
                    lines.append(json.loads(line))
                    if lines[-1].get("type") == "message":
                        break
                check_equal(lines[0]["type"], "welcome", "first line")
                check_equal(lines[-1]["data"], "back", "room message on stdout")
                join.stdin.close()  # end of stdin: leave and exit 0
                check_equal(await asyncio.wait_for(loop.run_in_executor(None, join.wait), 10), 0,
                            "exit code at end of stdin")
                left = await peer.recv_type("left")
                check_equal(left["reason"], "leave", "left on purpose")
            finally:
                if join.poll() is None:
                    join.kill()

    run_async(body())


def test_failures_exit_1_and_2():
    port = harness.free_port("tcp")
    result = harness.run([signal_tool(), "join", "ws://127.0.0.1:%d/r" % port, "--timeout", "2s"],
                         input_text="", timeout=15)
    check_equal(result.returncode, 1, "nothing listening")
    check(result.stderr.startswith("rtc-signal: "), "one line naming the tool: %r" % result.stderr)
    with start_signal(["--token", "sesame-0123456789"]) as server:
        result = harness.run([signal_tool(), "join", server.ws_url("r"), "--token", "wrong"],
                             input_text="", timeout=15)
        check_equal(result.returncode, 1, "refused token")
        check("401" in result.stderr, "the status is named: %r" % result.stderr)
    result = harness.run([signal_tool(), "join", "http://x/r"], input_text="", timeout=15)
    check_equal(result.returncode, 2, "not a ws URL")
    result = harness.run([signal_tool(), "join", "ws://127.0.0.1:1/r", "--bogus"], timeout=15)
    check_equal(result.returncode, 2, "unknown flag")
    check("--bogus" in result.stderr, "the flag is named: %r" % result.stderr)


if __name__ == "__main__":
    harness.main({
        "offer_answer_between_two_shells": test_offer_answer_between_two_shells,
        "json_lines_both_ways": test_json_lines_both_ways,
        "failures_exit_1_and_2": test_failures_exit_1_and_2,
    })
