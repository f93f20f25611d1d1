"""The ORIGIN attribute (RFC 4271 §4.3 a, §5.1.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from bgpwire.attributes.base import WELL_KNOWN, PathAttribute
from bgpwire.constants import AttrType, OriginCode
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, InvalidOriginAttribute, LocalProtocolError

__all__ = ["Origin"]


@dataclass(frozen=True, slots=True)
class Origin(PathAttribute):
    """Where the route came from: IGP, EGP or INCOMPLETE. One octet, well-known mandatory."""

    value: OriginCode

    TYPE: ClassVar[int] = AttrType.ORIGIN
    CATEGORY: ClassVar[int] = WELL_KNOWN

    def __post_init__(self) -> None:
        if self.value not in _VALUES:
            raise LocalProtocolError(f"ORIGIN {self.value!r} is not one of 0, 1, 2")
        if not isinstance(self.value, OriginCode):
            object.__setattr__(self, "value", OriginCode(self.value))

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if len(data) != 1:
            raise AttributeLengthError(f"ORIGIN of {len(data)} octets, expected 1", data)
        if data[0] not in _VALUES:
            # RFC 4271 §6.3: the data field is the unrecognised attribute; the UPDATE decoder
            # adds the header.
            raise InvalidOriginAttribute(f"undefined ORIGIN value {data[0]}", data)
        return cls(OriginCode(data[0]))

    def encode_value(self, ctx: Negotiated) -> bytes:
        return _ENCODED[self.value]

    def __str__(self) -> str:
        return self.value.name.lower()


_VALUES = frozenset(int(code) for code in OriginCode)
_ENCODED = {code: bytes((code,)) for code in OriginCode}

