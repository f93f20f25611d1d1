"""The NOTIFICATION message (RFC 4271 §4.5) and the Shutdown Communication (RFC 9003).

:meth:`Notification.from_error` is the one place a :class:`~bgpwire.errors.ProtocolError` turns
into the message that tells the peer why the session ends; :meth:`Notification.to_error` goes the
other way, so that a received NOTIFICATION can be logged or raised like a local one.

Codes and subcodes a NOTIFICATION is received with are kept as integers when no enumeration names
them: a peer running a newer RFC must still be heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from bgpwire import errors
from bgpwire.constants import HEADER_LENGTH, SUBCODES, CeaseSubcode, ErrorCode, MessageType
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import BadMessageLength, LocalProtocolError, ProtocolError
from bgpwire.messages.header import frame

MAX_SHUTDOWN_COMMUNICATION = 255
"""RFC 9003 §2: the Shutdown Communication is at most 255 octets of UTF-8."""

SHUTDOWN_SUBCODES = frozenset(
    {CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, CeaseSubcode.ADMINISTRATIVE_RESET}
)
"""The Cease subcodes whose data may be a Shutdown Communication (RFC 9003 §2)."""

_FIXED_LENGTH = 2
"""Error code and error subcode."""


def _error_classes() -> dict[tuple[int, int], type[ProtocolError]]:
    """Every concrete error class of errors.py, keyed by its (code, default subcode)."""
    table: dict[tuple[int, int], type[ProtocolError]] = {}
    pending: list[type[ProtocolError]] = list(ProtocolError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__ == errors.__name__:
            table.setdefault((cls.code, cls.default_subcode), cls)
    return table


_ERROR_CLASSES = _error_classes()
_CODE_CLASSES: dict[int, type[ProtocolError]] = {
    ErrorCode.MESSAGE_HEADER_ERROR: errors.MessageHeaderError,
    ErrorCode.OPEN_MESSAGE_ERROR: errors.OpenMessageError,
    ErrorCode.UPDATE_MESSAGE_ERROR: errors.UpdateMessageError,
    ErrorCode.HOLD_TIMER_EXPIRED: errors.HoldTimerExpired,
    ErrorCode.FSM_ERROR: errors.FSMError,
    ErrorCode.CEASE: errors.Cease,
    ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR: errors.RouteRefreshMessageError,
    ErrorCode.SEND_HOLD_TIMER_EXPIRED: errors.SendHoldTimerExpired,
}
"""The class standing for a whole error code, used when the subcode has no class of its own."""


@dataclass(frozen=True, slots=True)
class Notification:
    """A NOTIFICATION: error code, error subcode and data, all as on the wire."""

    TYPE: ClassVar[MessageType] = MessageType.NOTIFICATION

    code: int
    subcode: int
    data: bytes = b""

    def __post_init__(self) -> None:
        for what, value in (("error code", self.code), ("error subcode", self.subcode)):
            if not 0 <= value <= 0xFF:
                raise LocalProtocolError(f"{what} {value} is outside 0..255")

    # --- views ------------------------------------------------------------------------------

    @property
    def error_code(self) -> ErrorCode | int:
        """The code as an :class:`ErrorCode` when it names one."""
        return ErrorCode(self.code) if self.code in ErrorCode._value2member_map_ else self.code

    @property
    def error_subcode(self) -> IntEnum | int:
        """The subcode as the member of its code's enumeration, when it names one."""
        enum = (
            SUBCODES.get(ErrorCode(self.code))
            if self.code in ErrorCode._value2member_map_
            else None
        )
        if enum is None or self.subcode not in enum._value2member_map_:
            return self.subcode
        return enum(self.subcode)

    @property
    def subcode_name(self) -> str | None:
        """``ADMINISTRATIVE_SHUTDOWN`` style, or ``None`` for a subcode no RFC known here names."""
        subcode = self.error_subcode
        return subcode.name if isinstance(subcode, IntEnum) else None

    @property
    def shutdown_communication(self) -> str | None:
        """The operator's message of an Administrative Shutdown or Reset (RFC 9003 §2).

        The data is a one-octet length and that many octets of UTF-8. This is only shown to a
        human, so anything malformed (a length that disagrees with the data, invalid UTF-8) gives
        ``None`` instead of an error; :attr:`data` still holds the octets.
        """
        if self.code != ErrorCode.CEASE or self.subcode not in SHUTDOWN_SUBCODES:
            return None
        data = self.data
        if not data or len(data) != 1 + data[0]:
            return None
        try:
            return data[1:].decode("utf-8")
        except UnicodeDecodeError:
            return None

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_error(cls, err: ProtocolError) -> Self:
        """The NOTIFICATION that answers ``err`` (RFC 4271 §6)."""
        return cls(err.code, err.subcode, err.data)

    @classmethod
    def shutdown(
        cls, message: str = "", subcode: CeaseSubcode = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN
    ) -> Self:
        """A Cease carrying a Shutdown Communication (RFC 9003 §2).

        A message longer than 255 octets is cut at the last whole character that fits, because
        the RFC forbids a longer one and a cut inside a character would be invalid UTF-8.
        """
        if subcode not in SHUTDOWN_SUBCODES:
            raise LocalProtocolError(f"Cease subcode {subcode!r} carries no Shutdown Communication")
        try:
            encoded = message.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LocalProtocolError(f"shutdown message is not encodable as UTF-8: {exc}") from None
        encoded = encoded[:MAX_SHUTDOWN_COMMUNICATION].decode("utf-8", "ignore").encode("utf-8")
        return cls(ErrorCode.CEASE, subcode, bytes((len(encoded),)) + encoded)

    def to_error(self) -> ProtocolError | None:
        """The :mod:`bgpwire.errors` exception this NOTIFICATION stands for, e.g. to log or raise.

        A subcode without a class of its own gives the class of the whole code, with the
        received subcode kept when its code's enumeration names it and otherwise reported in the
        reason. An error code unknown to bgpwire has no class and gives ``None``.
        """
        base = _CODE_CLASSES.get(self.code)
        if base is None:
            return None
        reason = f"received NOTIFICATION {self.describe()}"
        cls = _ERROR_CLASSES.get((self.code, self.subcode))
        if cls is not None:
            return cls(reason, self.data)
        subcode = self.error_subcode
        return base(reason, self.data, subcode=subcode if isinstance(subcode, IntEnum) else None)

    def describe(self) -> str:
        """``CEASE/ADMINISTRATIVE_SHUTDOWN`` style text for logs, numbers where names lack."""
        code = self.error_code
        code_text = code.name if isinstance(code, ErrorCode) else f"code {code}"
        subcode_text = self.subcode_name or f"subcode {self.subcode}"
        text = f"{code_text}/{subcode_text}"
        communication = self.shutdown_communication
        if communication:
            text += f" {communication!r}"
        return text

    # --- wire format ------------------------------------------------------------------------

    @classmethod
    def decode_body(cls, body: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Self:
        """Code, subcode and whatever follows as data (RFC 4271 §4.5)."""
        body = bytes(body)
        if len(body) < _FIXED_LENGTH:
            raise BadMessageLength(
                f"NOTIFICATION body of {len(body)} octets has no room for code and subcode",
                (HEADER_LENGTH + len(body)).to_bytes(2, "big"),
            )
        return cls(body[0], body[1], body[_FIXED_LENGTH:])

    def encode(self, ctx: Negotiated = DEFAULT_CONTEXT) -> bytes:
        """The whole message; the data must fit the session's message size (RFC 8654)."""
        return frame(
            self.TYPE, bytes((self.code, self.subcode)) + self.data, ctx.max_message_length
        )
