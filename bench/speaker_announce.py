"""A Speaker announcing many routes at once to a few peers, over loopback sessions.

    .venv/bin/python bench/speaker_announce.py                  # 20,000 routes, 3 peers
    .venv/bin/python bench/speaker_announce.py --routes 5000 --peers 1

Speaker A listens on 127.0.0.1; each peer is a Speaker of its own connecting from 127.0.0.x.
Per row, what is timed (wall clock, one process, both ends in the same event loop):

| row | what |
|---|---|
| ``announce_many`` | one ``announce_many`` call with every route (same attributes) |
| ``announce`` loop | one ``announce`` call per route |
| ``flush`` | the turn of the loop after the calls, where the UPDATEs are built and written |
| ``received`` | from the first call until every peer's Adj-RIB-In holds every route |

``UPDATEs`` is how many messages one peer received for the routes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network

from bgpwire.aio import TransportOptions
from bgpwire.fsm import PeerConfig
from bgpwire.rib import route_attributes
from bgpwire.speaker import PeerSpec, PeerUp, Speaker

A_AS, A_ID = 65001, IPv4Address("10.0.0.1")


async def session_pairs(peers: int) -> tuple[Speaker, list[Speaker]]:
    a = Speaker(A_AS, A_ID, listen=[("127.0.0.1", 0)])
    await a.start()
    others = []
    for n in range(peers):
        address, asn = f"127.0.0.{n + 2}", 65100 + n
        await a.add_peer(PeerSpec(address, a.peer_config(asn), passive=True,
                                  next_hop=IPv4Address("192.0.2.1")))
        other = Speaker(asn, IPv4Address(f"10.0.1.{n + 1}"))
        await other.start()
        await other.add_peer(PeerSpec("127.0.0.1", PeerConfig(asn, A_AS, other.router_id),
                                      TransportOptions(local_address=address,
                                                       remote_port=a.listen_ports[0])))
        others.append(other)
    ups = 0
    async for event in a.events():
        ups += isinstance(event, PeerUp)
        if ups == peers:
            break
    while any(len(o.adj_rib_in("127.0.0.1").end_of_rib_received) < 2 for o in others):
        await asyncio.sleep(0.01)
    return a, others


async def run(routes: int, peers: int, announce: Callable[[Speaker, list[IPv4Network]], None],
              ) -> tuple[float, float, float, int]:
    a, others = await session_pairs(peers)
    prefixes = [IPv4Network((0x0A000000 + i, 32)) for i in range(routes)]
    status = a.peer_status("127.0.0.2")
    before = status.updates_sent
    started = time.perf_counter()
    announce(a, prefixes)
    called = time.perf_counter()
    await asyncio.sleep(0)  # the flush runs in this turn
    flushed = time.perf_counter()
    while any(len(o.adj_rib_in("127.0.0.1")) < routes for o in others):
        await asyncio.sleep(0.005)
    received = time.perf_counter()
    updates = a.peer_status("127.0.0.2").updates_sent - before
    for other in others:
        await other.close()
    await a.close()
    return called - started, flushed - called, received - started, updates


def many(a: Speaker, prefixes: list[IPv4Network]) -> None:
    a.announce_many(prefixes, attributes=route_attributes(communities=[0xFDE80064]))


def one_by_one(a: Speaker, prefixes: list[IPv4Network]) -> None:
    attributes = route_attributes(communities=[0xFDE80064])
    for prefix in prefixes:
        a.announce(prefix, attributes=attributes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--routes", type=int, default=20_000)
    parser.add_argument("--peers", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.routes:,} routes to {args.peers} peers")
    print(f"{'row':<18}{'calls s':>9}{'flush s':>9}{'received s':>12}{'UPDATEs':>9}")
    for name, how in (("announce_many", many), ("announce loop", one_by_one)):
        calls, flush, received, updates = asyncio.run(run(args.routes, args.peers, how))
        print(f"{name:<18}{calls:>9.3f}{flush:>9.3f}{received:>12.3f}{updates:>9}", flush=True)


if __name__ == "__main__":
    main()
