"""A tiny TURN client over UDP for the tests (RFC 8656 with RFC 8489 long-term credentials).

Built by hand on stdlib hmac/hashlib so that a test can send exactly what it means to, e.g. a
CreatePermission for a forbidden peer. Written for clarity, not speed; every wait is bounded.
"""

import hashlib
import hmac
import ipaddress
import socket
import struct
import time

import stun_msg
from stun_msg import MAGIC_COOKIE, build, encode_attribute, parse

# Methods (RFC 8656 §17) and classes (RFC 8489 §5).
ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND = 0x3, 0x4, 0x6, 0x7, 0x8, 0x9
REQUEST, INDICATION, SUCCESS, ERROR = 0x0000, 0x0010, 0x0100, 0x0110

# Attributes (RFC 8656 §18, RFC 8489 §18.3).
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
REQUESTED_TRANSPORT = 0x0019

FAMILY_V4, FAMILY_V6 = 0x01, 0x02


def message_type(method, cls):
    """RFC 8489 §5: the class bits C0/C1 sit at bits 4 and 8 of the method."""
    return method | cls


def encode_xor_address(ip, port, txid):
    """XOR-PEER-ADDRESS value (RFC 8489 §14.2 encoding, RFC 8656 §18.3)."""
    address = ipaddress.ip_address(ip)
    key = struct.pack("!I", MAGIC_COOKIE) + txid
    raw = address.packed
    family = FAMILY_V4 if address.version == 4 else FAMILY_V6
    xored = bytes(a ^ b for a, b in zip(raw, key))
    return struct.pack("!BBH", 0, family, port ^ (MAGIC_COOKIE >> 16)) + xored


def long_term_key(user, realm, password):
    """RFC 8489 §9.2.2: MD5(username ":" realm ":" password) (no SASLprep for ASCII)."""
    return hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).digest()


def add_integrity(message, key):
    """Appends MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the message with the header
    length already counting the 24-byte attribute."""
    length = len(message) - 20 + 24
    adjusted = message[:2] + struct.pack("!H", length) + message[4:]
    digest = hmac.new(key, adjusted, hashlib.sha1).digest()
    return adjusted + encode_attribute(stun_msg.MESSAGE_INTEGRITY, digest)


def channel_data(channel, payload):
    """RFC 8656 §12.4: 2-byte channel number, 2-byte length, data (no padding over UDP)."""
    return struct.pack("!HH", channel, len(payload)) + payload


class TurnError(Exception):
    pass


class TurnClient:
    """One UDP socket to the server, one allocation at a time."""

    def __init__(self, server, user, password, family=socket.AF_INET, timeout=2.0, bind_host=None):
        """bind_host: the local address to send from (another 127.x address is another source
        to the server's per-source limits); any address by default."""
        self.server = server
        self.user = user
        self.password = password
        self.timeout = timeout
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        if bind_host is None:
            bind_host = "::" if family == socket.AF_INET6 else "0.0.0.0"
        self.sock.bind((bind_host, 0))
        self.realm = None
        self.nonce = None
        self.key = None
        self.relayed = None
        self.pending = []  # data that arrived while waiting for a transaction

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # Transactions ----------------------------------------------------------------------

    def _request(self, method, attributes, authenticated=True):
        attrs = list(attributes)
        if authenticated and self.key is not None:
            attrs += [(stun_msg.USERNAME, self.user.encode()), (REALM, self.realm),
                      (NONCE, self.nonce)]
        message = build(message_type(method, REQUEST), attributes=attrs)
        if authenticated and self.key is not None:
            message = add_integrity(message, self.key)
        return message

    def _transact(self, request):
        """Sends request (retransmitting) and returns the answer with its transaction id.
        Non-STUN datagrams seen meanwhile are kept in self.pending."""
        txid = request[8:20]
        deadline = time.monotonic() + self.timeout
        interval = 0.25
        while time.monotonic() < deadline:
            self.sock.sendto(request, self.server)
            attempt_end = min(deadline, time.monotonic() + interval)
            interval *= 2
            while True:
                remaining = attempt_end - time.monotonic()
                if remaining <= 0:
                    break
                self.sock.settimeout(remaining)
                try:
                    data, source = self.sock.recvfrom(65536)
                except (socket.timeout, BlockingIOError):
                    break
                message = parse(data)
                if message is not None and message.txid == txid:
                    return message
                if message is None or message.type & 0x0110 == INDICATION:
                    self.pending.append(data)
        raise TurnError("no answer to request 0x%04x within %.1f s"
                        % (struct.unpack("!H", request[:2])[0], self.timeout))

    def transact(self, method, attributes=()):
        """An authenticated request; retries once on 401/438 with the new nonce (RFC 8489 §9.2.4).
        Returns the answer Message (success or error)."""
        for _ in range(3):
            answer = self._transact(self._request(method, attributes))
            code = answer.error_code() if answer.type & 0x0110 == ERROR else None
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

    @staticmethod
    def code_of(answer):
        """0 for a success answer, the ERROR-CODE for an error answer."""
        if answer.type & 0x0110 == SUCCESS:
            return 0
        return answer.error_code() or -1

    # TURN operations -------------------------------------------------------------------

    def allocate(self, family=None, lifetime=None):
        """Allocate (RFC 8656 §7.1) for UDP; returns (code, relayed address or None)."""
        attributes = [(REQUESTED_TRANSPORT, struct.pack("!B3x", 17))]
        if family is not None:
            attributes.append((REQUESTED_ADDRESS_FAMILY, struct.pack("!B3x", family)))
        if lifetime is not None:
            attributes.append((LIFETIME, struct.pack("!I", lifetime)))
        answer = self.transact(ALLOCATE, attributes)
        code = self.code_of(answer)
        if code == 0:
            value = answer.get(XOR_RELAYED_ADDRESS)
            self.relayed = stun_msg.decode_address(value, answer.txid, xor=True) if value else None
        return code, self.relayed

    def create_permission(self, ip):
        """CreatePermission (RFC 8656 §9.1) for one peer address; returns the code."""
        return self._peer_request(CREATE_PERMISSION, ip, 0, [])

    def channel_bind(self, channel, ip, port):
        return self._peer_request(CHANNEL_BIND, ip, port,
                                  [(CHANNEL_NUMBER, struct.pack("!H2x", channel))])

    def _peer_request(self, method, ip, port, extra):
        """A request carrying XOR-PEER-ADDRESS: the XOR depends on the transaction id, so the
        request is built here with a fixed id and retried with a new one after a 401/438."""
        for _ in range(3):
            txid = stun_msg.new_transaction_id()
            attrs = [(XOR_PEER_ADDRESS, encode_xor_address(ip, port, txid))] + list(extra)
            attrs += [(stun_msg.USERNAME, self.user.encode()), (REALM, self.realm),
                      (NONCE, self.nonce)]
            message = add_integrity(build(message_type(method, REQUEST), txid, attrs), self.key)
            answer = self._transact(message)
            code = self.code_of(answer)
            if code == 438 and answer.get(NONCE) is not None:
                self.nonce = answer.get(NONCE)
                continue
            return code
        return code

    def refresh(self, lifetime):
        """Refresh (RFC 8656 §7.2); lifetime 0 deletes the allocation. Returns the code."""
        return self.code_of(self.transact(REFRESH, [(LIFETIME, struct.pack("!I", lifetime))]))

    def send_indication(self, ip, port, payload):
        """Send indication (RFC 8656 §11.1); indications carry no integrity."""
        txid = stun_msg.new_transaction_id()
        attrs = [(XOR_PEER_ADDRESS, encode_xor_address(ip, port, txid)), (DATA_ATTR, payload)]
        self.sock.sendto(build(message_type(SEND, INDICATION), txid, attrs), self.server)

    def send_channel(self, channel, payload):
        self.sock.sendto(channel_data(channel, payload), self.server)

    def receive(self, timeout):
        """The next relayed payload: (channel or None, payload), or None after timeout."""
        if self.pending:
            return self._decode_data(self.pending.pop(0))
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
        except (socket.timeout, BlockingIOError):
            return None
        return self._decode_data(data)

    @staticmethod
    def _decode_data(data):
        if len(data) >= 4 and 0x40 <= data[0] <= 0x4F:  # RFC 7983 / RFC 8656 §12: ChannelData
            channel, length = struct.unpack("!HH", data[:4])
            return channel, data[4 : 4 + length]
        message = parse(data)
        if message is not None and message.type == message_type(DATA, INDICATION):
            return None, message.get(DATA_ATTR)
        return None, None
