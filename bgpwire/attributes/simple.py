"""The small fixed-shape attributes: MED, LOCAL_PREF, ATOMIC_AGGREGATE, ORIGINATOR_ID,
CLUSTER_LIST and AIGP."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import ClassVar, Self

from bgpwire.attributes.base import (
    OPTIONAL_NON_TRANSITIVE,
    OPTIONAL_TRANSITIVE,
    WELL_KNOWN,
    AddressAttribute,
    PathAttribute,
)
from bgpwire.constants import AttrType
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, LocalProtocolError, OptionalAttributeError
from bgpwire.slots import slot_setters

__all__ = [
    "AIGP",
    "AtomicAggregate",
    "ClusterList",
    "LocalPref",
    "MultiExitDisc",
    "OnlyToCustomer",
    "OriginatorID",
]

_U32 = struct.Struct(">I")
_MAX_U32 = 0xFFFFFFFF


def _check_u32(name: str, value: int) -> None:
    if not 0 <= value <= _MAX_U32:
        raise LocalProtocolError(f"{name} {value} does not fit in 4 octets")


@dataclass(frozen=True, slots=True)
class _U32Attribute(PathAttribute):
    """An attribute whose value is one 4-octet unsigned integer."""

    value: int

    NAME: ClassVar[str]

    def __post_init__(self) -> None:
        _check_u32(self.NAME, self.value)

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if len(data) != 4:
            raise AttributeLengthError(f"{cls.NAME} of {len(data)} octets, expected 4", data)
        obj = _new(cls)  # four octets bound the value: skip the constructor's check
        _set_flags(obj, None)
        _set_value(obj, int.from_bytes(data))
        return obj

    def encode_value(self, ctx: Negotiated) -> bytes:
        return _U32.pack(self.value)

    def __str__(self) -> str:
        return str(self.value)


_new = object.__new__
(_set_flags,) = slot_setters(PathAttribute, "flags").values()
(_set_value,) = slot_setters(_U32Attribute, "value").values()


@dataclass(frozen=True, slots=True)
class MultiExitDisc(_U32Attribute):
    """MULTI_EXIT_DISC (RFC 4271 §5.1.4): lower is preferred between links to one neighbour AS.

    Optional non-transitive; a malformed one is treated as withdraw (RFC 7606 §7.4).
    """

    TYPE: ClassVar[int] = AttrType.MULTI_EXIT_DISC
    CATEGORY: ClassVar[int] = OPTIONAL_NON_TRANSITIVE
    NAME: ClassVar[str] = "MULTI_EXIT_DISC"


@dataclass(frozen=True, slots=True)
class LocalPref(_U32Attribute):
    """LOCAL_PREF (RFC 4271 §5.1.5): the degree of preference inside an AS, higher is better.

    Well-known, sent to internal peers only; RFC 7606 §7.5 has a copy from an external peer
    discarded, which the UPDATE decoder does as it knows the session (``Negotiated.internal``).
    """

    TYPE: ClassVar[int] = AttrType.LOCAL_PREF
    CATEGORY: ClassVar[int] = WELL_KNOWN
    NAME: ClassVar[str] = "LOCAL_PREF"


@dataclass(frozen=True, slots=True)
class OnlyToCustomer(_U32Attribute):
    """Only to Customer (RFC 9234 §5): the AS that marked the route as one that must only go down
    to customers; ``value`` is that AS number. It stops route leaks between roles.

    Optional transitive; a value that is not 4 octets is malformed and treated as withdraw.
    """

    TYPE: ClassVar[int] = AttrType.ONLY_TO_CUSTOMER
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE
    NAME: ClassVar[str] = "ONLY_TO_CUSTOMER"


@dataclass(frozen=True, slots=True)
class AtomicAggregate(PathAttribute):
    """ATOMIC_AGGREGATE (RFC 4271 §5.1.6): a flag with an empty value, set when an aggregate
    loses path information. Any other length is an error (RFC 7606 §7.6: discard it)."""

    TYPE: ClassVar[int] = AttrType.ATOMIC_AGGREGATE
    CATEGORY: ClassVar[int] = WELL_KNOWN

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if data:
            raise AttributeLengthError(f"ATOMIC_AGGREGATE of {len(data)} octets, expected 0", data)
        return cls()

    def encode_value(self, ctx: Negotiated) -> bytes:
        return b""


@dataclass(frozen=True, slots=True)
class OriginatorID(AddressAttribute):
    """ORIGINATOR_ID (RFC 4456 §8): the BGP identifier of the route's originator inside the AS,
    set by a route reflector so the originator can spot its own route coming back."""

    TYPE: ClassVar[int] = AttrType.ORIGINATOR_ID
    CATEGORY: ClassVar[int] = OPTIONAL_NON_TRANSITIVE
    NAME: ClassVar[str] = "ORIGINATOR_ID"


@dataclass(frozen=True, slots=True)
class ClusterList(PathAttribute):
    """CLUSTER_LIST (RFC 4456 §8): the clusters the route was reflected through, latest first.

    RFC 7606 §7.10: a length that is not a non-zero multiple of 4 is malformed.
    """

    ids: tuple[IPv4Address, ...]

    TYPE: ClassVar[int] = AttrType.CLUSTER_LIST
    CATEGORY: ClassVar[int] = OPTIONAL_NON_TRANSITIVE

    def __post_init__(self) -> None:
        if not isinstance(self.ids, tuple):
            object.__setattr__(self, "ids", tuple(self.ids))
        if not self.ids:
            raise LocalProtocolError("a CLUSTER_LIST holds at least one cluster ID")
        if len(self.ids) > 0xFFFF // 4:
            raise LocalProtocolError(f"{len(self.ids)} cluster IDs do not fit in an attribute")
        for cluster in self.ids:
            if not isinstance(cluster, IPv4Address):
                raise LocalProtocolError(f"cluster ID {cluster!r} is not an IPv4Address")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        n = len(data)
        if n == 0 or n % 4:
            raise AttributeLengthError(
                f"CLUSTER_LIST of {n} octets is not a non-zero multiple of 4", data
            )
        return cls(tuple(IPv4Address(data[i:i + 4]) for i in range(0, n, 4)))

    def encode_value(self, ctx: Negotiated) -> bytes:
        return b"".join(cluster.packed for cluster in self.ids)

    def __str__(self) -> str:
        return " ".join(map(str, self.ids))


AIGP_TLV_TYPE = 1
"""The AIGP TLV, the only TLV RFC 7311 §3 defines."""

_AIGP_TLV = struct.Struct(">BHQ")
_TLV_HEAD = struct.Struct(">BH")
_MAX_METRIC = 0xFFFFFFFFFFFFFFFF


@dataclass(frozen=True, slots=True)
class AIGP(PathAttribute):
    """The Accumulated IGP Metric attribute (RFC 7311), optional non-transitive.

    The value is a list of TLVs: one octet type, two octets length counting the whole TLV, then
    the value. ``metric`` is the value of the first AIGP TLV (type 1, length 11, an unsigned
    64-bit metric); ``None`` if there is none. Any other TLV, including a repeated AIGP TLV
    (RFC 7311 §3: only the first one is used), is kept unchanged in ``other_tlvs`` as
    ``(type, value)``. On the wire the AIGP TLV comes first, then the others in order.

    RFC 7311 §3 calls the attribute malformed when a TLV is shorter than its header, runs past
    the attribute, the AIGP TLV's length is not 11, or the metric is all ones; and asks that a
    malformed AIGP be ignored, not withdrawn (the RFC 7606 "attribute discard").
    """

    metric: int | None
    other_tlvs: tuple[tuple[int, bytes], ...] = ()

    TYPE: ClassVar[int] = AttrType.AIGP
    CATEGORY: ClassVar[int] = OPTIONAL_NON_TRANSITIVE

    def __post_init__(self) -> None:
        if self.metric is not None and not 0 <= self.metric < _MAX_METRIC:
            raise LocalProtocolError(
                f"AIGP metric {self.metric} is outside 0..2**64-2 (all ones means malformed)"
            )
        if not isinstance(self.other_tlvs, tuple):
            object.__setattr__(self, "other_tlvs", tuple(self.other_tlvs))
        if self.metric is None and not self.other_tlvs:
            raise LocalProtocolError("an AIGP attribute holds at least one TLV")
        size = 0 if self.metric is None else _AIGP_TLV.size
        for tlv_type, value in self.other_tlvs:
            if not 0 <= tlv_type <= 0xFF:
                raise LocalProtocolError(f"AIGP TLV type {tlv_type} does not fit in one octet")
            if tlv_type == AIGP_TLV_TYPE and (self.metric is None or len(value) != 8):
                raise LocalProtocolError(
                    "a repeated AIGP TLV (type 1) needs a first one in metric, and 8 octets"
                )
            size += 3 + len(value)
        if size > 0xFFFF:
            raise LocalProtocolError(f"AIGP TLVs of {size} octets do not fit in an attribute")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if not data:
            raise OptionalAttributeError("AIGP attribute without a TLV", data)
        metric: int | None = None
        others: list[tuple[int, bytes]] = []
        end = len(data)
        i = 0
        while i < end:
            if end - i < 3:
                raise OptionalAttributeError("AIGP attribute ends inside a TLV header", data)
            tlv_type, length = _TLV_HEAD.unpack_from(data, i)
            if length < 3:
                raise OptionalAttributeError(f"AIGP TLV length {length} is shorter than 3", data)
            if i + length > end:
                raise OptionalAttributeError("AIGP TLV runs past the attribute", data)
            if tlv_type == AIGP_TLV_TYPE and length != _AIGP_TLV.size:
                raise OptionalAttributeError(f"AIGP TLV of length {length}, expected 11", data)
            value = data[i + 3:i + length]
            if tlv_type == AIGP_TLV_TYPE and metric is None:
                metric = int.from_bytes(value)
                if metric == _MAX_METRIC:
                    raise OptionalAttributeError("AIGP metric is all ones", data)
            else:
                others.append((tlv_type, bytes(value)))
            i += length
        return cls(metric, tuple(others))

    def encode_value(self, ctx: Negotiated) -> bytes:
        out = [] if self.metric is None else [_AIGP_TLV.pack(AIGP_TLV_TYPE, 11, self.metric)]
        out.extend(_TLV_HEAD.pack(t, 3 + len(v)) + v for t, v in self.other_tlvs)
        return b"".join(out)

    def __str__(self) -> str:
        return "none" if self.metric is None else str(self.metric)
