#!/usr/bin/python3
"""The lab's own RFC 5780 check: does the router behave as its personality says?

Runs inside the client namespace and prints one JSON document. It is the lab's control, written
for clarity with the tests' STUN codec (lib/stun_msg.py), not a product: the servers are ours
and known to honour CHANGE-REQUEST and RESPONSE-PORT, so it trusts them.

    labcheck.py nat HOST:PORT [--hairpin] [--lifetime SECONDS,...]
    labcheck.py wait HOST:PORT... [--timeout S]     (exit 0 once each answers a Binding)

Every test uses its own fresh socket (mapping: one socket for tests I-III of RFC 5780 §4.3;
filtering: one socket per test of §4.4), so one test's binding cannot open the filter for
another.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import stun_msg  # noqa: E402

ANSWER_TIMEOUT = 1.5  # per transaction (3 tries); the lab RTT is well under a millisecond
RETRIES = 3


def fresh_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    return sock


def binding(sock, server, **request_args):
    request = stun_msg.binding_request(**request_args)
    return stun_msg.udp_transaction(sock, server, request, ANSWER_TIMEOUT, RETRIES)


def parse_endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def fmt(endpoint):
    return "%s:%d" % endpoint if endpoint else None


def mapping_test(server):
    """RFC 5780 §4.3 from one socket: tests I, II (alternate IP) and III (alternate IP+port)."""
    with fresh_socket() as sock:
        local_port = sock.getsockname()[1]
        first = binding(sock, server)
        if first is None:
            return {"blocked": True}
        other = first.other_address()
        if other is None:
            raise SystemExit("server %s sent no OTHER-ADDRESS" % fmt(server))
        result = {"blocked": False, "other_address": fmt(other), "local_port": local_port,
                  "mapped": [fmt(first.xor_mapped())]}
        mapped1 = first.xor_mapped()
        if mapped1[1] == local_port and mapped1[0] == source_ip_towards(server):
            result["mapping"] = "none"
            return result
        second = binding(sock, (other[0], server[1]))
        if second is None:
            result["mapping"] = "unknown"
            return result
        result["mapped"].append(fmt(second.xor_mapped()))
        if second.xor_mapped() == mapped1:
            result["mapping"] = "endpoint-independent"
            return result
        third = binding(sock, other)
        if third is None:
            result["mapping"] = "unknown"
            return result
        result["mapped"].append(fmt(third.xor_mapped()))
        same = third.xor_mapped() == second.xor_mapped()
        result["mapping"] = "address-dependent" if same else "address-and-port-dependent"
        return result


def source_ip_towards(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(server)  # no datagram is sent: this only asks the routing table
        return probe.getsockname()[0]


def filtering_test(server):
    """RFC 5780 §4.4: test II (change IP and port), then test III (change port), fresh sockets."""
    with fresh_socket() as sock:
        if binding(sock, server, change_ip=True, change_port=True) is not None:
            return "endpoint-independent"
    with fresh_socket() as sock:
        if binding(sock, server, change_port=True) is not None:
            return "address-dependent"
    return "address-and-port-dependent"


def receive_on(sock, timeout):
    sock.settimeout(timeout)
    try:
        data, source = sock.recvfrom(2048)
    except (socket.timeout, OSError):
        return None, None
    return data, source


def hairpin_test(server):
    """RFC 5780 §4.5: a datagram from one socket to the mapped address of another."""
    with fresh_socket() as target, fresh_socket() as sender:
        target_answer = binding(target, server)
        sender_answer = binding(sender, server)
        if target_answer is None or sender_answer is None:
            return {"hairpin": None}
        payload = stun_msg.binding_request()
        for _ in range(RETRIES):
            sender.sendto(payload, target_answer.xor_mapped())
            data, source = receive_on(target, ANSWER_TIMEOUT / RETRIES)
            if data == payload:
                return {"hairpin": True, "hairpin_source": fmt(source),
                        "sender_mapped": fmt(sender_answer.xor_mapped())}
        return {"hairpin": False}


def binding_alive_after(server, idle):
    """RFC 5780 §4.6: make a binding, stay idle, then have the server answer a request from
    another socket to the first binding's mapped port (RESPONSE-PORT). True if it arrives."""
    with fresh_socket() as kept:
        answer = binding(kept, server)
        if answer is None:
            return None
        time.sleep(idle)  # the idle time is what is measured, not a wait for readiness
        mapped_port = answer.xor_mapped()[1]
        with fresh_socket() as asker:
            request = stun_msg.build(attributes=[(stun_msg.RESPONSE_PORT,
                                                  mapped_port.to_bytes(2, "big") + b"\0\0")],
                                     fingerprint=True)
            for _ in range(RETRIES):
                asker.sendto(request, server)
                data, _ = receive_on(kept, ANSWER_TIMEOUT / RETRIES)
                message = stun_msg.parse(data) if data else None
                if message is not None and message.txid == request[8:20]:
                    return True
        return False


def lifetime_test(server, idles):
    """Each idle time on its own binding, side by side (threads): the slowest decides."""
    results = {}

    def one(idle):
        results[idle] = binding_alive_after(server, idle)

    threads = [threading.Thread(target=one, args=(idle,)) for idle in idles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(idles) + 10)
    return {"%g" % idle: results.get(idle) for idle in idles}


def rfc3489_label(mapping, filtering):
    """RFC 3489 §5 names from RFC 5780 results (RFC 5780 §1 relates the two)."""
    if mapping == "none":
        return "open internet" if filtering == "endpoint-independent" else "symmetric udp firewall"
    if mapping != "endpoint-independent":
        return "symmetric" if mapping != "unknown" else "unknown"
    return {"endpoint-independent": "full cone", "address-dependent": "restricted cone",
            "address-and-port-dependent": "port-restricted cone"}[filtering]


def command_nat(args):
    started = time.monotonic()
    server = parse_endpoint(args.server)
    mapping = mapping_test(server)
    report = {"server": args.server}
    if mapping.pop("blocked"):
        report.update(mapping=None, filtering=None, rfc3489="udp blocked", hairpin=None)
    else:
        report.update(mapping)
        report["filtering"] = filtering_test(server)
        report["rfc3489"] = rfc3489_label(report["mapping"], report["filtering"])
        if args.hairpin:
            report.update(hairpin_test(server))
        if args.lifetime:
            idles = [float(x) for x in args.lifetime.split(",")]
            report["lifetime_alive"] = lifetime_test(server, idles)
    report["elapsed"] = round(time.monotonic() - started, 3)
    print(json.dumps(report))
    return 0


def command_wait(args):
    deadline = time.monotonic() + args.timeout
    pending = [parse_endpoint(text) for text in args.servers]
    while pending and time.monotonic() < deadline:
        with fresh_socket() as sock:
            if binding(sock, pending[0]) is not None:
                pending.pop(0)
    if pending:
        print("no STUN answer from %s within %.0f s" % (fmt(pending[0]), args.timeout))
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    nat = commands.add_parser("nat")
    nat.add_argument("server")
    nat.add_argument("--hairpin", action="store_true")
    nat.add_argument("--lifetime", help="idle times in seconds, comma-separated")
    wait = commands.add_parser("wait")
    wait.add_argument("servers", nargs="+")
    wait.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    return command_nat(args) if args.command == "nat" else command_wait(args)


if __name__ == "__main__":
    sys.exit(main())
