"""RFC 7606 outcomes a session survives, each sent over a real TCP connection to a Speaker.

Every row first has the hostile peer announce :data:`PREFIX` with valid attributes, then
announce it again with the malformed UPDATE of the row, then announce :data:`MARK` validly.
The MARK arriving proves the session read on past the bad UPDATE without a reset; then the
row's outcome is read off the speaker's Adj-RIB-In:

* treat-as-withdraw (RFC 7606 §2): PREFIX is gone, as if withdrawn;
* attribute discard: PREFIX is there, without the malformed attribute, with the others;
* first kept (§3.g): PREFIX is there with the value of the first of the repeated attributes.

No NOTIFICATION may arrive, and the well-behaved peer keeps its session and route throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Address, IPv4Network

import pytest

from bgpwire import OriginCode
from bgpwire.attributes import MultiExitDisc, Origin
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import State
from bgpwire.messages import Notification
from bgpwire.rib import Route
from tests.hardening import wire
from tests.hardening.arena import (
    GOOD_ADDR,
    HOSTILE_ADDR,
    HOSTILE_AS,
    HOSTILE_HOP,
    arena,
)
from tests.waiting import wait_for

H = HOSTILE_HOP
PREFIX, MARK = IPv4Network("198.51.100.0/24"), IPv4Network("192.0.2.0/24")
BASE = wire.base_attributes(HOSTILE_AS, H)
ORIGIN, PATH, HOP = wire.origin(), wire.path(HOSTILE_AS), wire.next_hop(H)
AS4 = (HOSTILE_AS).to_bytes(4, "big")


class Outcome(Enum):
    WITHDRAW = "treat-as-withdraw"
    DISCARD = "attribute discard"
    FIRST_KEPT = "the first is kept"


@dataclass(frozen=True)
class Case:
    name: str
    rfc: str
    attributes: bytes
    outcome: Outcome
    dropped: int | None = None
    """For a discard: the type code that must be missing from the installed route."""


W, D, F = Outcome.WITHDRAW, Outcome.DISCARD, Outcome.FIRST_KEPT
A = wire.attr

CASES = [
    # §7.1 ORIGIN
    Case("ORIGIN value 3", "7606 §7.1", wire.origin(3) + PATH + HOP, W),
    Case("ORIGIN of length 2", "7606 §7.1", A(0x40, 1, b"\x00\x00") + PATH + HOP, W),
    # §7.2 AS_PATH
    Case("AS_PATH segment overruns", "7606 §7.2", ORIGIN + A(0x40, 2, b"\x02\x05" + AS4) + HOP, W),
    Case("AS_PATH segment type 9", "7606 §7.2", ORIGIN + A(0x40, 2, b"\x09\x01" + AS4) + HOP, W),
    Case("AS_PATH segment of length 0", "7606 §7.2", ORIGIN + A(0x40, 2, b"\x02\x00") + HOP, W),
    # §7.3 NEXT_HOP
    Case("NEXT_HOP of length 5", "7606 §7.3", ORIGIN + PATH + A(0x40, 3, bytes(5)), W),
    # §7.4 MULTI_EXIT_DISC
    Case("MED of length 3", "7606 §7.4", BASE + A(0x80, 4, b"\x00\x00\x01"), W),
    Case("MED of length 0", "7606 §7.4", BASE + A(0x80, 4, b""), W),
    # §7.5 LOCAL_PREF
    Case("LOCAL_PREF from an external peer", "7606 §7.5", BASE + A(0x40, 5, b"\x00\x00\x00\x64"),
         D, 5),
    # §7.6, §7.7 ATOMIC_AGGREGATE, AGGREGATOR
    Case("ATOMIC_AGGREGATE of length 1", "7606 §7.6", BASE + A(0x40, 6, b"\x01"), D, 6),
    Case("AGGREGATOR of length 5", "7606 §7.7", BASE + A(0xC0, 7, b"\x00\x00\xfd\xea\x01"), D, 7),
    # §7.8 - §7.10, §7.14, RFC 8092 §6: communities, ORIGINATOR_ID, CLUSTER_LIST
    Case("COMMUNITIES length not a multiple of 4", "7606 §7.8",
         BASE + A(0xC0, 8, b"\x00\x01\x00\x02\x03"), W),
    Case("ORIGINATOR_ID of length 3", "7606 §7.9", BASE + A(0x80, 9, b"\x01\x02\x03"), W),
    Case("CLUSTER_LIST length not a multiple of 4", "7606 §7.10", BASE + A(0x80, 10, bytes(5)),
         W),
    Case("EXTENDED_COMMUNITIES length not a multiple of 8", "7606 §7.14",
         BASE + A(0xC0, 16, bytes(7)), W),
    Case("LARGE_COMMUNITY length not a multiple of 12", "8092 §6", BASE + A(0xC0, 32, bytes(11)),
         W),
    # RFC 6793 §6: AS4_PATH, AS4_AGGREGATOR
    Case("AS4_PATH malformed", "6793 §6, 7606 §7", BASE + A(0xC0, 17, b"\x02\x05\x00"), D, 17),
    Case("AS4_AGGREGATOR of length 3", "6793 §6, 7606 §7", BASE + A(0xC0, 18, b"\x00\x00\x01"),
         D, 18),
    # §3.c flags, §3.d missing, §3.g repeated, §4 overrun, §5.2 no attributes
    Case("ORIGIN with the Optional bit", "7606 §3.c", A(0xC0, 1, b"\x00") + PATH + HOP, W),
    Case("MED with the Transitive bit", "7606 §3.c", BASE + A(0xC0, 4, b"\x00\x00\x00\x01"), W),
    Case("ORIGIN missing", "7606 §3.d", PATH + HOP, W),
    Case("AS_PATH missing", "7606 §3.d", ORIGIN + HOP, W),
    Case("NEXT_HOP missing", "7606 §3.d", ORIGIN + PATH, W),
    Case("no attributes at all", "7606 §3.d", b"", W),
    Case("ORIGIN twice", "7606 §3.g", BASE + wire.origin(2), F),
    Case("MED twice", "7606 §3.g",
         BASE + A(0x80, 4, b"\x00\x00\x00\x01") + A(0x80, 4, b"\x00\x00\x00\x02"), F),
    Case("attribute overruns the attribute list", "7606 §4",
         BASE + A(0xC0, 8, b"\x00\x01\x00\x02", length=40), W),
]


def check_outcome(case: Case, route: Route | None) -> None:
    if case.outcome is Outcome.WITHDRAW:
        assert route is None, route
        return
    assert route is not None, "the route was withdrawn"
    codes = {attribute.type_code for attribute in route.attributes}
    assert {1, 2} <= codes, codes  # ORIGIN and AS_PATH remain
    assert route.next_hop == IPv4Address(H)
    if case.outcome is Outcome.DISCARD:
        assert case.dropped not in codes, codes
    elif case.name == "ORIGIN twice":
        origin = route.attr(Origin)
        assert origin is not None and origin.value is OriginCode.IGP
    else:
        med = route.attr(MultiExitDisc)
        assert med is not None and med.value == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("case", CASES, ids=[f"{c.name} (RFC {c.rfc})" for c in CASES])
async def test_the_session_survives_with_the_prescribed_outcome(case: Case) -> None:
    async with arena() as place:
        good_session = place.target.speaker.session(GOOD_ADDR)
        assert good_session is not None
        hostile = await place.established_hostile()
        session = place.hostile_session()
        assert session is not None
        rib = place.target.speaker.adj_rib_in(HOSTILE_ADDR)
        await hostile.send(wire.announce(PREFIX, HOSTILE_AS, H))
        await wait_for(lambda: rib.get(IPV4_UNICAST, PREFIX) is not None)

        await hostile.send(wire.update(attributes=case.attributes, nlri_bytes=wire.nlri(
            str(PREFIX))))
        await hostile.send(wire.announce(MARK, HOSTILE_AS, H))
        await wait_for(lambda: rib.get(IPV4_UNICAST, MARK) is not None)

        check_outcome(case, rib.get(IPV4_UNICAST, PREFIX))
        assert place.hostile_session() is session and session.state is State.ESTABLISHED
        assert not any(isinstance(m, Notification) for m in hostile.received)
        place.good_untouched(good_session)
