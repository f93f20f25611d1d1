"""Hand-made BGP bytes for the hostile side: valid parts and the broken parts tests need.

Valid messages come from bgpwire's own encoders where one exists (OPEN, KEEPALIVE); the bytes a
test breaks on purpose are written out here, field by field, so that the encoder's own checks
cannot stop a malformed message from being built.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv4Network, ip_network

from bgpwire.fsm import PeerConfig, build_open

MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
WELL_KNOWN, OPTIONAL, OPTIONAL_TRANSITIVE, PARTIAL, EXTENDED = 0x40, 0x80, 0xC0, 0x20, 0x10

ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF = 1, 2, 3, 4, 5
ATOMIC_AGGREGATE, AGGREGATOR, COMMUNITIES, ORIGINATOR_ID, CLUSTER_LIST = 6, 7, 8, 9, 10
MP_REACH, MP_UNREACH, EXT_COMMUNITIES, AS4_PATH, AS4_AGGREGATOR = 14, 15, 16, 17, 18
LARGE_COMMUNITY = 32


def message(kind: int, body: bytes, *, length: int | None = None, marker: bytes = MARKER) -> bytes:
    """A message; ``length`` overrides the length field (to lie about it)."""
    size = 19 + len(body) if length is None else length
    return marker + struct.pack("!HB", size, kind) + body


def keepalive() -> bytes:
    return message(KEEPALIVE, b"")


def open_message(config: PeerConfig) -> bytes:
    """The OPEN a bgpwire session with ``config`` sends (bgpwire's encoder)."""
    return build_open(config).encode()


def raw_open(*, version: int = 4, my_as: int = 65002, hold_time: int = 90,
             identifier: str = "10.0.0.2", params: bytes | None = None) -> bytes:
    """An OPEN written field by field; ``params`` defaults to the 4-octet AS capability."""
    if params is None:
        params = optional_parameter(2, capability(65, struct.pack("!I", my_as)))
    body = struct.pack("!BHH4sB", version, my_as, hold_time, IPv4Address(identifier).packed,
                       len(params)) + params
    return message(OPEN, body)


def optional_parameter(kind: int, value: bytes) -> bytes:
    return bytes((kind, len(value))) + value


def capability(code: int, value: bytes) -> bytes:
    return bytes((code, len(value))) + value


def attr(flags: int, code: int, value: bytes, *, length: int | None = None) -> bytes:
    """A path attribute; ``length`` overrides its length field."""
    size = len(value) if length is None else length
    if flags & EXTENDED:
        return struct.pack("!BBH", flags, code, size) + value
    return struct.pack("!BBB", flags, code, size) + value


def as_path(*asns: int, segment_type: int = 2) -> bytes:
    """The value of a 4-octet AS_PATH with one segment."""
    if not asns:
        return b""
    return bytes((segment_type, len(asns))) + b"".join(struct.pack("!I", a) for a in asns)


def nlri(*prefixes: str) -> bytes:
    out = b""
    for text in prefixes:
        net = ip_network(text)
        out += bytes((net.prefixlen,)) + net.network_address.packed[:(net.prefixlen + 7) // 8]
    return out


def update(*, withdrawn: bytes = b"", attributes: bytes = b"", nlri_bytes: bytes = b"",
           withdrawn_length: int | None = None, attributes_length: int | None = None,
           length: int | None = None) -> bytes:
    """An UPDATE; the ``*_length`` arguments override the length fields."""
    wlen = len(withdrawn) if withdrawn_length is None else withdrawn_length
    alen = len(attributes) if attributes_length is None else attributes_length
    body = struct.pack("!H", wlen) + withdrawn + struct.pack("!H", alen) + attributes + nlri_bytes
    return message(UPDATE, body, length=length)


def origin(value: int = 0) -> bytes:
    return attr(WELL_KNOWN, ORIGIN, bytes((value,)))


def path(*asns: int) -> bytes:
    return attr(WELL_KNOWN, AS_PATH, as_path(*asns))


def next_hop(address: str) -> bytes:
    return attr(WELL_KNOWN, NEXT_HOP, IPv4Address(address).packed)


def base_attributes(peer_as: int, hop: str) -> bytes:
    """ORIGIN IGP, AS_PATH [peer_as], NEXT_HOP ``hop``: a valid eBGP route."""
    return origin() + path(peer_as) + next_hop(hop)


def announce(prefix: IPv4Network | str, peer_as: int, hop: str, extra: bytes = b"") -> bytes:
    """A valid UPDATE announcing ``prefix``, with ``extra`` attributes after the base ones."""
    return update(attributes=base_attributes(peer_as, hop) + extra, nlri_bytes=nlri(str(prefix)))
