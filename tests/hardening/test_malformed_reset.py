"""Errors that end a session, each sent over a real TCP connection to a bgpwire Speaker.

One row per error condition: the RFC section that prescribes it, the state the hostile peer
brings the session to first, the bytes it then sends, and the NOTIFICATION (code, subcode,
data) the speaker must answer with. For each row the test also checks that the other peer of
the speaker kept its session and its route, and that nothing of the hostile session is left:
no extra asyncio task, no extra file descriptor, an empty Adj-RIB-In.

Data fields follow RFC 4271 §6 where it prescribes them (the bad length, the bad type, the
largest supported version, the whole offending attribute); where it does not (Bad Peer AS),
docs/errors.md says what bgpwire sends.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

import pytest

from bgpwire.constants import BGPRole, CapabilityCode
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import State
from bgpwire.messages import Open
from tests.hardening import wire
from tests.hardening.arena import (
    GOOD_ADDR,
    HOSTILE_ADDR,
    HOSTILE_AS,
    HOSTILE_HOP,
    Arena,
    arena,
    hostile_config,
)
from tests.waiting import wait_for

H = HOSTILE_HOP
V6_HOP = bytes.fromhex("20010db8000000000000000000000001")
V6_NLRI = b"\x20\x20\x01\x0d\xb8"  # 2001:db8::/32


class Stage(Enum):
    """How far the hostile peer takes the session before it misbehaves."""

    CONNECTED = "connected"  # the target's OPEN has arrived; the peer sent nothing yet
    OPEN_CONFIRM = "open_confirm"  # our OPEN sent, our KEEPALIVE not yet
    ESTABLISHED = "established"


@dataclass(frozen=True)
class Case:
    name: str
    rfc: str
    stage: Stage
    send: bytes
    code: int
    subcode: int
    data: bytes = b""
    target: tuple[tuple[str, object], ...] = ()
    """PeerConfig fields of the speaker's side of the hostile peering, for this row."""


def mp_reach(value: bytes, flags: int = wire.OPTIONAL) -> bytes:
    return wire.attr(flags, wire.MP_REACH, value)


GOOD_MP_REACH = struct.pack("!HBB", 2, 1, 16) + V6_HOP + b"\x00" + V6_NLRI
BAD_NH_MP_REACH = struct.pack("!HBB", 2, 1, 5) + b"\x20" * 5 + b"\x00" + V6_NLRI
CUT_MP_REACH = b"\x00\x02"
BAD_NLRI_MP_REACH = struct.pack("!HBB", 2, 1, 16) + bytes(16) + b"\x00" + b"\x81" + bytes(17)
OWN_CAPABILITY = wire.optional_parameter(2, wire.capability(65, struct.pack("!I", HOSTILE_AS)))
UNRECOGNISED_WELL_KNOWN = wire.attr(wire.WELL_KNOWN, 100, b"\x01")
BORR_TOO_LONG = wire.message(wire.ROUTE_REFRESH, b"\x00\x01\x01\x01\x00")
EORR_TOO_LONG = wire.message(wire.ROUTE_REFRESH, b"\x00\x01\x02\x01\x00\x00")
S = Stage

CASES = [
    # --- RFC 4271 §6.1: message header errors --------------------------------------------
    Case("marker not all ones", "4271 §6.1", S.CONNECTED,
         wire.message(wire.KEEPALIVE, b"", marker=b"\xff" * 15 + b"\xfe"), 1, 1),
    Case("length below 19", "4271 §6.1", S.CONNECTED,
         wire.message(wire.KEEPALIVE, b"", length=18), 1, 2, b"\x00\x12"),
    Case("length above 4096", "4271 §6.1", S.ESTABLISHED,
         wire.message(wire.UPDATE, b"", length=4097), 1, 2, b"\x10\x01"),
    Case("KEEPALIVE not 19 long", "4271 §6.1", S.CONNECTED,
         wire.message(wire.KEEPALIVE, b"\x00"), 1, 2, b"\x00\x14"),
    Case("OPEN shorter than 29", "4271 §6.1", S.CONNECTED,
         wire.message(wire.OPEN, b"\x04" + bytes(5)), 1, 2, b"\x00\x19"),
    Case("UPDATE shorter than 23", "4271 §6.1", S.ESTABLISHED,
         wire.message(wire.UPDATE, b"\x00\x00\x00"), 1, 2, b"\x00\x16"),
    Case("NOTIFICATION shorter than 21", "4271 §6.1", S.ESTABLISHED,
         wire.message(wire.NOTIFICATION, b"\x01"), 1, 2, b"\x00\x14"),
    Case("ROUTE-REFRESH not 23 long", "4271 §6.1, 2918 §3", S.ESTABLISHED,
         wire.message(wire.ROUTE_REFRESH, b"\x00\x01\x00"), 1, 2, b"\x00\x16"),
    Case("BoRR not 23 long", "7313 §5", S.ESTABLISHED, BORR_TOO_LONG, 7, 1, BORR_TOO_LONG),
    Case("EoRR not 23 long", "7313 §5", S.ESTABLISHED, EORR_TOO_LONG, 7, 1, EORR_TOO_LONG),
    Case("unknown message type", "4271 §6.1", S.CONNECTED,
         wire.message(7, b""), 1, 3, b"\x07"),
    # --- RFC 4271 §6.2 and later: OPEN message errors --------------------------------------
    Case("version 3", "4271 §6.2", S.CONNECTED, wire.raw_open(version=3), 2, 1, b"\x00\x04"),
    Case("version 5", "4271 §6.2", S.CONNECTED, wire.raw_open(version=5), 2, 1, b"\x00\x04"),
    Case("peer AS not the configured one", "4271 §6.2", S.CONNECTED,
         wire.raw_open(my_as=65099), 2, 2, struct.pack("!H", 65099)),
    Case("peer AS 0", "7607 §2", S.CONNECTED, wire.raw_open(my_as=0), 2, 2, b"\x00\x00"),
    Case("BGP identifier 0.0.0.0", "4271 §6.2, 6286 §2.2", S.CONNECTED,
         wire.raw_open(identifier="0.0.0.0"), 2, 3),
    Case("unsupported optional parameter", "4271 §6.2", S.CONNECTED,
         wire.raw_open(params=wire.optional_parameter(3, b"\x01\x02") + OWN_CAPABILITY), 2, 4),
    Case("hold time 1", "4271 §6.2", S.CONNECTED, wire.raw_open(hold_time=1), 2, 6),
    Case("hold time 2", "4271 §6.2", S.CONNECTED, wire.raw_open(hold_time=2), 2, 6),
    Case("required capability missing", "5492 §5", S.CONNECTED,
         wire.raw_open(), 2, 7, bytes((CapabilityCode.ROUTE_REFRESH, 0)),
         target=(("required_capabilities", (CapabilityCode.ROUTE_REFRESH,)),)),
    Case("BGP roles that do not pair", "9234 §4.2", S.CONNECTED,
         wire.open_message(hostile_config(role=BGPRole.PROVIDER)), 2, 11,
         target=(("role", BGPRole.PROVIDER),)),
    Case("no role where a strict role is configured", "9234 §4.2", S.CONNECTED,
         wire.open_message(hostile_config()), 2, 11,
         target=(("role", BGPRole.CUSTOMER), ("role_strict", True))),
    # --- RFC 4271 §6.3 with RFC 7606: UPDATE errors that still reset the session -------------
    Case("withdrawn routes length past the message", "4271 §6.3, 7606 §5.3", S.ESTABLISHED,
         wire.update(withdrawn=wire.nlri("10.0.0.0/8"), withdrawn_length=200), 3, 1),
    Case("total attribute length past the message", "4271 §6.3, 7606 §5.3", S.ESTABLISHED,
         wire.update(attributes=wire.base_attributes(HOSTILE_AS, H), attributes_length=300),
         3, 1),
    Case("unrecognised well-known attribute", "4271 §6.3", S.ESTABLISHED,
         wire.update(attributes=wire.base_attributes(HOSTILE_AS, H) + UNRECOGNISED_WELL_KNOWN,
                     nlri_bytes=wire.nlri("10.1.0.0/16")), 3, 2, UNRECOGNISED_WELL_KNOWN),
    Case("NLRI prefix length 33", "4271 §6.3, 7606 §5.3", S.ESTABLISHED,
         wire.update(attributes=wire.base_attributes(HOSTILE_AS, H),
                     nlri_bytes=b"\x21" + b"\x0a" * 5), 3, 10),
    Case("NLRI prefix cut short", "4271 §6.3, 7606 §5.3", S.ESTABLISHED,
         wire.update(attributes=wire.base_attributes(HOSTILE_AS, H), nlri_bytes=b"\x18\x0a\x00"),
         3, 10),
    Case("withdrawn prefix length 33", "7606 §5.3", S.ESTABLISHED,
         wire.update(withdrawn=b"\x21" + b"\x0a" * 5), 3, 10),
    Case("MP_REACH_NLRI next hop of length 5", "4760 §7, 7606 §7.11", S.ESTABLISHED,
         wire.update(attributes=wire.origin() + wire.path(HOSTILE_AS)
                     + mp_reach(BAD_NH_MP_REACH)), 3, 9, mp_reach(BAD_NH_MP_REACH)),
    Case("MP_REACH_NLRI cut short", "4760 §7, 7606 §7.11", S.ESTABLISHED,
         wire.update(attributes=wire.origin() + wire.path(HOSTILE_AS) + mp_reach(CUT_MP_REACH)),
         3, 9, mp_reach(CUT_MP_REACH)),
    Case("MP_REACH_NLRI prefix length 129", "4760 §7, 7606 §5.3", S.ESTABLISHED,
         wire.update(attributes=wire.origin() + wire.path(HOSTILE_AS)
                     + mp_reach(BAD_NLRI_MP_REACH)), 3, 9, mp_reach(BAD_NLRI_MP_REACH)),
    Case("MP_REACH_NLRI with well-known flags", "7606 §3.c, §7.11", S.ESTABLISHED,
         wire.update(attributes=wire.origin() + wire.path(HOSTILE_AS)
                     + mp_reach(GOOD_MP_REACH, wire.WELL_KNOWN)),
         3, 4, mp_reach(GOOD_MP_REACH, wire.WELL_KNOWN)),
    Case("MP_REACH_NLRI twice", "7606 §3.g", S.ESTABLISHED,
         wire.update(attributes=wire.origin() + wire.path(HOSTILE_AS)
                     + mp_reach(GOOD_MP_REACH) * 2), 3, 1),
    Case("MP_UNREACH_NLRI prefix length 129", "4760 §7, 7606 §5.3", S.ESTABLISHED,
         wire.update(attributes=wire.attr(wire.OPTIONAL, wire.MP_UNREACH, b"\x00\x02\x01\x81")),
         3, 9, wire.attr(wire.OPTIONAL, wire.MP_UNREACH, b"\x00\x02\x01\x81")),
    # --- RFC 4271 §6.6 with RFC 6608: messages the state does not expect -------------------
    Case("KEEPALIVE in OpenSent", "4271 §8.2.2, 6608 §4", S.CONNECTED, wire.keepalive(), 5, 1),
    Case("UPDATE in OpenSent", "4271 §8.2.2, 6608 §4", S.CONNECTED,
         wire.announce("10.9.0.0/16", HOSTILE_AS, H), 5, 1),
    Case("UPDATE in OpenConfirm", "4271 §8.2.2, 6608 §4", S.OPEN_CONFIRM,
         wire.announce("10.9.0.0/16", HOSTILE_AS, H), 5, 2),
    Case("OPEN in OpenConfirm", "4271 §8.2.2, 6608 §4", S.OPEN_CONFIRM,
         wire.open_message(hostile_config()), 5, 2),
    Case("OPEN in Established", "4271 §8.2.2, 6608 §4", S.ESTABLISHED,
         wire.open_message(hostile_config()), 5, 3),
]

async def bring_to(place: Arena, stage: Stage) -> None:
    """Take a hostile connection to ``stage``; in Established, with one route announced."""
    if stage is Stage.ESTABLISHED:
        hostile = await place.established_hostile()
        await hostile.send(wire.announce("198.51.100.0/24", HOSTILE_AS, H))
        await wait_for(lambda: place.hostile_routes() == 1)
        return
    hostile = await place.hostile()
    if stage is Stage.CONNECTED:
        opened = await hostile.next_message()
        assert isinstance(opened, Open)
    elif stage is Stage.OPEN_CONFIRM:
        await hostile.send(wire.open_message(hostile_config()))
        kinds = [type(await hostile.next_message()).__name__ for _ in range(2)]
        assert kinds == ["Open", "Keepalive"]


@pytest.mark.asyncio
@pytest.mark.parametrize("case", CASES, ids=[f"{c.name} (RFC {c.rfc})" for c in CASES])
async def test_the_speaker_answers_with_the_prescribed_notification(case: Case) -> None:
    async with arena(hostile_config_overrides=dict(case.target)) as place:
        good_session = place.target.speaker.session(GOOD_ADDR)
        assert good_session is not None
        baseline = place.footprint()
        await bring_to(place, case.stage)
        hostile = place.hostiles[-1]

        await hostile.send(case.send)
        notification = await hostile.notification()

        assert (notification.code, notification.subcode, notification.data) == (
            case.code, case.subcode, case.data), notification.describe()
        session = place.hostile_session()
        assert session is not None
        await wait_for(lambda: session.state is not State.ESTABLISHED)
        if case.stage is Stage.ESTABLISHED:
            assert await place.hostile_downs() == [notification]
        await place.dismiss(hostile)
        await place.back_to(baseline)
        place.good_untouched(good_session)
        assert place.target.speaker.adj_rib_in(HOSTILE_ADDR).count(IPV4_UNICAST) == 0


@pytest.mark.asyncio
async def test_a_silent_established_peer_is_ended_by_the_hold_timer() -> None:
    """RFC 4271 §6.5: no KEEPALIVE or UPDATE within the negotiated hold time (3 s here, the
    smallest allowed) gets Hold Timer Expired, (4, 0), and the session's routes go."""
    async with arena() as place:
        good_session = place.target.speaker.session(GOOD_ADDR)
        assert good_session is not None
        baseline = place.footprint()
        hostile = await place.established_hostile(wire.open_message(hostile_config(hold_time=3)))
        await hostile.send(wire.announce("198.51.100.0/24", HOSTILE_AS, H))
        await wait_for(lambda: place.hostile_routes() == 1)

        notification = await hostile.notification(timeout=10)

        assert (notification.code, notification.subcode, notification.data) == (4, 0, b"")
        assert await place.hostile_downs() == [notification]
        await place.dismiss(hostile)
        await place.back_to(baseline)
        place.good_untouched(good_session)
