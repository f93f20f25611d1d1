"""The OPEN message (RFC 4271 §4.2) with capabilities (RFC 5492) and long parameters (RFC 9072).

Layout after the header: version (1), My Autonomous System (2), Hold Time (2), BGP Identifier
(4), Optional Parameters Length (1), then the optional parameters, each type (1), length (1),
value. When the parameters exceed 255 octets RFC 9072 §2 switches to a second layout, announced
by a length octet of 255 followed by a first type octet of 255: a two-octet total length, and
two-octet parameter lengths.

Only the Capabilities parameter (type 2) is understood. RFC 4271 §6.2 answers any other with
Unsupported Optional Parameter, and so does :meth:`Open.decode_body`; ``other_parameters`` exists
so that such OPENs can still be built, for instance to test a peer.

How the capabilities were spread over Capabilities parameters does not change their meaning
(RFC 5492 §4), but a faithful codec must give back the bytes it read: FRR and Cisco send one
parameter per capability, GoBGP and BIRD one parameter holding them all. ``capability_groups``
records the split, and the default ``None`` means the compact form of one parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import ClassVar, Self, TypeVar

from bgpwire.constants import (
    AS_TRANS,
    BGP_VERSION,
    HEADER_LENGTH,
    MAX_MESSAGE_LENGTH,
    MessageType,
    OptionalParameterType,
)
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import (
    BadBGPIdentifier,
    BadMessageLength,
    LocalProtocolError,
    OpenMessageError,
    UnacceptableHoldTime,
    UnsupportedOptionalParameter,
    UnsupportedVersionNumber,
)
from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.messages.capabilities import (
    Capability,
    FourOctetASCapability,
    MultiprotocolCapability,
    decode_capabilities,
    encode_capabilities,
)
from bgpwire.messages.header import frame

C = TypeVar("C", bound=Capability)

_FIXED_LENGTH = 10
"""Version, My AS, Hold Time, BGP Identifier and the Optional Parameters Length octet."""
_SHORT_LIMIT = 255
"""Largest total and per-parameter length of the RFC 4271 layout."""
_EXTENDED_MARKER = OptionalParameterType.EXTENDED_LENGTH
_UNSUPPORTED_VERSION_DATA = BGP_VERSION.to_bytes(2, "big")
"""RFC 4271 §6.2: the data of Unsupported Version Number is the largest version we support."""


@dataclass(frozen=True, slots=True)
class Open:
    """An OPEN message.

    ``my_as`` is the two-octet field as sent; :attr:`asn` is the sender's real AS number.
    ``capabilities`` are in the order received. ``capability_groups`` gives how many of them
    each Capabilities parameter held, or is ``None`` for a single parameter holding all (the
    form used when encoding by default; an OPEN without capabilities has no parameter at all).
    ``extended_parameters`` says the RFC 9072 layout is used; :meth:`build` turns it on when
    needed, and :meth:`encode` refuses parameters that do not fit the short layout without it.
    """

    TYPE: ClassVar[MessageType] = MessageType.OPEN

    version: int
    my_as: int
    hold_time: int
    bgp_identifier: IPv4Address
    capabilities: tuple[Capability, ...] = ()
    other_parameters: tuple[tuple[int, bytes], ...] = ()
    capability_groups: tuple[int, ...] | None = field(default=None, kw_only=True)
    extended_parameters: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        for what, value, maximum in (
            ("version", self.version, 0xFF),
            ("my AS", self.my_as, 0xFFFF),
            ("hold time", self.hold_time, 0xFFFF),
        ):
            if not 0 <= value <= maximum:
                raise LocalProtocolError(f"{what} {value} is outside 0..{maximum}")
        if not isinstance(self.bgp_identifier, IPv4Address):
            raise LocalProtocolError("the BGP identifier must be an IPv4Address")
        for param_type, _ in self.other_parameters:
            if not 0 <= param_type <= 0xFF or param_type in (
                OptionalParameterType.CAPABILITIES,
                _EXTENDED_MARKER,
            ):
                raise LocalProtocolError(
                    f"optional parameter type {param_type} cannot be sent as another parameter"
                )
        groups = self.capability_groups
        if groups is not None:
            if any(size < 0 for size in groups) or sum(groups) != len(self.capabilities):
                raise LocalProtocolError(
                    f"capability groups {groups} do not add up to "
                    f"{len(self.capabilities)} capabilities"
                )
            if groups == () or (len(groups) == 1 and groups[0] > 0):
                # The same bytes as the default; one spelling keeps equality meaningful.
                object.__setattr__(self, "capability_groups", None)

    # --- convenient views -------------------------------------------------------------------

    @property
    def asn(self) -> int:
        """The sender's AS: from the 4-octet AS capability if present (RFC 6793 §3), else my_as."""
        four = self.capability(FourOctetASCapability)
        return self.my_as if four is None else four.asn

    @property
    def families(self) -> tuple[Family, ...]:
        """Families announced with the Multiprotocol capability, in order, without repeats.

        A speaker that sends no Multiprotocol capability at all speaks only IPv4 unicast
        (RFC 4760 §1 keeps the base protocol for it), so that is what it reports.
        """
        found = [c.family for c in self.capabilities if isinstance(c, MultiprotocolCapability)]
        if not found:
            return (IPV4_UNICAST,)
        return tuple(dict.fromkeys(found))

    def capability(self, cls: type[C]) -> C | None:
        """The first capability of class ``cls``, or ``None``."""
        for capability in self.capabilities:
            if isinstance(capability, cls):
                return capability
        return None

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        asn: int,
        hold_time: int,
        bgp_identifier: IPv4Address | str,
        capabilities: tuple[Capability, ...] = (),
    ) -> Self:
        """An OPEN for ``asn``, adding the 4-octet AS capability if missing (RFC 6793 §4.1).

        ``my_as`` becomes AS_TRANS when the AS does not fit in two octets. The RFC 9072 layout is
        chosen only when the capabilities do not fit the short one.
        """
        if not 0 <= asn <= 0xFFFFFFFF:
            raise LocalProtocolError(f"AS number {asn} is outside 0..4294967295")
        four = next((c for c in capabilities if isinstance(c, FourOctetASCapability)), None)
        if four is None:
            capabilities = (*capabilities, FourOctetASCapability(asn))
        elif four.asn != asn:
            raise LocalProtocolError(f"the 4-octet AS capability says {four.asn}, not {asn}")
        open_ = cls(
            BGP_VERSION,
            asn if asn <= 0xFFFF else AS_TRANS,
            hold_time,
            IPv4Address(bgp_identifier),
            capabilities,
        )
        if not open_._fits_short_layout():
            open_ = cls(
                open_.version,
                open_.my_as,
                open_.hold_time,
                open_.bgp_identifier,
                open_.capabilities,
                extended_parameters=True,
            )
        return open_

    # --- wire format ------------------------------------------------------------------------

    @classmethod
    def decode_body(cls, body: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Self:
        """Decode the message after its header, checking what RFC 4271 §6.2 asks of an OPEN.

        The peer's AS is not checked here: whether it is acceptable is the session's question.
        """
        body = bytes(body)
        if len(body) < _FIXED_LENGTH:
            raise BadMessageLength(
                f"OPEN body of {len(body)} octets is shorter than its fixed fields",
                (HEADER_LENGTH + len(body)).to_bytes(2, "big"),
            )
        version = body[0]
        if version != BGP_VERSION:
            raise UnsupportedVersionNumber(
                f"BGP version {version} is not supported", _UNSUPPORTED_VERSION_DATA
            )
        my_as = int.from_bytes(body[1:3], "big")
        hold_time = int.from_bytes(body[3:5], "big")
        if hold_time in (1, 2):
            raise UnacceptableHoldTime(f"hold time {hold_time} is neither 0 nor at least 3")
        identifier = IPv4Address(body[5:9])
        if int(identifier) == 0:
            # RFC 6286 §2.2 lets any non-zero 32-bit value serve as identifier.
            raise BadBGPIdentifier("BGP identifier 0.0.0.0")

        extended = len(body) > _FIXED_LENGTH + 1 and body[9] != 0 and body[10] == _EXTENDED_MARKER
        if extended:
            # RFC 9072 §2: the Non-Ext OP Len octet is ignored once the marker is seen.
            if len(body) < _FIXED_LENGTH + 3:
                raise OpenMessageError("extended optional parameters length is cut short")
            params_length = int.from_bytes(body[11:13], "big")
            start, width = _FIXED_LENGTH + 3, 2
        else:
            params_length = body[9]
            start, width = _FIXED_LENGTH, 1
        if start + params_length != len(body):
            raise OpenMessageError(
                f"optional parameters length {params_length} disagrees with the "
                f"{len(body) - start} octets that follow"
            )

        capabilities: list[Capability] = []
        groups: list[int] = []
        offset, end = start, len(body)
        while offset < end:
            if end - offset < 1 + width:
                raise OpenMessageError("optional parameter header overruns the message")
            param_type = body[offset]
            length = int.from_bytes(body[offset + 1 : offset + 1 + width], "big")
            offset += 1 + width
            if offset + length > end:
                raise OpenMessageError(
                    f"optional parameter {param_type} of length {length} overruns the message"
                )
            if param_type != OptionalParameterType.CAPABILITIES:
                raise UnsupportedOptionalParameter(f"optional parameter type {param_type}")
            group = decode_capabilities(body[offset : offset + length])
            capabilities.extend(group)
            groups.append(len(group))
            offset += length

        return cls(
            version,
            my_as,
            hold_time,
            identifier,
            tuple(capabilities),
            capability_groups=tuple(groups),
            extended_parameters=extended,
        )

    def _parameters(self) -> list[tuple[int, bytes]]:
        """The optional parameters as (type, value) pairs, in sending order."""
        groups = self.capability_groups
        if groups is None:
            groups = (len(self.capabilities),) if self.capabilities else ()
        params: list[tuple[int, bytes]] = []
        index = 0
        for size in groups:
            chunk = self.capabilities[index : index + size]
            params.append((OptionalParameterType.CAPABILITIES, encode_capabilities(chunk)))
            index += size
        params.extend(self.other_parameters)
        return params

    def _fits_short_layout(self) -> bool:
        """Whether the RFC 4271 one-octet lengths can carry the optional parameters."""
        params = self._parameters()
        return (
            all(len(value) <= _SHORT_LIMIT for _, value in params)
            and sum(2 + len(value) for _, value in params) <= _SHORT_LIMIT
        )

    def encode(self, ctx: Negotiated = DEFAULT_CONTEXT) -> bytes:
        """The whole message. RFC 8654 §3 keeps an OPEN within 4096 octets whatever ``ctx`` says."""
        width = 2 if self.extended_parameters else 1
        params = b"".join(
            bytes((param_type,)) + _length(len(value), width) + value
            for param_type, value in self._parameters()
        )
        head = (
            bytes((self.version,))
            + self.my_as.to_bytes(2, "big")
            + self.hold_time.to_bytes(2, "big")
            + self.bgp_identifier.packed
        )
        if self.extended_parameters:
            # RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, then the 2-octet length.
            head += bytes((_SHORT_LIMIT, _EXTENDED_MARKER)) + _length(len(params), 2)
        else:
            head += _length(len(params), 1)
        return frame(self.TYPE, head + params, MAX_MESSAGE_LENGTH)


def _length(value: int, width: int) -> bytes:
    if value >= 1 << (8 * width):
        raise LocalProtocolError(
            f"optional parameters of {value} octets need the RFC 9072 extended layout"
        )
    return value.to_bytes(width, "big")
