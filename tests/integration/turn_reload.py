#!/usr/bin/python3
"""SIGHUP reloads rtc-turn's users file without dropping a session (issue 4, CLI.md signals).

Usage: turn_reload.py [test...]. turnutils_uclient streams through rtc-turn for a few seconds;
mid-stream the users file is rewritten (one user removed, one added) and rtc-turn gets SIGHUP.
The stream must lose nothing; afterwards the removed user is refused and the added one relays.
"""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import harness  # noqa: E402
import turn_server  # noqa: E402
from harness import Process, check, check_equal  # noqa: E402
from turn_client import TurnClient  # noqa: E402

STREAMER = ("test", "secret")  # stays in the file
REMOVED = ("old", "old-pass")
ADDED = ("new", "new-pass")
MESSAGES, INTERVAL_MS = 800, 5  # about 4 s of streaming


def write_users(path, users):
    with open(path + ".tmp", "w") as f:
        f.write("# users for turn_reload.py\n")
        for name, password in users:
            f.write("%s:%s\n" % (name, password))
    os.replace(path + ".tmp", path)


def allocate_code(turn, user):
    with TurnClient(("127.0.0.1", turn.port("udp")), user[0], user[1]) as client:
        code, _ = client.allocate()
        if code == 0:
            client.refresh(0)
        return code


def run_reload(flags):
    users_file = os.path.join(harness.temp_dir(), "users")
    write_users(users_file, [STREAMER, REMOVED])
    peer, peer_port = turn_server.start_peer()
    extra = ["--users-file", users_file, "--allow-loopback-peers"]
    with peer, turn_server.start_turn(extra, metrics=True) as turn:
        check_equal(allocate_code(turn, REMOVED), 0, "Allocate by the user about to be removed")
        check_equal(allocate_code(turn, ADDED), 401, "Allocate by the user not yet added")

        argv = turn_server.uclient_argv(turn.port("udp"), peer_port, flags, user=STREAMER[0],
                                        password=STREAMER[1], count=MESSAGES)
        argv[argv.index("-z") + 1] = str(INTERVAL_MS)
        with Process(argv) as streamer:
            # Mid-stream: wait (bounded) until packets flow both ways, then reload.
            harness.wait_until(
                lambda: turn.metrics().value("rtc_turn_relayed_packets_total",
                                             direction="to_client") >= 50,
                timeout=15, what="uclient traffic through rtc-turn")
            write_users(users_file, [STREAMER, ADDED])
            mark = len(turn.process.lines())
            turn.process.send_signal(signal.SIGHUP)
            record = turn.process.wait_line(lambda l: "reloaded users" in l, start=mark)
            compact = record.replace(" ", "")
            check('"users":"2"' in compact or '"users":2' in compact,
                  "reload did not load 2 users: " + record)
            check(streamer.alive(), "uclient finished before the reload: not a mid-stream test")
            code = streamer.popen.wait(60)
            check_equal(code, 0, "turnutils_uclient exit code")
        out = streamer.output()
        sent, received = turn_server.check_no_loss(out)
        check_equal(received, sent, "messages echoed back during the reload")
        check(sent >= MESSAGES, "uclient sent %d of %d" % (sent, MESSAGES))

        check_equal(allocate_code(turn, REMOVED), 401, "Allocate by the removed user")
        check_equal(allocate_code(turn, ADDED), 0, "Allocate by the added user")
        out = turn_server.uclient(turn.port("udp"), peer_port, ["-s"], user=ADDED[0],
                                  password=ADDED[1])
        turn_server.check_no_loss(out)
        out = turn_server.uclient(turn.port("udp"), peer_port, ["-s"], user=REMOVED[0],
                                  password=REMOVED[1], count=5, expect_ok=False)
        check("Cannot complete Allocation" in out or "error 401" in out,
              "the removed user was not refused:\n" + out[-3000:])
        check(turn.process.alive(), "rtc-turn died")
        turn.process.stop()


def test_udp_send_sighup():
    run_reload(["-s"])


def test_udp_channels_sighup():
    run_reload([])


if __name__ == "__main__":
    harness.main({name[5:]: f for name, f in sorted(globals().items())
                  if name.startswith("test_")})
