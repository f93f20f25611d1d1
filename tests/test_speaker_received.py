"""How a peer reports what a batch of received UPDATEs changed in its Adj-RIB-In."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network

import pytest

from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.fsm import PeerConfig
from bgpwire.messages import Update, UpdateRun
from bgpwire.messages.update_run import take_table_updates
from bgpwire.rib import AdjRibIn, LazyRoutes
from bgpwire.speaker.events import EndOfRIB, EventQueue, RoutesReceived, SpeakerEvent
from bgpwire.speaker.originations import LocalRoutes
from bgpwire.speaker.peer import Peer
from bgpwire.speaker.spec import PeerSpec
from tests.test_rib_in import CTX, PEER_AS, announce4, base, wire

LOCAL_AS = 65010


def net(index: int) -> IPv4Network:
    return IPv4Network((0x0A000000 + (index << 8), 24))


def new_peer(max_prefixes: int | None = None) -> tuple[Peer, EventQueue]:
    config = PeerConfig(local_as=LOCAL_AS, peer_as=PEER_AS, router_id=IPv4Address("10.0.0.1"))
    queue = EventQueue()
    spec = PeerSpec("192.0.2.2", config, max_prefixes=max_prefixes)
    return Peer(spec, LocalRoutes(), queue, stale_time=60.0), queue


def drained(queue: EventQueue) -> list[SpeakerEvent]:
    async def drain() -> list[SpeakerEvent]:
        queue.close()
        return [event async for event in queue]

    return asyncio.run(drain())


def as_run(updates: list[Update]) -> UpdateRun:
    """``updates`` as a session with ``update_runs`` hands them over: one run."""
    messages = [update.encode(CTX) for update in updates]
    into: tuple[list[bytes], list[bytes], list[int]] = ([], [], [])
    assert take_table_updates(messages, 0, CTX, into) == len(messages)
    return UpdateRun(CTX, *into)


def told(updates: list[Update], max_prefixes: int | None = None,
         over: Family | None = None, *, run: bool = False) -> list[SpeakerEvent]:
    """The events a peer puts out for ``updates`` read together, as a batch from one read (as
    one run with ``run``); ``over`` is the family the batch must put over ``max_prefixes``,
    if one."""
    peer, queue = new_peer(max_prefixes)
    batch: Sequence[Update] = as_run(updates) if run else updates
    assert peer._received_batch(batch) == over  # what _consume does with a batch
    if over is None:
        assert peer.updates_received == len(updates)
    return drained(queue)


@pytest.mark.parametrize("run", [False, True])
def test_updates_that_only_bring_new_routes_are_told_as_one_event(run: bool) -> None:
    updates = [wire(announce4(net(2 * i), net(2 * i + 1), attributes=base(PEER_AS, i + 1)))
               for i in range(40)]
    events = told(updates, run=run)
    assert len(events) == 1 and isinstance(events[0], RoutesReceived)
    assert [route.prefix for route in events[0].announced] == [net(i) for i in range(80)]
    one_by_one = AdjRibIn(LOCAL_AS)
    assert list(events[0].announced) == [
        route for update in updates for route in one_by_one.apply(update).announced]
    assert not events[0].withdrawn and isinstance(events[0].withdrawn, LazyRoutes)


def test_a_replacement_a_withdrawal_or_an_end_of_rib_splits_the_run_in_order() -> None:
    first = [wire(announce4(net(i), attributes=base(PEER_AS, 1))) for i in range(3)]
    replace = wire(announce4(net(1), attributes=base(PEER_AS, 2)))
    then = [wire(announce4(net(i), attributes=base(PEER_AS, 3))) for i in range(3, 5)]
    withdraw = wire(Update(withdrawn=(net(0),)))
    end = wire(Update())
    events = told([*first, replace, *then, withdraw, end])
    kinds = [(type(event).__name__,
              [route.prefix for route in getattr(event, "announced", ())],
              [route.prefix for route in getattr(event, "withdrawn", ())]) for event in events]
    assert kinds == [
        ("RoutesReceived", [net(0), net(1), net(2)], []),
        ("RoutesReceived", [net(1)], []),  # the replacement, on its own
        ("RoutesReceived", [net(3), net(4)], []),
        ("RoutesReceived", [], [net(0)]),
        ("EndOfRIB", [], []),
    ]
    assert isinstance(events[-1], EndOfRIB)


@pytest.mark.parametrize("run", [False, True])
def test_a_peer_with_a_prefix_limit_takes_a_batch_up_to_the_update_that_passes_it(
    run: bool
) -> None:
    updates = [wire(announce4(net(2 * i), net(2 * i + 1), attributes=base(PEER_AS, i + 1)))
               for i in range(40)]
    events = told(updates, max_prefixes=50, over=IPV4_UNICAST, run=run)
    assert [len(event.announced) for event in events  # type: ignore[attr-defined]
            ] == [50, 2]  # the new routes together, then the UPDATE that passed the limit
    assert [route.prefix for event in events for route in event.announced  # type: ignore[attr-defined]
            ] == [net(i) for i in range(52)]
    assert len(told(updates, max_prefixes=80, run=run)) == 1


def summary(events: list[SpeakerEvent]) -> list[tuple[str, list[object], list[object]]]:
    return [(type(event).__name__,
             [route.prefix for route in getattr(event, "announced", ())],
             [route.prefix for route in getattr(event, "withdrawn", ())]) for event in events]


def test_while_stale_routes_wait_the_sweep_falls_between_the_updates_around_the_end_of_rib(
) -> None:
    """Graceful Restart, helper side: routes kept stale from the last session are swept at the
    End-of-RIB; a batch read together must not let an UPDATE after it save a stale route."""
    peer, queue = new_peer()
    assert peer._received_batch([wire(announce4(*(net(i) for i in range(4))))]) is None
    assert peer.adj_in.mark_stale() == 4
    peer._stale.add(IPV4_UNICAST)  # what the end of a session with Graceful Restart does
    drained(queue)
    queue.open()
    again = wire(announce4(net(0), attributes=base(PEER_AS, 2)))
    after = wire(announce4(net(2), attributes=base(PEER_AS, 3)))
    assert peer._received_batch([again, wire(Update()), after]) is None
    assert summary(drained(queue)) == [
        ("RoutesReceived", [net(0)], []),  # replaces its stale copy
        ("RoutesReceived", [], [net(1), net(2), net(3)]),  # swept at the End-of-RIB
        ("EndOfRIB", [], []),
        ("RoutesReceived", [net(2)], []),  # new again, after the sweep
    ]
    assert {route.prefix for route in peer.adj_in} == {net(0), net(2)}


def test_while_stale_routes_wait_a_run_replaces_them_and_the_end_of_rib_after_it_sweeps(
) -> None:
    """A run never holds an End-of-RIB, so it is applied whole; the sweep comes with the
    End-of-RIB that follows it."""
    peer, queue = new_peer()
    assert peer._received_batch([wire(announce4(*(net(i) for i in range(4))))]) is None
    assert peer.adj_in.mark_stale() == 4
    peer._stale.add(IPV4_UNICAST)
    drained(queue)
    queue.open()
    again = [wire(announce4(net(i), attributes=base(PEER_AS, 2))) for i in (0, 2)]
    assert peer._received_batch(as_run(again)) is None
    assert peer._received_batch([wire(Update())]) is None
    assert summary(drained(queue)) == [
        ("RoutesReceived", [net(0)], []),  # each replaces its stale copy
        ("RoutesReceived", [net(2)], []),
        ("RoutesReceived", [], [net(1), net(3)]),  # swept at the End-of-RIB
        ("EndOfRIB", [], []),
    ]
    assert {route.prefix for route in peer.adj_in} == {net(0), net(2)}
    assert peer.updates_received == 4
