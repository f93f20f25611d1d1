"""NOTIFICATION: golden vectors, the RFC 9003 Shutdown Communication, errors both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpwire import errors
from bgpwire.constants import (
    HEADER_LENGTH,
    CeaseSubcode,
    ErrorCode,
    MessageHeaderSubcode,
    OpenMessageSubcode,
    UpdateMessageSubcode,
)
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import BadMessageLength, LocalProtocolError, ProtocolError
from bgpwire.messages.header import check_header
from bgpwire.messages.notification import Notification
from tests.strategies.messages import notifications


def message(*fields: str) -> bytes:
    body = bytes.fromhex("".join(fields))
    return b"\xff" * 16 + (HEADER_LENGTH + len(body)).to_bytes(2, "big") + b"\x03" + body


def decode(data: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Notification:
    check_header(data, ctx.max_message_length)
    return Notification.decode_body(data[HEADER_LENGTH:], ctx)


HOLD_TIMER_EXPIRED = message("04", "00")  # code 4 Hold Timer Expired, subcode 0, no data

# Cease / Administrative Shutdown with the RFC 9003 communication "maintenance"
SHUTDOWN = message(
    "06",  # code 6, Cease
    "02",  # subcode 2, Administrative Shutdown
    "0b",  # communication length 11
    "6d61696e74656e616e6365",  # "maintenance"
)

# OPEN Message Error / Unsupported Version Number, data: version 4 as two octets
BAD_VERSION = message("02", "01", "0004")


def test_hold_timer_expired() -> None:
    value = decode(HOLD_TIMER_EXPIRED)
    assert value == Notification(ErrorCode.HOLD_TIMER_EXPIRED, 0)
    assert value.error_code is ErrorCode.HOLD_TIMER_EXPIRED
    assert value.subcode_name == "UNSPECIFIC"
    assert value.shutdown_communication is None
    assert value.encode() == HOLD_TIMER_EXPIRED


def test_shutdown_communication() -> None:
    value = decode(SHUTDOWN)
    assert value.shutdown_communication == "maintenance"
    assert value.subcode_name == "ADMINISTRATIVE_SHUTDOWN"
    assert value == Notification.shutdown("maintenance")
    assert value.encode() == SHUTDOWN
    assert value.describe() == "CEASE/ADMINISTRATIVE_SHUTDOWN 'maintenance'"


def test_reset_communication_utf8() -> None:
    value = Notification.shutdown("żółw 🐢", CeaseSubcode.ADMINISTRATIVE_RESET)
    encoded = "żółw 🐢".encode()
    assert value.data == bytes((len(encoded),)) + encoded
    assert decode(value.encode()).shutdown_communication == "żółw 🐢"


def test_empty_communication() -> None:
    value = Notification.shutdown()
    assert value.data == b"\x00"
    assert value.shutdown_communication == ""


@pytest.mark.parametrize(
    ("text", "octets"),
    [
        ("a" * 300, 255),  # cut at 255 octets
        ("é" * 200, 254),  # 2-octet characters: 127 whole ones fit
        ("a" + "€" * 100, 253),  # 3-octet characters after one: 1 + 3 * 84
        ("🐢" * 70, 252),  # 4-octet characters: 63 whole ones fit
    ],
)
def test_shutdown_truncates_at_character_boundary(text: str, octets: int) -> None:
    value = Notification.shutdown(text)
    assert value.data[0] == octets == len(value.data) - 1
    communication = value.shutdown_communication
    assert communication is not None
    assert text.startswith(communication)


@pytest.mark.parametrize(
    "data",
    [
        "",  # no data at all
        "05 6162",  # length 5, two octets
        "01 6162",  # length 1, two octets
        "02 c328",  # invalid UTF-8
    ],
)
def test_malformed_communication_is_none_and_kept(data: str) -> None:
    raw = message("06 02", data)
    value = decode(raw)
    assert value.shutdown_communication is None
    assert value.data == bytes.fromhex(data)
    assert value.encode() == raw


def test_communication_only_for_shutdown_and_reset() -> None:
    value = decode(message("06 03", "0161"))  # Peer De-configured with look-alike data
    assert value.shutdown_communication is None
    with pytest.raises(LocalProtocolError):
        Notification.shutdown("x", CeaseSubcode.PEER_DE_CONFIGURED)
    with pytest.raises(LocalProtocolError):
        Notification.shutdown("\ud800")


def test_unknown_code_and_subcode() -> None:
    raw = message("63 07 abcd")  # code 99, subcode 7
    value = decode(raw)
    assert value.error_code == 99 and not isinstance(value.error_code, ErrorCode)
    assert value.subcode_name is None
    assert value.describe() == "code 99/subcode 7"
    assert value.to_error() is None
    assert value.encode() == raw


def test_known_code_unknown_subcode() -> None:
    value = Notification(ErrorCode.CEASE, 200, b"x")
    assert value.subcode_name is None
    error = value.to_error()
    assert type(error) is errors.Cease
    assert error.subcode is CeaseSubcode.UNSPECIFIC
    assert error.data == b"x"
    assert "subcode 200" in error.reason


def test_from_error() -> None:
    err = errors.UnsupportedVersionNumber("version 3", b"\x00\x04")
    value = Notification.from_error(err)
    assert value == Notification(2, 1, b"\x00\x04")
    assert value.encode() == BAD_VERSION
    explicit = errors.OpenMessageError("x", subcode=OpenMessageSubcode.ROLE_MISMATCH)
    assert Notification.from_error(explicit) == Notification(2, 11, b"")


def _all_error_classes() -> list[type[ProtocolError]]:
    found: list[type[ProtocolError]] = []
    pending = list(ProtocolError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__ == errors.__name__:
            found.append(cls)
    return found


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda cls: cls.__name__)
def test_to_error_inverts_from_error(cls: type[ProtocolError]) -> None:
    notification = Notification.from_error(cls("reason", b"\x01\x02"))
    error = notification.to_error()
    assert type(error) is cls
    assert error.subcode == cls.default_subcode
    assert error.data == b"\x01\x02"
    assert Notification.from_error(error) == notification


def test_to_error_keeps_subcode_without_own_class() -> None:
    value = Notification(ErrorCode.UPDATE_MESSAGE_ERROR, UpdateMessageSubcode.MALFORMED_AS_PATH)
    error = value.to_error()
    assert type(error) is errors.MalformedASPath
    value = Notification(ErrorCode.CEASE, CeaseSubcode.HARD_RESET)
    error = value.to_error()
    assert type(error) is errors.Cease
    assert error.subcode is CeaseSubcode.HARD_RESET


def test_body_without_subcode() -> None:
    with pytest.raises(BadMessageLength) as info:
        Notification.decode_body(b"\x06", DEFAULT_CONTEXT)
    assert info.value.subcode is MessageHeaderSubcode.BAD_MESSAGE_LENGTH
    assert info.value.data == (20).to_bytes(2, "big")


def test_data_size_limited_by_session() -> None:
    value = Notification(ErrorCode.CEASE, 0, bytes(4076))
    with pytest.raises(LocalProtocolError):
        value.encode()
    assert len(value.encode(Negotiated(extended_message=True))) == 4097
    assert len(Notification(ErrorCode.CEASE, 0, bytes(4075)).encode()) == 4096


@pytest.mark.parametrize("bad", [(-1, 0), (256, 0), (6, 256)])
def test_impossible_codes_are_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(LocalProtocolError):
        Notification(*bad)


@given(notifications())
def test_round_trip_value(value: Notification) -> None:
    data = value.encode()
    assert decode(data) == value
    assert decode(data).encode() == data


@given(st.binary(max_size=200))
def test_any_body_decodes_or_fails_cleanly(body: bytes) -> None:
    try:
        value = Notification.decode_body(body, DEFAULT_CONTEXT)
    except ProtocolError:
        assert len(body) < 2
        return
    assert value.encode()[HEADER_LENGTH:] == body
    value.describe()  # never raises, whatever the data
    assert value.shutdown_communication is None or value.code == ErrorCode.CEASE
