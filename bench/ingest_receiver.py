"""The bgpwire side of ``bench/ingest.py``: a passive session that loads a table into an Adj-RIB-In.

    python bench/ingest_receiver.py --netns NS --listen 10.99.0.1 --peer 10.99.0.2 \
        --prefixes 1000000 [--hold-time 9] [--gc-freeze] [--gc-threshold 100000,50,100] \
        [--profile FILE] [--speaker] [--per-update] [--one-by-one]

Started by ``bench/ingest.py`` (as root), not meant to be run by hand. It enters network
namespace ``NS`` with ``tests.interop.netns.run_in`` (setns on the event loop's thread), listens
on ``--listen``:179 with a :class:`~bgpwire.aio.Listener` in front of one passive
:class:`~bgpwire.aio.PeerSession` (``update_runs=True``) for ``--peer``, and hands every
``UpdateRunReceived`` to an :class:`~bgpwire.rib.AdjRibIn` (``AdjRibIn.apply_all``), and every
other ``UpdateReceived`` together with the UPDATEs queued behind it
(``PeerSession.take_updates``). ``--per-update``: without ``update_runs``, so every UPDATE
is an ``UpdateReceived``; ``--one-by-one``: that too, and ``apply`` for each.
With ``--speaker`` it runs a :class:`~bgpwire.speaker.Speaker`
with one passive peer instead, as most programs embed bgpwire, and reads its events. It prints
``ready`` once listening, then one JSON line with its measurements once the IPv4 End-of-RIB
has arrived and the table holds ``--prefixes`` routes.

``--gc-freeze`` / ``--gc-threshold`` are settings of the embedding program (this script), not of
bgpwire: ``gc.freeze()`` after start-up moves every object alive then out of the collector's
sight, and a larger generation-0 threshold makes collections rarer.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bgpwire.aio import Listener, PeerSession, TransportOptions  # noqa: E402
from bgpwire.families import IPV4_UNICAST  # noqa: E402
from bgpwire.fsm import (  # noqa: E402
    PeerConfig,
    SessionDown,
    SessionEstablished,
    State,
    StateChanged,
    UpdateReceived,
    UpdateRunReceived,
)
from bgpwire.fsm.table import Input  # noqa: E402
from bgpwire.rib import AdjRibIn  # noqa: E402
from bgpwire.speaker import (  # noqa: E402
    EndOfRIB,
    PeerDown,
    PeerSpec,
    PeerUp,
    RoutesReceived,
    Speaker,
)
from tests.interop.netns import run_in  # noqa: E402

LOCAL_AS = 65010
PEER_AS = 65001


@dataclass
class Counters:
    """What the run saw; times are ``time.time()`` (wall clock, comparable across processes)."""

    t_established: float = 0.0
    t_first_update: float = 0.0
    t_end_of_rib: float = 0.0
    t_done: float = 0.0
    updates: int = 0
    apply_seconds: float = 0.0
    keepalives_received: int = 0
    keepalives_sent: int = 0
    left_established: list[str] = field(default_factory=list)
    gc_seconds: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    gc_runs: list[int] = field(default_factory=lambda: [0, 0, 0])
    peak_queued_events: int = 0


class GcTimer:
    """Adds up the time the cyclic garbage collector runs, per generation (``gc.callbacks``)."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self._start = 0.0
        self.active = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            generation = int(info["generation"])
            self.counters.gc_seconds[generation] += time.perf_counter() - self._start
            self.counters.gc_runs[generation] += 1


def count_keepalives(peer: PeerSession, counters: Counters) -> None:
    """Count KEEPALIVEs in both directions while Established.

    The session exposes no message counters, so the state machine's ``fire`` (public: every
    input goes through it) is wrapped on this one instance: a received KEEPALIVE is the
    ``KeepAliveMsg`` input, one we send is the ``KeepaliveTimer_Expires`` input.
    """
    session = peer.session
    original = session.fire

    def fire(inp: Input, now: float, message: Any = None) -> None:
        if session.state is State.ESTABLISHED:
            if inp is Input.KEEPALIVE_MSG:
                counters.keepalives_received += 1
            elif inp is Input.KEEPALIVE_TIMER_EXPIRES:
                counters.keepalives_sent += 1
        original(inp, now, message)

    session.fire = fire  # type: ignore[method-assign]


def ready(args: argparse.Namespace, gc_timer: GcTimer) -> None:
    """Apply the collector settings asked for, start timing the collector, and tell the
    parent we listen."""
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    if args.gc_threshold:
        gc.set_threshold(*args.gc_threshold)
    gc_timer.active = True
    print("ready", flush=True)


async def receive(args: argparse.Namespace, counters: Counters, gc_timer: GcTimer) -> None:
    config = PeerConfig(local_as=LOCAL_AS, peer_as=PEER_AS,
                        router_id=IPv4Address(args.listen), hold_time=args.hold_time,
                        passive=True, auto_restart=False)
    runs = not (args.per_update or args.one_by_one)
    peer = PeerSession(config, args.peer, TransportOptions(local_address=args.listen),
                       update_runs=runs)
    listener = Listener({args.peer: peer}, host=args.listen)
    rib = AdjRibIn(LOCAL_AS)
    count_keepalives(peer, counters)
    await listener.start()
    await peer.start()
    ready(args, gc_timer)
    try:
        async for event in peer.events():
            if isinstance(event, UpdateReceived | UpdateRunReceived):
                if not counters.updates:
                    counters.t_first_update = time.time()
                start = time.perf_counter()
                if isinstance(event, UpdateRunReceived):
                    changes = rib.apply_all(event.updates)
                elif args.one_by_one:
                    changes = [rib.apply(event.update)]
                else:  # with those queued behind it
                    changes = rib.apply_all([event.update, *peer.take_updates()])
                counters.apply_seconds += time.perf_counter() - start
                counters.updates += sum(change.updates for change in changes)
                if any(change.end_of_rib == IPV4_UNICAST for change in changes):
                    counters.t_end_of_rib = time.time()
                if counters.t_end_of_rib and rib.count(IPV4_UNICAST) >= args.prefixes:
                    counters.t_done = time.time()
                    break
            elif isinstance(event, SessionEstablished):
                counters.t_established = time.time()
            elif isinstance(event, StateChanged) and event.old is State.ESTABLISHED:
                counters.left_established.append(f"{event.old.name} -> {event.new.name}")
            elif isinstance(event, SessionDown):
                counters.left_established.append(f"down: {event.reason}")
                break
    finally:
        gc_timer.active = False
        counters.peak_queued_events = peer.peak_queued_events
        state = peer.state
        if state is not State.ESTABLISHED and not counters.left_established:
            counters.left_established.append(f"state {state.name} at the end")
        print(json.dumps(report(args, counters, rib)), flush=True)
        await listener.close()
        await peer.stop("benchmark done", timeout=2.0)


def time_apply(rib: AdjRibIn, counters: Counters) -> None:
    """Add up the time in ``rib.apply`` and ``rib.apply_all`` (wrapped on this one instance,
    as :func:`count_keepalives` wraps ``fire``): inside a Speaker, the table is applied to out
    of the program's sight. ``apply_all`` calls ``apply`` for some UPDATEs: only the outer
    call is timed."""
    depth = [0]

    def timed(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def wrapper(argument: Any) -> Any:
            depth[0] += 1
            start = time.perf_counter()
            try:
                return method(argument)
            finally:
                depth[0] -= 1
                if not depth[0]:
                    counters.apply_seconds += time.perf_counter() - start
        return wrapper

    rib.apply = timed(rib.apply)  # type: ignore[method-assign,assignment]
    rib.apply_all = timed(rib.apply_all)  # type: ignore[method-assign,assignment]


async def receive_with_speaker(args: argparse.Namespace, counters: Counters,
                               gc_timer: GcTimer) -> None:
    speaker = Speaker(LOCAL_AS, IPv4Address(args.listen), listen=[(args.listen, 179)])
    config = speaker.peer_config(PEER_AS, hold_time=args.hold_time, auto_restart=False)
    await speaker.add_peer(PeerSpec(args.peer, config, passive=True,
                                    options=TransportOptions(local_address=args.listen)))
    rib = speaker.adj_rib_in(args.peer)
    time_apply(rib, counters)
    await speaker.start()
    ready(args, gc_timer)
    try:
        async for event in speaker.events():
            if isinstance(event, RoutesReceived):
                if not counters.t_first_update:
                    counters.t_first_update = time.time()
            elif isinstance(event, EndOfRIB) and event.family == IPV4_UNICAST:
                counters.t_end_of_rib = time.time()
            elif isinstance(event, PeerUp):
                counters.t_established = time.time()
                session = speaker.session(args.peer)
                if session is not None:
                    count_keepalives(session, counters)
            elif isinstance(event, PeerDown):
                counters.left_established.append(f"down: {event.reason}")
                break
            if counters.t_end_of_rib and rib.count(IPV4_UNICAST) >= args.prefixes:
                counters.t_done = time.time()
                break
    finally:
        gc_timer.active = False
        # UPDATEs that only add routes come as one RoutesReceived per batch: count the messages
        counters.updates = speaker.peer_status(args.peer).updates_received
        print(json.dumps(report(args, counters, rib)), flush=True)
        await speaker.close("benchmark done")


def report(args: argparse.Namespace, counters: Counters, rib: AdjRibIn) -> dict[str, Any]:
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return {
        "prefixes": rib.count(IPV4_UNICAST),
        "updates": counters.updates,
        "t_established": counters.t_established,
        "t_first_update": counters.t_first_update,
        "t_end_of_rib": counters.t_end_of_rib,
        "t_done": counters.t_done,
        "apply_seconds": counters.apply_seconds,
        "keepalives_received": counters.keepalives_received,
        "keepalives_sent": counters.keepalives_sent,
        "left_established": counters.left_established,
        "gc_seconds": counters.gc_seconds,
        "gc_runs": counters.gc_runs,
        "peak_queued_events": counters.peak_queued_events,
        "vm_hwm_kb": hwm,
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "gc_freeze": args.gc_freeze,
        "gc_threshold": args.gc_threshold,
    }


def thresholds(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(","))
    if not 1 <= len(values) <= 3:
        raise argparse.ArgumentTypeError("give 1 to 3 comma-separated integers")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--netns", required=True)
    parser.add_argument("--listen", required=True, help="our address (IPv4)")
    parser.add_argument("--peer", required=True, help="the sender's address")
    parser.add_argument("--prefixes", type=int, required=True)
    parser.add_argument("--hold-time", type=int, default=9)
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--gc-threshold", type=thresholds, default=None)
    parser.add_argument("--per-update", action="store_true",
                        help="an UpdateReceived per UPDATE (no update_runs)")
    parser.add_argument("--one-by-one", action="store_true",
                        help="AdjRibIn.apply for each UPDATE, not apply_all for those queued")
    parser.add_argument("--speaker", action="store_true",
                        help="receive with a Speaker (one passive peer) and read its events")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write cProfile statistics of the whole run to this file")
    args = parser.parse_args(argv)
    counters = Counters()
    gc_timer = GcTimer(counters)
    gc.callbacks.append(gc_timer)

    async def run() -> None:
        if args.speaker:
            await receive_with_speaker(args, counters, gc_timer)
        else:
            await receive(args, counters, gc_timer)

    if args.profile is None:
        run_in(args.netns, run)
    else:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            run_in(args.netns, run)
        finally:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
    return 0 if counters.t_done and not counters.left_established else 1


if __name__ == "__main__":
    sys.exit(main())
