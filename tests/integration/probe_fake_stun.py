"""Fake STUN servers for rtc-probe's integration tests: the misbehaviours that real servers
are not supposed to have (ignoring CHANGE-REQUEST, dropping requests), on loopback UDP.

Not a test script itself; probe_nat.py and probe_stun.py import it.
"""

import ipaddress
import select
import socket
import struct
import threading

import stun_msg


def _address_value(ip, port, txid=None):
    """(XOR-)MAPPED-ADDRESS style value for an IPv4 address (RFC 8489 §14.1, §14.2)."""
    raw = ipaddress.IPv4Address(ip).packed
    if txid is not None:
        port ^= stun_msg.MAGIC_COOKIE >> 16
        raw = bytes(a ^ b for a, b in zip(raw, struct.pack("!I", stun_msg.MAGIC_COOKIE)))
    return struct.pack("!BBH", 0, 0x01, port) + raw


def binding_success(txid, mapped, origin=None, other=None, software="fake"):
    attributes = [(stun_msg.XOR_MAPPED_ADDRESS, _address_value(mapped[0], mapped[1], txid))]
    if origin is not None:
        attributes.append((stun_msg.RESPONSE_ORIGIN, _address_value(*origin)))
    if other is not None:
        attributes.append((stun_msg.OTHER_ADDRESS, _address_value(*other)))
    attributes.append((stun_msg.SOFTWARE, software.encode()))
    return stun_msg.build(stun_msg.BINDING_SUCCESS, txid, attributes)


class FakeServer:
    """UDP sockets on `endpoints`; handler(index, message, source) returns a list of
    (socket index to send from, destination, bytes). A thread serves until close()."""

    def __init__(self, endpoints, handler):
        self.sockets = []
        self.handler = handler
        self.requests = []  # (socket index, source, Message) for every request received
        self._stop = threading.Event()
        try:
            for host, port in endpoints:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.sockets.append(sock)
                sock.bind((host, port))
        except OSError:
            self.close()
            raise
        self.endpoints = [s.getsockname() for s in self.sockets]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            readable, _, _ = select.select(self.sockets, [], [], 0.05)
            for sock in readable:
                data, source = sock.recvfrom(2048)
                message = stun_msg.parse(data)
                if message is None or message.type != stun_msg.BINDING_REQUEST:
                    continue
                index = self.sockets.index(sock)
                self.requests.append((index, source, message))
                for out_index, destination, reply in self.handler(index, message, source):
                    self.sockets[out_index].sendto(reply, destination)

    def close(self):
        self._stop.set()
        if getattr(self, "_thread", None) is not None:
            self._thread.join(2)
        for sock in self.sockets:
            sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def change_ignoring_server(primary, alternate):
    """Advertises OTHER-ADDRESS `alternate` and answers there too, but answers every
    CHANGE-REQUEST from the address it was sent to: the server that fools classic tools into a
    "full cone" verdict."""
    endpoints = [primary, alternate, (alternate[0], primary[1])]

    def handler(index, message, source):
        here = server.endpoints[index]
        return [(index, source, binding_success(message.txid, source, origin=here,
                                                other=server.endpoints[1]))]

    server = FakeServer(endpoints, handler)
    return server


def dropping_server(endpoint, drop_first):
    """Answers Binding requests, except the first `drop_first` it receives."""

    def handler(index, message, source):
        if len(server.requests) <= drop_first:
            return []
        return [(index, source, binding_success(message.txid, source))]

    server = FakeServer([endpoint], handler)
    return server
