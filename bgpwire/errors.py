"""The one error hierarchy of bgpwire, and the RFC 7606 vocabulary.

Two kinds of failure never mix:

* :class:`ProtocolError`: the peer sent something wrong. Every such error knows the NOTIFICATION
  (code, subcode, data) that RFC 4271 §6 prescribes for it, so whoever catches it can tell the
  peer exactly why the session ends.
* :class:`LocalProtocolError`: the program using bgpwire asked for something impossible (an
  attribute value out of range, a message too large to encode). It is never sent to a peer.

UPDATE errors that RFC 7606 allows a speaker to survive are not raised at all: the decoder
records them as :class:`AttributeProblem` values on the decoded UPDATE, each with the
:class:`ErrorAction` the RFC assigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from bgpwire.constants import (
    CeaseSubcode,
    ErrorCode,
    FSMErrorSubcode,
    MessageHeaderSubcode,
    OpenMessageSubcode,
    RouteRefreshErrorSubcode,
    UnspecificSubcode,
    UpdateMessageSubcode,
)


class BGPError(Exception):
    """Base of every exception bgpwire raises."""


class LocalProtocolError(BGPError, ValueError):
    """The caller asked for something the protocol cannot express; nothing is sent to the peer."""


class ProtocolError(BGPError):
    """The peer broke the protocol; carries the NOTIFICATION that answers it.

    Subclasses fix ``code`` and, for most, ``subcode``. ``data`` is the NOTIFICATION's data
    field, filled with what RFC 4271 §6 says the peer must be shown (the bad length, the
    offending attribute, ...).
    """

    code: ClassVar[ErrorCode]
    default_subcode: ClassVar[IntEnum]

    def __init__(self, reason: str, data: bytes = b"", *, subcode: IntEnum | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = bytes(data)
        self.subcode: IntEnum = self.default_subcode if subcode is None else subcode

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.reason!r}, code={self.code.name}, "
            f"subcode={self.subcode.name}, data={self.data.hex()!r})"
        )


# --- Message Header Error (RFC 4271 §6.1) ---------------------------------------------------


class MessageHeaderError(ProtocolError):
    code = ErrorCode.MESSAGE_HEADER_ERROR
    default_subcode = MessageHeaderSubcode.UNSPECIFIC


class ConnectionNotSynchronized(MessageHeaderError):
    default_subcode = MessageHeaderSubcode.CONNECTION_NOT_SYNCHRONIZED


class BadMessageLength(MessageHeaderError):
    """The data field carries the erroneous two-octet length."""

    default_subcode = MessageHeaderSubcode.BAD_MESSAGE_LENGTH


class BadMessageType(MessageHeaderError):
    """The data field carries the erroneous type octet."""

    default_subcode = MessageHeaderSubcode.BAD_MESSAGE_TYPE


# --- OPEN Message Error (RFC 4271 §6.2) -----------------------------------------------------


class OpenMessageError(ProtocolError):
    code = ErrorCode.OPEN_MESSAGE_ERROR
    default_subcode = OpenMessageSubcode.UNSPECIFIC


class UnsupportedVersionNumber(OpenMessageError):
    """The data field carries the largest supported version as two octets."""

    default_subcode = OpenMessageSubcode.UNSUPPORTED_VERSION_NUMBER


class BadPeerAS(OpenMessageError):
    default_subcode = OpenMessageSubcode.BAD_PEER_AS


class BadBGPIdentifier(OpenMessageError):
    default_subcode = OpenMessageSubcode.BAD_BGP_IDENTIFIER


class UnsupportedOptionalParameter(OpenMessageError):
    default_subcode = OpenMessageSubcode.UNSUPPORTED_OPTIONAL_PARAMETER


class UnacceptableHoldTime(OpenMessageError):
    default_subcode = OpenMessageSubcode.UNACCEPTABLE_HOLD_TIME


class UnsupportedCapability(OpenMessageError):
    """The data field lists the capabilities that are required but missing (RFC 5492 §5)."""

    default_subcode = OpenMessageSubcode.UNSUPPORTED_CAPABILITY


class RoleMismatch(OpenMessageError):
    default_subcode = OpenMessageSubcode.ROLE_MISMATCH


# --- UPDATE Message Error (RFC 4271 §6.3) ---------------------------------------------------


class UpdateMessageError(ProtocolError):
    code = ErrorCode.UPDATE_MESSAGE_ERROR
    default_subcode = UpdateMessageSubcode.UNSPECIFIC


class MalformedAttributeList(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.MALFORMED_ATTRIBUTE_LIST


class UnrecognizedWellKnownAttribute(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE


class MissingWellKnownAttribute(UpdateMessageError):
    """The data field carries the type code of the missing attribute."""

    default_subcode = UpdateMessageSubcode.MISSING_WELL_KNOWN_ATTRIBUTE


class AttributeFlagsError(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.ATTRIBUTE_FLAGS_ERROR


class AttributeLengthError(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.ATTRIBUTE_LENGTH_ERROR


class InvalidOriginAttribute(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.INVALID_ORIGIN_ATTRIBUTE


class InvalidNextHopAttribute(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.INVALID_NEXT_HOP_ATTRIBUTE


class OptionalAttributeError(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.OPTIONAL_ATTRIBUTE_ERROR


class InvalidNetworkField(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.INVALID_NETWORK_FIELD


class MalformedASPath(UpdateMessageError):
    default_subcode = UpdateMessageSubcode.MALFORMED_AS_PATH


# --- The remaining codes ---------------------------------------------------------------------


class HoldTimerExpired(ProtocolError):
    code = ErrorCode.HOLD_TIMER_EXPIRED
    default_subcode = UnspecificSubcode.UNSPECIFIC


class SendHoldTimerExpired(ProtocolError):
    """RFC 9687: the peer has not read what we sent for too long."""

    code = ErrorCode.SEND_HOLD_TIMER_EXPIRED
    default_subcode = UnspecificSubcode.UNSPECIFIC


class FSMError(ProtocolError):
    """A message arrived in a state that does not expect it (RFC 4271 §6.6, RFC 6608)."""

    code = ErrorCode.FSM_ERROR
    default_subcode = FSMErrorSubcode.UNSPECIFIED


class Cease(ProtocolError):
    """Closing the session for a reason other than a protocol error (RFC 4486)."""

    code = ErrorCode.CEASE
    default_subcode = CeaseSubcode.UNSPECIFIC


class RouteRefreshMessageError(ProtocolError):
    """A ROUTE-REFRESH of the wrong length (RFC 7313 §5); data is the whole message."""

    code = ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR
    default_subcode = RouteRefreshErrorSubcode.INVALID_MESSAGE_LENGTH


# --- RFC 7606 outcomes as data ---------------------------------------------------------------


class ErrorAction(IntEnum):
    """How a malformed UPDATE is handled (RFC 7606 §2), ordered from mildest to strongest."""

    NONE = 0
    ATTRIBUTE_DISCARD = 1
    TREAT_AS_WITHDRAW = 2
    AFI_SAFI_DISABLE = 3
    SESSION_RESET = 4


@dataclass(frozen=True, slots=True)
class AttributeProblem:
    """One malformed or unexpected attribute found while decoding an UPDATE.

    ``subcode`` and ``data`` are the NOTIFICATION fields that would be sent had the outcome been a
    session reset (RFC 4271 §6.3), which is also what a log wants to show.
    """

    type_code: int
    action: ErrorAction
    subcode: UpdateMessageSubcode
    data: bytes
    reason: str

    @classmethod
    def from_error(
        cls, type_code: int, action: ErrorAction, error: UpdateMessageError
    ) -> AttributeProblem:
        subcode = UpdateMessageSubcode(error.subcode)
        return cls(type_code, action, subcode, error.data, error.reason)
