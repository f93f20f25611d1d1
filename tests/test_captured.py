"""Messages captured from real FRR, GoBGP and BIRD sessions decode to what their configs say.

The expected facts in ``tests/vectors/captured/*.json`` come from the daemons' configurations and
their own CLIs (see the README there), never from bgpwire, so these tests check the decoder
against the routers themselves. Every message must also re-encode to the bytes captured.
"""

from __future__ import annotations

import json
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from bgpwire import (
    AIGP,
    Aggregator,
    ASPath,
    AtomicAggregate,
    ClusterList,
    Communities,
    ExtendedCommunities,
    LargeCommunities,
    LocalPref,
    MultiExitDisc,
    NextHop,
    Notification,
    OnlyToCustomer,
    Open,
    Origin,
    OriginatorID,
    PathPrefix,
    Update,
    decode,
    format_community,
)
from bgpwire.constants import ASPathSegmentType
from bgpwire.context import DEFAULT_CONTEXT
from bgpwire.framer import Framer
from bgpwire.fsm import negotiate

CAPTURES = Path(__file__).parent / "vectors" / "captured"
NAMES = sorted(path.stem for path in CAPTURES.glob("*.json"))


def test_every_daemon_is_covered() -> None:
    assert {name.split("-")[0] for name in NAMES} == {"frr", "gobgp", "bird"}
    assert len(NAMES) >= 12


def load(name: str) -> tuple[dict[str, Any], list[bytes]]:
    facts = json.loads((CAPTURES / f"{name}.json").read_text())
    framer = Framer()
    raw = framer.feed((CAPTURES / f"{name}.bin").read_bytes())
    assert framer.pending == 0
    return facts, raw


def as_path_of(update: Update) -> list[Any]:
    """AS_PATH in the captures' notation: AS numbers, with each AS_SET as a nested list."""
    path = update.attr(ASPath)
    assert path is not None
    out: list[Any] = []
    for segment in path.segments:
        if segment.type is ASPathSegmentType.AS_SET:
            out.append(list(segment.asns))
        else:
            out.extend(segment.asns)
    return out


def check_route(route: dict[str, Any], update: Update, next_hops: tuple[Any, ...]) -> None:
    assert next_hops[0] == ip_address(route["next_hop"])
    if "link_local_next_hop" in route:
        assert str(next_hops[1]) == route["link_local_next_hop"]
    assert as_path_of(update) == route["as_path"]
    origin = update.attr(Origin)
    assert origin is not None and origin.value.name.lower() == route["origin"]
    med = update.attr(MultiExitDisc)
    assert (med.value if med else None) == route.get("med")
    local_pref = update.attr(LocalPref)
    assert (local_pref.value if local_pref else None) == route.get("local_pref")
    communities = update.attr(Communities)
    # Communities are sets: the facts list them in config order, routers send them sorted.
    got = [format_community(c) for c in communities.values] if communities else []
    assert sorted(got) == sorted(route.get("communities", []))
    large = update.attr(LargeCommunities)
    got = [str(c) for c in large.values] if large else []
    assert sorted(got) == sorted(route.get("large_communities", []))
    extended = update.attr(ExtendedCommunities)
    got = [str(c) for c in extended.values] if extended else []
    assert sorted(got) == sorted(route.get("ext_communities", []))
    if "otc" in route:
        otc = update.attr(OnlyToCustomer)
        assert otc is not None and otc.value == route["otc"]
    if "aggregator" in route:
        aggregator = update.attr(Aggregator)
        assert aggregator is not None
        assert (aggregator.asn, str(aggregator.address)) == (
            route["aggregator"]["as"], route["aggregator"]["address"])
    if "atomic_aggregate" in route:
        assert (update.attr(AtomicAggregate) is not None) == route["atomic_aggregate"]
    if "originator_id" in route:
        originator = update.attr(OriginatorID)
        assert originator is not None and str(originator.address) == route["originator_id"]
    if "cluster_list" in route:
        clusters = update.attr(ClusterList)
        assert clusters is not None and [str(i) for i in clusters.ids] == route["cluster_list"]
    if "aigp" in route:
        aigp = update.attr(AIGP)
        assert aigp is not None and aigp.metric == route["aigp"]


@pytest.mark.parametrize("name", NAMES)
def test_capture_decodes_to_the_configured_routes_and_back_to_its_bytes(name: str) -> None:
    facts, raw = load(name)
    ours = decode(bytes.fromhex(facts["our_open"]))
    theirs = decode(raw[0])
    assert isinstance(ours, Open) and isinstance(theirs, Open)
    assert theirs.asn == facts["peer_as"]
    assert str(theirs.bgp_identifier) == facts["router_id"]
    assert theirs.hold_time == facts["hold_time"]
    ctx = negotiate(ours, theirs).receive_ctx

    announced: dict[str, tuple[Update, tuple[Any, ...]]] = {}
    withdrawn: set[str] = set()
    end_of_rib = set()
    messages = [decode(message, ctx) for message in raw]
    for message, wire in zip(messages, raw, strict=True):
        assert message.encode(ctx if isinstance(message, Update) else DEFAULT_CONTEXT) == wire
        if not isinstance(message, Update):
            continue
        assert message.problems == ()
        if message.end_of_rib is not None:
            end_of_rib.add(message.end_of_rib)
        reach = message.mp_reach
        nlri_hop = message.attr(NextHop)
        for family, item in message.announced():
            key = str(item.prefix if isinstance(item, PathPrefix) else item)
            if isinstance(item, PathPrefix):
                key += f"#{item.path_id}"
            hops = reach.next_hops if reach and reach.family == family else (
                (nlri_hop.address,) if nlri_hop else ())
            announced[key] = (message, hops)
        for _, item in message.withdrawals():
            withdrawn.add(str(item.prefix if isinstance(item, PathPrefix) else item))

    for route in facts["routes"]:
        key = route["prefix"] + (f"#{route['path_id']}" if "path_id" in route else "")
        assert key in announced, f"{name}: {key} was not announced"
        update, hops = announced[key]
        check_route(route, update, hops)
    assert set(facts["withdrawn"]) <= withdrawn

    notification = facts["notification"]
    if notification is None:
        assert end_of_rib, f"{name}: no End-of-RIB"
        assert not any(isinstance(m, Notification) for m in messages)
    else:
        last = messages[-1]
        assert isinstance(last, Notification)
        assert (last.code, last.subcode) == (notification["code"], notification["subcode"])
        if "data" in notification:
            assert last.data.hex() == notification["data"]
        if "shutdown_communication" in notification:
            assert last.shutdown_communication == notification["shutdown_communication"]
