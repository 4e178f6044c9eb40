"""A small STUN codec for the tests (RFC 8489, RFC 5780): build requests, parse answers.

Written for test clarity, not speed. parse() never raises on bad input: it returns None.
"""

import ipaddress
import os
import socket
import struct
import time
import zlib

MAGIC_COOKIE = 0x2112A442  # RFC 8489 §5
HEADER_SIZE = 20

# Message types (RFC 8489 §5: method bits interleaved with class bits C1 C0).
BINDING_REQUEST = 0x0001
BINDING_INDICATION = 0x0011
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111

# Attribute types (RFC 8489 §18.3, RFC 5780 §7).
MAPPED_ADDRESS = 0x0001
CHANGE_REQUEST = 0x0003
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
XOR_MAPPED_ADDRESS = 0x0020
PADDING = 0x0026
RESPONSE_PORT = 0x0027
SOFTWARE = 0x8022
FINGERPRINT = 0x8028
RESPONSE_ORIGIN = 0x802B
OTHER_ADDRESS = 0x802C

FINGERPRINT_XOR = 0x5354554E  # RFC 8489 §14.7


def new_transaction_id():
    return os.urandom(12)


def pad4(n):
    return (n + 3) & ~3


def encode_attribute(attr_type, value):
    """TLV with the value padded to 4 bytes (RFC 8489 §14)."""
    padding = b"\0" * (pad4(len(value)) - len(value))
    return struct.pack("!HH", attr_type, len(value)) + value + padding


def fingerprint_of(message_without_fingerprint):
    """CRC-32 of the message up to FINGERPRINT, XORed with 0x5354554E (RFC 8489 §14.7).

    The header's length must already count the 8-byte FINGERPRINT attribute."""
    return (zlib.crc32(message_without_fingerprint) & 0xFFFFFFFF) ^ FINGERPRINT_XOR


def build(msg_type=BINDING_REQUEST, txid=None, attributes=(), fingerprint=False):
    """A message: header, the (type, value) attributes in order, and FINGERPRINT if asked."""
    txid = txid if txid is not None else new_transaction_id()
    body = b"".join(encode_attribute(t, v) for t, v in attributes)
    length = len(body) + (8 if fingerprint else 0)
    message = struct.pack("!HHI", msg_type, length, MAGIC_COOKIE) + txid + body
    if fingerprint:
        message += struct.pack("!HHI", FINGERPRINT, 4, fingerprint_of(message))
    return message


def binding_request(txid=None, change_ip=False, change_port=False, fingerprint=True):
    attributes = []
    if change_ip or change_port:
        # RFC 5780 §7.2: flags A (0x4, change IP) and B (0x2, change port).
        flags = (0x4 if change_ip else 0) | (0x2 if change_port else 0)
        attributes.append((CHANGE_REQUEST, struct.pack("!I", flags)))
    return build(BINDING_REQUEST, txid, attributes, fingerprint)


class Message:
    def __init__(self, msg_type, txid, attributes, raw):
        self.type = msg_type
        self.txid = txid
        self.attributes = attributes  # list of (type, bytes)
        self.raw = raw

    def get(self, attr_type):
        for t, v in self.attributes:
            if t == attr_type:
                return v
        return None

    def is_success(self):
        return self.type == BINDING_SUCCESS

    def is_error(self):
        return self.type == BINDING_ERROR

    def xor_mapped(self):
        value = self.get(XOR_MAPPED_ADDRESS)
        return None if value is None else decode_address(value, self.txid, xor=True)

    def mapped(self):
        value = self.get(MAPPED_ADDRESS)
        return None if value is None else decode_address(value, self.txid, xor=False)

    def other_address(self):
        value = self.get(OTHER_ADDRESS)
        return None if value is None else decode_address(value, self.txid, xor=False)

    def response_origin(self):
        value = self.get(RESPONSE_ORIGIN)
        return None if value is None else decode_address(value, self.txid, xor=False)

    def software(self):
        value = self.get(SOFTWARE)
        return None if value is None else value.decode("utf-8", "replace")

    def error_code(self):
        """ERROR-CODE as an int (RFC 8489 §14.8: class * 100 + number)."""
        value = self.get(ERROR_CODE)
        if value is None or len(value) < 4:
            return None
        return (value[2] & 0x7) * 100 + value[3]

    def fingerprint_ok(self):
        """True if the last attribute is a FINGERPRINT that matches (RFC 8489 §14.7)."""
        if len(self.raw) < HEADER_SIZE + 8:
            return False
        attr_type, attr_len, value = struct.unpack("!HHI", self.raw[-8:])
        return attr_type == FINGERPRINT and attr_len == 4 and value == fingerprint_of(self.raw[:-8])

    def __repr__(self):
        names = ", ".join("0x%04x" % t for t, _ in self.attributes)
        return "Message(type=0x%04x, attributes=[%s])" % (self.type, names)


def decode_address(value, txid, xor):
    """(ip string, port) from a (XOR-)MAPPED-ADDRESS-style value (RFC 8489 §14.1, §14.2)."""
    if len(value) < 4:
        return None
    family, port = value[1], struct.unpack("!H", value[2:4])[0]
    key = struct.pack("!I", MAGIC_COOKIE) + txid
    if xor:
        port ^= MAGIC_COOKIE >> 16
    if family == 0x01 and len(value) == 8:
        raw = value[4:8]
        if xor:
            raw = bytes(a ^ b for a, b in zip(raw, key[:4]))
        return str(ipaddress.IPv4Address(raw)), port
    if family == 0x02 and len(value) == 20:
        raw = value[4:20]
        if xor:
            raw = bytes(a ^ b for a, b in zip(raw, key))
        return str(ipaddress.IPv6Address(raw)), port
    return None


def parse(data):
    """A Message, or None if data is not a well-formed STUN message (RFC 8489 §6.3)."""
    if len(data) < HEADER_SIZE or data[0] & 0xC0:
        return None
    msg_type, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != MAGIC_COOKIE or length % 4 or HEADER_SIZE + length != len(data):
        return None
    txid = bytes(data[8:20])
    attributes = []
    offset = HEADER_SIZE
    while offset < len(data):
        if offset + 4 > len(data):
            return None
        attr_type, attr_len = struct.unpack("!HH", data[offset : offset + 4])
        end = offset + 4 + attr_len
        if end > len(data):
            return None
        attributes.append((attr_type, bytes(data[offset + 4 : end])))
        offset += 4 + pad4(attr_len)
    return Message(msg_type, txid, attributes, bytes(data))


def read_stream_message(sock, deadline):
    """One message from a TCP/TLS stream (RFC 8489 §6.2.2: framing by the header's length).

    Returns a Message, or None on EOF, timeout or a malformed message."""

    def read_exact(n):
        chunks = b""
        while len(chunks) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(n - len(chunks))
            except (socket.timeout, OSError):
                return None
            if not chunk:
                return None
            chunks += chunk
        return chunks

    header = read_exact(HEADER_SIZE)
    if header is None:
        return None
    length = struct.unpack("!H", header[2:4])[0]
    body = read_exact(length) if length else b""
    if body is None:
        return None
    return parse(header + body)


def udp_transaction(sock, address, request, timeout=2.0, retries=3):
    """Sends request on a UDP socket and returns the answer with its transaction id, or None.

    Retransmits (RFC 8489 §6.2.1, simplified) up to `retries` times within `timeout` in total."""
    txid = request[8:20]
    deadline = time.monotonic() + timeout
    interval = timeout / max(retries, 1)
    for _ in range(max(retries, 1)):
        sock.sendto(request, address)
        attempt_end = min(deadline, time.monotonic() + interval)
        while True:
            remaining = attempt_end - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                data, source = sock.recvfrom(2048)
            except (socket.timeout, BlockingIOError):
                break
            message = parse(data)
            if message is not None and message.txid == txid:
                message.source = source
                return message
    return None


def udp_binding(address, family=socket.AF_INET, timeout=2.0, bind=None, retries=3, **request_args):
    """One Binding transaction from a fresh UDP socket. Returns (message or None, local address)."""
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if bind is not None:
            sock.bind(bind)
        else:
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        request = binding_request(**request_args)
        message = udp_transaction(sock, address, request, timeout, retries)
        return message, sock.getsockname()[:2]


def tcp_binding(address, family=socket.AF_INET, timeout=2.0, **request_args):
    """One Binding over a fresh TCP connection. Returns (message or None, local address)."""
    deadline = time.monotonic() + timeout
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            sock.sendall(binding_request(**request_args))
        except OSError:
            return None, None
        return read_stream_message(sock, deadline), sock.getsockname()[:2]
