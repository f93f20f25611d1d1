"""AS_PATH, AS4_PATH, AGGREGATOR and AS4_AGGREGATOR, and the RFC 6793 glue between them.

An AS_PATH is a sequence of segments (RFC 4271 §4.3 b, RFC 5065 §3), each a type and one to 255
AS numbers. Whether the numbers take two or four octets is a property of the session
(``Negotiated.four_octet_as``), not of the attribute, so the same :class:`ASPath` value encodes
either way. A speaker that talks to a peer without the 4-octet AS capability sends AS_TRANS in
place of the numbers that do not fit and carries the real path in AS4_PATH
(RFC 6793 §4.2.2, :meth:`ASPath.as_two_octet`); the receiver puts the two back together
(RFC 6793 §4.2.3, :func:`merge_as4_path` and :func:`merge_as4_aggregator`).

Decoding the AS_PATH of every UPDATE of a full table is on the hot path: the common shape (one
AS_SEQUENCE of 4-octet numbers) is recognised from its first two octets and read with one
precompiled ``struct.Struct``, and decoded values are built without re-running the constructor's
checks. (Repeated attributes are shared by the UPDATE decoder's cache of whole attributes; a
second cache here only slowed the decoding of the mostly distinct paths of a full table.)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import ClassVar, Self

from bgpwire.attributes.base import OPTIONAL_TRANSITIVE, WELL_KNOWN, PathAttribute
from bgpwire.constants import AS_TRANS, ASPathSegmentType, AttrType
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, LocalProtocolError, MalformedASPath
from bgpwire.slots import slot_setters

__all__ = [
    "AS4Aggregator",
    "AS4Path",
    "ASPath",
    "ASPathSegment",
    "Aggregator",
    "merge_as4_aggregator",
    "merge_as4_path",
]

_MAX_ASN = 0xFFFFFFFF
_MAX_SEGMENT = 255
_SEQ = ASPathSegmentType.AS_SEQUENCE
_SET = ASPathSegmentType.AS_SET
_CONFED = frozenset({ASPathSegmentType.AS_CONFED_SEQUENCE, ASPathSegmentType.AS_CONFED_SET})
_SEGMENT_TYPES: dict[int, ASPathSegmentType] = {int(t): t for t in ASPathSegmentType}

# One Struct per segment length and AS number width: a segment holds at most 255 numbers.
_UNPACK4 = [struct.Struct(f">{n}I") for n in range(_MAX_SEGMENT + 1)]
_UNPACK2 = [struct.Struct(f">{n}H") for n in range(_MAX_SEGMENT + 1)]


@dataclass(frozen=True, slots=True)
class ASPathSegment:
    """One segment: its type and its AS numbers, in order (RFC 4271 §4.3 b)."""

    type: ASPathSegmentType
    asns: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.type not in _SEGMENT_TYPES:
            raise LocalProtocolError(f"unknown AS_PATH segment type {self.type!r}")
        if not isinstance(self.type, ASPathSegmentType):
            object.__setattr__(self, "type", ASPathSegmentType(self.type))
        if not isinstance(self.asns, tuple):
            object.__setattr__(self, "asns", tuple(self.asns))
        # RFC 7606 §7.2 makes an empty segment malformed; the length octet caps it at 255.
        if not 1 <= len(self.asns) <= _MAX_SEGMENT:
            raise LocalProtocolError(f"a segment holds 1 to 255 AS numbers, not {len(self.asns)}")
        for asn in self.asns:
            if not 0 <= asn <= _MAX_ASN:
                raise LocalProtocolError(f"AS number {asn} does not fit in 4 octets")

    @property
    def path_length(self) -> int:
        """This segment's share of the path length (RFC 4271 §9.1.2.2, RFC 5065 §5.3)."""
        if self.type is _SEQ:
            return len(self.asns)
        return 1 if self.type is _SET else 0

    def __str__(self) -> str:
        text = " ".join(map(str, self.asns))
        if self.type is _SEQ:
            return text
        if self.type is _SET:
            return "{" + text + "}"
        if self.type is ASPathSegmentType.AS_CONFED_SEQUENCE:
            return "(" + text + ")"
        return "[" + text + "]"


# Decoding builds values whose fields the bytes already bound: it skips the constructor's
# checks and writes the slots directly, which costs a third of object.__setattr__.
_new = object.__new__
_set_type, _set_asns = slot_setters(ASPathSegment, "type", "asns").values()
(_set_flags,) = slot_setters(PathAttribute, "flags").values()


def _segment(kind: ASPathSegmentType, asns: tuple[int, ...]) -> ASPathSegment:
    """Build a segment from decoded bytes, whose shape the decoder has already checked."""
    seg = _new(ASPathSegment)
    _set_type(seg, kind)
    _set_asns(seg, asns)
    return seg


def _decode_segments(data: bytes, four: bool) -> tuple[ASPathSegment, ...]:
    """Read the segments of an AS_PATH or AS4_PATH value; raise MalformedASPath (RFC 7606 §7.2)."""
    width = 4 if four else 2
    unpack = _UNPACK4 if four else _UNPACK2
    end = len(data)
    i = 0
    segments: list[ASPathSegment] = []
    while i < end:
        if end - i < 2:
            raise MalformedASPath("AS_PATH ends inside a segment header", data)
        kind = _SEGMENT_TYPES.get(data[i])
        count = data[i + 1]
        if kind is None:
            raise MalformedASPath(f"unknown AS_PATH segment type {data[i]}", data)
        if count == 0:
            raise MalformedASPath("AS_PATH segment of length 0", data)
        j = i + 2 + count * width
        if j > end:
            raise MalformedASPath(
                f"AS_PATH segment of {count} AS numbers overruns the attribute", data
            )
        segments.append(_segment(kind, unpack[count].unpack_from(data, i + 2)))
        i = j
    return tuple(segments)


def _encode_segments(segments: tuple[ASPathSegment, ...], four: bool) -> bytes:
    out = []
    for seg in segments:
        n = len(seg.asns)
        if four:
            out.append(bytes((seg.type, n)) + _UNPACK4[n].pack(*seg.asns))
        else:
            for asn in seg.asns:
                if asn > 0xFFFF:
                    raise LocalProtocolError(
                        f"AS number {asn} does not fit in 2 octets: send AS_TRANS in AS_PATH "
                        "and the real path in AS4_PATH (see ASPath.as_two_octet)"
                    )
            out.append(bytes((seg.type, n)) + _UNPACK2[n].pack(*seg.asns))
    return b"".join(out)


@dataclass(frozen=True, slots=True)
class _Path(PathAttribute):
    """What AS_PATH and AS4_PATH share: a tuple of segments and the ways of reading it."""

    segments: tuple[ASPathSegment, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.segments, tuple):
            object.__setattr__(self, "segments", tuple(self.segments))
        for seg in self.segments:
            if not isinstance(seg, ASPathSegment):
                raise LocalProtocolError(f"{seg!r} is not an ASPathSegment")

    @classmethod
    def from_asns(cls, asns: tuple[int, ...] | list[int]) -> Self:
        """A path made of one AS_SEQUENCE (split in runs of 255, the most a segment holds)."""
        asns = tuple(asns)
        return cls(tuple(ASPathSegment(_SEQ, asns[i:i + _MAX_SEGMENT])
                         for i in range(0, len(asns), _MAX_SEGMENT)))

    @property
    def path_length(self) -> int:
        """The length route selection compares (RFC 4271 §9.1.2.2 a, RFC 5065 §5.3).

        An AS_SET counts one however many numbers it holds; confederation segments count zero.
        """
        total = 0
        for seg in self.segments:
            if seg.type is _SEQ:
                total += len(seg.asns)
            elif seg.type is _SET:
                total += 1
        return total

    @property
    def asns(self) -> tuple[int, ...]:
        """Every AS number of every segment, in order."""
        if len(self.segments) == 1:
            return self.segments[0].asns
        return tuple(asn for seg in self.segments for asn in seg.asns)

    def __str__(self) -> str:
        return " ".join(map(str, self.segments))


(_set_segments,) = slot_setters(_Path, "segments").values()


@dataclass(frozen=True, slots=True)
class ASPath(_Path):
    """The AS_PATH attribute (RFC 4271 §5.1.2), well-known mandatory.

    The width of the AS numbers on the wire comes from the session: four octets when both
    speakers announced the 4-octet AS capability (RFC 6793 §3), two otherwise.
    """

    TYPE: ClassVar[int] = AttrType.AS_PATH
    CATEGORY: ClassVar[int] = WELL_KNOWN

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        four = ctx.four_octet_as
        n = len(data)
        # Fast path: one AS_SEQUENCE that fills the whole value.
        if n > 2 and data[0] == 2 and (data[1] << 2 if four else data[1] << 1) + 2 == n:
            unpack = _UNPACK4 if four else _UNPACK2
            segments: tuple[ASPathSegment, ...] = (
                _segment(_SEQ, unpack[data[1]].unpack_from(data, 2)),
            )
        else:
            segments = _decode_segments(data, four)
        path = _new(cls)
        _set_flags(path, None)
        _set_segments(path, segments)
        return path

    def encode_value(self, ctx: Negotiated) -> bytes:
        return _encode_segments(self.segments, ctx.four_octet_as)

    def as_two_octet(self) -> tuple[ASPath, AS4Path | None]:
        """The AS_PATH and AS4_PATH to send to a peer without 4-octet AS support.

        RFC 6793 §4.2.2: each AS number above 65535 becomes AS_TRANS in AS_PATH, and the true
        path goes in AS4_PATH, without its confederation segments (which AS4_PATH must not
        carry, RFC 6793 §6). When every number fits, no AS4_PATH is needed.
        """
        if all(asn <= 0xFFFF for seg in self.segments for asn in seg.asns):
            return self, None
        mapped = tuple(
            ASPathSegment(seg.type, tuple(asn if asn <= 0xFFFF else AS_TRANS for asn in seg.asns))
            for seg in self.segments
        )
        four = tuple(seg for seg in self.segments if seg.type not in _CONFED)
        return ASPath(mapped, flags=self.flags), (AS4Path(four) if four else None)


@dataclass(frozen=True, slots=True)
class AS4Path(_Path):
    """The AS4_PATH attribute (RFC 6793 §3): the path in 4-octet numbers, next to an AS_PATH
    that carries AS_TRANS, on sessions where the peer lacks 4-octet AS support.

    RFC 6793 §6 forbids confederation segments here. Building one with them is refused; a
    received one has them dropped, as that section tells the receiver to do ("discard these
    path segments ... and continue processing"), so re-encoding such a value gives shorter
    bytes.
    """

    TYPE: ClassVar[int] = AttrType.AS4_PATH
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    def __post_init__(self) -> None:
        _Path.__post_init__(self)
        for seg in self.segments:
            if seg.type in _CONFED:
                raise LocalProtocolError(f"AS4_PATH cannot carry a {seg.type.name} segment")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        segments = _decode_segments(data, True)
        if any(seg.type in _CONFED for seg in segments):
            segments = tuple(seg for seg in segments if seg.type not in _CONFED)
        path = _new(cls)
        _set_flags(path, None)
        _set_segments(path, segments)
        return path

    def encode_value(self, ctx: Negotiated) -> bytes:
        return _encode_segments(self.segments, True)


def _check_asn(asn: int) -> None:
    if not 0 <= asn <= _MAX_ASN:
        raise LocalProtocolError(f"AS number {asn} does not fit in 4 octets")


def _check_address(address: IPv4Address) -> None:
    if not isinstance(address, IPv4Address):
        raise LocalProtocolError(f"{address!r} is not an IPv4Address")


_AGG2 = struct.Struct(">H4s")
_AGG4 = struct.Struct(">I4s")


@dataclass(frozen=True, slots=True)
class Aggregator(PathAttribute):
    """The AGGREGATOR attribute (RFC 4271 §5.1.7): who aggregated the route.

    Six octets on a 2-octet AS session, eight on a 4-octet one (RFC 6793 §3).
    """

    asn: int
    address: IPv4Address

    TYPE: ClassVar[int] = AttrType.AGGREGATOR
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    def __post_init__(self) -> None:
        _check_asn(self.asn)
        _check_address(self.address)

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        layout = _AGG4 if ctx.four_octet_as else _AGG2
        if len(data) != layout.size:
            raise AttributeLengthError(
                f"AGGREGATOR of {len(data)} octets, expected {layout.size}", data
            )
        asn, address = layout.unpack(data)
        return cls(asn, IPv4Address(address))

    def encode_value(self, ctx: Negotiated) -> bytes:
        if ctx.four_octet_as:
            return _AGG4.pack(self.asn, self.address.packed)
        if self.asn > 0xFFFF:
            raise LocalProtocolError(
                f"aggregator AS {self.asn} does not fit in 2 octets: send AS_TRANS and "
                "AS4_AGGREGATOR (see Aggregator.as_two_octet)"
            )
        return _AGG2.pack(self.asn, self.address.packed)

    def as_two_octet(self) -> tuple[Aggregator, AS4Aggregator | None]:
        """The AGGREGATOR and AS4_AGGREGATOR to send to a 2-octet peer (RFC 6793 §4.2.2)."""
        if self.asn <= 0xFFFF:
            return self, None
        return (Aggregator(AS_TRANS, self.address, flags=self.flags),
                AS4Aggregator(self.asn, self.address))

    def __str__(self) -> str:
        return f"{self.asn} {self.address}"


@dataclass(frozen=True, slots=True)
class AS4Aggregator(PathAttribute):
    """The AS4_AGGREGATOR attribute (RFC 6793 §3): the aggregator's 4-octet AS, always 8 octets."""

    asn: int
    address: IPv4Address

    TYPE: ClassVar[int] = AttrType.AS4_AGGREGATOR
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    def __post_init__(self) -> None:
        _check_asn(self.asn)
        _check_address(self.address)

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if len(data) != 8:
            raise AttributeLengthError(f"AS4_AGGREGATOR of {len(data)} octets, expected 8", data)
        asn, address = _AGG4.unpack(data)
        return cls(asn, IPv4Address(address))

    def encode_value(self, ctx: Negotiated) -> bytes:
        return _AGG4.pack(self.asn, self.address.packed)

    def __str__(self) -> str:
        return f"{self.asn} {self.address}"


def merge_as4_path(
    as_path: ASPath, as4_path: AS4Path | None, aggregator: Aggregator | None = None
) -> ASPath:
    """The true AS path of a route received from a peer without 4-octet AS support.

    RFC 6793 §4.2.3, in order:

    * no AS4_PATH, or an AGGREGATOR whose AS is not AS_TRANS (the aggregating speaker did not
      know about AS4_PATH, so it may be stale): the AS_PATH as received;
    * an AS_PATH shorter than the AS4_PATH (lengths counted as for route selection): the
      AS4_PATH is ignored;
    * otherwise as many leading AS numbers and segments of the AS_PATH as the AS4_PATH lacks,
      followed by the AS4_PATH. A confederation segment is carried over when it leads the
      AS_PATH or follows a carried-over segment.

    Call it only for routes from a peer that did not negotiate 4-octet AS numbers: between two
    speakers that did, AS4_PATH must be discarded instead (RFC 6793 §6).
    """
    if as4_path is None:
        return as_path
    if aggregator is not None and aggregator.asn != AS_TRANS:
        return as_path
    need = as_path.path_length - as4_path.path_length
    if need < 0:
        return as_path
    lead: list[ASPathSegment] = []
    for seg in as_path.segments:
        if need == 0:
            if seg.type in _CONFED:
                lead.append(seg)
                continue
            break
        if seg.type is _SEQ:
            take = min(need, len(seg.asns))
            lead.append(seg if take == len(seg.asns) else ASPathSegment(_SEQ, seg.asns[:take]))
            need -= take
        elif seg.type is _SET:
            lead.append(seg)
            need -= 1
        else:
            lead.append(seg)
    tail = list(as4_path.segments)
    # Join the two halves of one AS_SEQUENCE that the AS4_PATH boundary split.
    if (lead and tail and lead[-1].type is _SEQ and tail[0].type is _SEQ
            and len(lead[-1].asns) + len(tail[0].asns) <= _MAX_SEGMENT):
        tail[0] = ASPathSegment(_SEQ, lead.pop().asns + tail[0].asns)
    return ASPath(tuple(lead + tail))


def merge_as4_aggregator(
    aggregator: Aggregator, as4_aggregator: AS4Aggregator | None
) -> Aggregator:
    """The true aggregator of a route from a peer without 4-octet AS support (RFC 6793 §4.2.3).

    AS4_AGGREGATOR is used only when AGGREGATOR carries AS_TRANS; otherwise AGGREGATOR was set
    by a speaker that did not understand AS4_AGGREGATOR, which is then stale and ignored.
    """
    if as4_aggregator is None or aggregator.asn != AS_TRANS:
        return aggregator
    return Aggregator(as4_aggregator.asn, as4_aggregator.address)
