"""The receive path of a table load over loopback TCP, without root or namespaces.

    python bench/loopback.py                        # 1,000,000 IPv4 prefixes
    python bench/loopback.py --prefixes 100000      # quick
    python bench/loopback.py --speaker              # through a Speaker, as most programs do
    python bench/loopback.py --per-update           # an UpdateReceived per UPDATE
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python bench/loopback.py --prefixes 100000  # instructions, for comparing two versions

A passive :class:`~bgpwire.aio.PeerSession` behind a :class:`~bgpwire.aio.Listener` on
127.0.0.1 takes the stream of ``../shared/bench/gen_table.py`` (made into ``.bench/`` as
``bench/decode.py`` makes it), replayed by ``../shared/bench/bgp_sender.py`` from 127.0.0.2, and
hands every ``UpdateRunReceived`` (the session has ``update_runs``; ``--per-update``: not) to
:meth:`AdjRibIn.apply_all <bgpwire.rib.AdjRibIn.apply_all>`, and every other
``UpdateReceived`` with the UPDATEs queued behind it, as the ``bgpwire`` row of
``bench/ingest.py`` does. It prints
the wall and CPU seconds of this process from the first UPDATE to the table holding every
prefix after the End-of-RIB.

A yardstick for work on the receive path, not a comparison: ``bench/ingest.py`` puts bgpwire
beside the daemons. CPU time moves less than wall time on a shared machine, and the instruction
count valgrind prints moves by about 0.01% between runs of the same code (the interpreter's
start-up, about half of it at 100,000 prefixes, included), so it shows a change of 1%.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from decode import stream  # noqa: E402  # bench/decode.py, beside this script

from bgpwire.aio import Listener, PeerSession, TransportOptions  # noqa: E402
from bgpwire.aio.session import DEFAULT_MAX_QUEUED_EVENTS, DEFAULT_UPDATE_BATCH  # noqa: E402
from bgpwire.families import IPV4_UNICAST  # noqa: E402
from bgpwire.fsm import PeerConfig, SessionDown, UpdateReceived, UpdateRunReceived  # noqa: E402
from bgpwire.rib import AdjRibIn  # noqa: E402

SENDER = ROOT.parent / "shared" / "bench" / "bgp_sender.py"
LISTEN, PEER = "127.0.0.1", "127.0.0.2"
LOCAL_AS, PEER_AS = 65000, 65001


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load(path: Path, prefixes: int, batch: int, queued: int, runs: bool
               ) -> tuple[float, float, int]:
    """Wall and CPU seconds from the first UPDATE to the whole table, and the UPDATE count."""
    config = PeerConfig(local_as=LOCAL_AS, peer_as=PEER_AS, router_id=IPv4Address(LISTEN),
                        hold_time=9, passive=True, auto_restart=False)
    peer = PeerSession(config, PEER, TransportOptions(local_address=LISTEN),
                       max_queued_events=queued, update_runs=runs)
    listener = Listener({PEER: peer}, host=LISTEN, port=0)
    rib = AdjRibIn(LOCAL_AS)
    await listener.start()
    await peer.start()
    sender = start_sender(path, listener.port)
    wall = cpu = 0.0
    updates = 0
    end_of_rib = False
    try:
        async for event in peer.events():
            if isinstance(event, UpdateRunReceived | UpdateReceived):
                if not updates:
                    wall, cpu = time.perf_counter(), cpu_seconds()
                changes = rib.apply_all(
                    event.updates if isinstance(event, UpdateRunReceived)
                    else [event.update, *peer.take_updates(batch)])
                updates += sum(change.updates for change in changes)
                end_of_rib = end_of_rib or any(c.end_of_rib == IPV4_UNICAST for c in changes)
                if end_of_rib and rib.count(IPV4_UNICAST) >= prefixes:
                    return time.perf_counter() - wall, cpu_seconds() - cpu, updates
            elif isinstance(event, SessionDown):
                raise SystemExit(f"the session went down: {event.reason}")
        raise SystemExit("the session's events ended before the table was in")
    finally:
        sender.kill()
        sender.wait()
        await listener.close()
        await peer.stop("benchmark done", timeout=1.0)


async def load_with_speaker(path: Path, prefixes: int) -> tuple[float, float, int]:
    """:func:`load` through a :class:`~bgpwire.speaker.Speaker` with one passive peer, reading
    its events, as ``ingest.py``'s Speaker row does. (Imported here: the speaker's modules would
    add about 115M instructions of start-up to every count of the plain load.)"""
    from bgpwire.speaker import (  # noqa: PLC0415
        EndOfRIB,
        PeerDown,
        PeerSpec,
        RoutesReceived,
        Speaker,
    )

    speaker = Speaker(LOCAL_AS, IPv4Address(LISTEN), listen=[(LISTEN, 0)])
    config = speaker.peer_config(PEER_AS, hold_time=9, auto_restart=False)
    await speaker.add_peer(PeerSpec(PEER, config, passive=True,
                                    options=TransportOptions(local_address=LISTEN)))
    rib = speaker.adj_rib_in(PEER)
    await speaker.start()
    sender = start_sender(path, speaker.listen_ports[0])
    wall = cpu = 0.0
    end_of_rib = False
    try:
        async for event in speaker.events():
            if isinstance(event, RoutesReceived) and not wall:
                wall, cpu = time.perf_counter(), cpu_seconds()
            elif isinstance(event, EndOfRIB) and event.family == IPV4_UNICAST:
                end_of_rib = True
            elif isinstance(event, PeerDown):
                raise SystemExit(f"the session went down: {event.reason}")
            if end_of_rib and rib.count(IPV4_UNICAST) >= prefixes:
                updates = speaker.peer_status(PEER).updates_received
                return time.perf_counter() - wall, cpu_seconds() - cpu, updates
        raise SystemExit("the speaker's events ended before the table was in")
    finally:
        sender.kill()
        sender.wait()
        await speaker.close("benchmark done")


def start_sender(path: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(SENDER), "--file", str(path), "--connect", f"{LISTEN}:{port}",
         "--bind", PEER, "--as", str(PEER_AS), "--hold", "9"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--prefixes", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=DEFAULT_UPDATE_BATCH,
                        help="the most UPDATEs taken from the queue for one apply_all")
    parser.add_argument("--max-queued-events", type=int, default=DEFAULT_MAX_QUEUED_EVENTS,
                        help="the PeerSession's event queue")
    parser.add_argument("--per-update", action="store_true",
                        help="an UpdateReceived per UPDATE: the session without update_runs")
    parser.add_argument("--speaker", action="store_true",
                        help="through a Speaker with one passive peer, reading its events")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    if not SENDER.exists():
        raise SystemExit(f"{SENDER} is missing: the sender sits beside the project (../shared)")
    path = stream("ipv4", args.prefixes)
    loading = (load_with_speaker(path, args.prefixes) if args.speaker
               else load(path, args.prefixes, args.batch, args.max_queued_events,
                         not args.per_update))
    wall, cpu, updates = asyncio.run(asyncio.wait_for(loading, args.timeout))
    print(f"{args.prefixes:,} prefixes in {updates:,} UPDATEs over loopback: "
          f"{wall:.3f} s wall, {cpu:.3f} s CPU, {args.prefixes / wall:,.0f} prefixes/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
