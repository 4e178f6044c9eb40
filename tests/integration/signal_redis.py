#!/usr/bin/python3
"""Two rtc-signal processes share rooms through a real redis-server on loopback (issue 5
"Scale-out"): peers of one room split between them exchange messages; Redis stopped and
restarted on the same port, the servers reconnect by themselves and deliver again, and peers
that joined during the outage are announced.

Usage: signal_redis.py [test...]
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402
from signal_server import Client, run_async, start_signal  # noqa: E402


def start_redis(port):
    exe = harness.require_program("redis-server", "redis-server")
    process = Process([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--protected-mode", "no"], capture=True)
    harness.wait_tcp("127.0.0.1", port)
    return process


def connected_count(server):
    return sum(1 for r in server.process.json_records() if r.get("msg") == "redis connected")


def test_two_processes_share_a_room():
    port = harness.free_port("tcp")
    redis = start_redis(port)

    async def body():
        url = "redis://127.0.0.1:%d" % port
        with start_signal(["--redis", url, "--node-id", "one"]) as s1, \
                start_signal(["--redis", url, "--node-id", "two"]) as s2:
            for s in (s1, s2):
                harness.wait_until(lambda s=s: connected_count(s) >= 1, what="redis connected")
            alice = await Client.connect(s1.ws_url("room", id="alice"))
            await alice.recv_type("welcome")
            harness.wait_until(lambda: s2.metrics().value("rtc_signal_remote_peers") >= 1,
                               what="node two knows alice")
            bob = await Client.connect(s2.ws_url("room", id="bob"))
            welcome = await bob.recv_type("welcome")
            check_equal(welcome["peers"], ["alice"], "bob's welcome lists alice on node one")
            check_equal((await alice.recv_type("joined"))["id"], "bob", "alice hears of bob")
            await alice.send({"type": "offer", "to": "bob", "sdp": "across"})
            offer = await bob.recv_type("offer")
            check_equal((offer["from"], offer["sdp"]), ("alice", "across"), "offer across nodes")
            await bob.send({"type": "answer", "to": "alice", "sdp": "back"})
            check_equal((await alice.recv_type("answer"))["sdp"], "back", "answer across nodes")
            check_equal(await refused_id_taken(s2, "alice"), 409, "an id held on node one")

            # Redis goes away and comes back on the same port.
            redis.kill()
            harness.wait_until(lambda: s1.metrics().value("rtc_signal_redis_connected") == 0,
                               what="node one sees Redis down")
            carol = await Client.connect(s1.ws_url("room", id="carol"))
            await carol.recv_type("welcome")
            restarted = start_redis(port)
            try:
                for s in (s1, s2):
                    harness.wait_until(lambda s=s: connected_count(s) >= 2, timeout=15,
                                       what="redis reconnected")
                harness.wait_until(lambda: s2.metrics().value("rtc_signal_remote_peers") >= 2,
                                   timeout=15, what="node two learns of carol")
                await carol.send({"type": "message", "to": "bob", "data": "after restart"})
                m = await bob.recv_type("message", timeout=10)
                check_equal((m["from"], m["data"]), ("carol", "after restart"),
                            "delivery after the restart")
                await bob.send({"type": "message", "data": "to all"})
                for c in (alice, carol):
                    check_equal((await c.recv_type("message"))["data"], "to all", "broadcast")
            finally:
                restarted.kill()

    try:
        run_async(body(), timeout=90)
    finally:
        redis.kill()


async def refused_id_taken(server, peer):
    import websockets

    try:
        ws = await websockets.connect(server.ws_url("room", id=peer), open_timeout=5)
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    return 101


if __name__ == "__main__":
    harness.main({"two_processes_share_a_room": test_two_processes_share_a_room})
