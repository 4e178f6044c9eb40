"""A tiny RFC 6062 TURN client over TCP for the tests.

One control connection allocates a TCP relay (REQUESTED-TRANSPORT 6), installs permissions and
Connects to peers (RFC 6062 §4.3); data connections are new TCP connections turned into raw byte
pipes by ConnectionBind (§4.4). Built on the stdlib and the helpers of turn_client.py; every wait
is bounded.
"""

import socket
import struct
import time

import stun_msg
from stun_msg import build, read_stream_message
from turn_client import (ALLOCATE, CREATE_PERMISSION, INDICATION, LIFETIME, NONCE, REALM,
                         REFRESH, REQUEST, REQUESTED_TRANSPORT, XOR_PEER_ADDRESS,
                         XOR_RELAYED_ADDRESS, TurnClient, TurnError, add_integrity,
                         encode_xor_address, long_term_key, message_type)

# RFC 6062 §6.1 methods and §6.2.1 attribute.
CONNECT, CONNECTION_BIND, CONNECTION_ATTEMPT = 0x000A, 0x000B, 0x000C
CONNECTION_ID = 0x002A
TCP = 6  # REQUESTED-TRANSPORT protocol number


class TcpTurnClient:
    """A control connection to the server, one TCP allocation."""

    def __init__(self, server, user, password, timeout=5.0):
        self.server = server
        self.user = user
        self.password = password
        self.timeout = timeout
        self.control = socket.create_connection(server, timeout=timeout)
        self.realm = None
        self.nonce = None
        self.key = None
        self.relayed = None
        self.indications = []  # indications (ConnectionAttempt) seen while waiting for answers
        self.data_sockets = []

    def close(self):
        for s in self.data_sockets:
            s.close()
        self.control.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _exchange(self, sock, method, attributes, txid):
        attrs = list(attributes)
        if self.key is not None:
            attrs += [(stun_msg.USERNAME, self.user.encode()), (REALM, self.realm),
                      (NONCE, self.nonce)]
        message = build(message_type(method, REQUEST), txid, attrs)
        if self.key is not None:
            message = add_integrity(message, self.key)
        sock.sendall(message)
        deadline = time.monotonic() + self.timeout
        while True:
            answer = read_stream_message(sock, deadline)
            if answer is None:
                raise TurnError("no answer to method 0x%03x within %.1f s" % (method, self.timeout))
            if answer.txid == txid:
                return answer
            self.indications.append(answer)

    def transact(self, method, attributes_for, sock=None):
        """An authenticated request on `sock` (the control connection by default). attributes_for
        maps a transaction id to the attributes (XOR-PEER-ADDRESS depends on it). Retries after a
        401 or 438 with the new nonce (RFC 8489 §9.2.4): nonces are bound to the source, so a new
        data connection first gets a 438. Returns the answer."""
        sock = sock or self.control
        for _ in range(3):
            txid = stun_msg.new_transaction_id()
            answer = self._exchange(sock, method, attributes_for(txid), txid)
            code = TurnClient.code_of(answer)
            if code in (401, 438) and answer.get(NONCE) is not None:
                fresh = self.key is None or code == 438
                self.nonce = answer.get(NONCE)
                if answer.get(REALM) is not None:
                    self.realm = answer.get(REALM)
                    self.key = long_term_key(self.user, self.realm.decode(), self.password)
                if fresh:
                    continue
            return answer
        return answer

    def allocate(self):
        """Allocate a TCP relay (RFC 6062 §5.1); returns (code, relayed (ip, port) or None)."""
        answer = self.transact(ALLOCATE,
                               lambda txid: [(REQUESTED_TRANSPORT, struct.pack("!B3x", TCP))])
        code = TurnClient.code_of(answer)
        if code == 0:
            value = answer.get(XOR_RELAYED_ADDRESS)
            self.relayed = stun_msg.decode_address(value, answer.txid, xor=True) if value else None
        return code, self.relayed

    def create_permission(self, ip):
        answer = self.transact(
            CREATE_PERMISSION, lambda txid: [(XOR_PEER_ADDRESS, encode_xor_address(ip, 0, txid))])
        return TurnClient.code_of(answer)

    def refresh(self, lifetime):
        answer = self.transact(REFRESH, lambda txid: [(LIFETIME, struct.pack("!I", lifetime))])
        return TurnClient.code_of(answer)

    def connect(self, ip, port):
        """Connect (RFC 6062 §4.3): the server opens a connection to the peer. Returns (code,
        connection id or None)."""
        answer = self.transact(
            CONNECT, lambda txid: [(XOR_PEER_ADDRESS, encode_xor_address(ip, port, txid))])
        code = TurnClient.code_of(answer)
        value = answer.get(CONNECTION_ID)
        return code, (struct.unpack("!I", value)[0] if code == 0 and value else None)

    def wait_connection_attempt(self, timeout=None):
        """The CONNECTION-ID of the next ConnectionAttempt indication (RFC 6062 §4.5)."""
        kind = message_type(CONNECTION_ATTEMPT, INDICATION)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, m in enumerate(self.indications):
                if m.type == kind and m.get(CONNECTION_ID):
                    del self.indications[i]
                    return struct.unpack("!I", m.get(CONNECTION_ID))[0]
            m = read_stream_message(self.control, deadline)
            if m is None:
                raise TurnError("no ConnectionAttempt")
            self.indications.append(m)

    def bind(self, connection_id):
        """ConnectionBind (RFC 6062 §4.4) on a new connection; returns that connection, now a raw
        pipe to the peer. Raises TurnError on an error answer."""
        sock = socket.create_connection(self.server, timeout=self.timeout)
        self.data_sockets.append(sock)
        answer = self.transact(
            CONNECTION_BIND,
            lambda txid: [(CONNECTION_ID, struct.pack("!I", connection_id))], sock=sock)
        code = TurnClient.code_of(answer)
        if code != 0:
            raise TurnError("ConnectionBind answered %d" % code)
        return sock


def read_exactly(sock, count, timeout):
    """count bytes from sock, or fewer if it closed or the time ran out."""
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(count - len(data))
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def closed_within(sock, timeout):
    """True if the peer of sock closes (EOF or reset) within timeout; bytes read meanwhile are
    discarded."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            if not sock.recv(4096):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
