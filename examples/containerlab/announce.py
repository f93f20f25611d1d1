"""Establish one BGP session with bgpwire, announce routes, print what the peer sends.

    python3 announce.py --local 10.0.0.1 --peer 10.0.0.2 --local-as 65010 --peer-as 65003 \
        --route 192.0.2.0/24 --route 2001:db8:10::/48 --next-hop6 fd00::1

IPv4 routes go out with ``--local`` as next hop, IPv6 routes (MP_REACH_NLRI) with
``--next-hop6``. The session runs until Ctrl-C or SIGTERM, then ends with a Cease. bgpwire
has no dependencies: ``PYTHONPATH=<checkout>`` is enough.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

from bgpwire import (
    IPV6_UNICAST,
    ASPath,
    MPReachNLRI,
    NextHop,
    Origin,
    OriginCode,
    pack_announcements,
)
from bgpwire.aio import PeerSession, TransportOptions
from bgpwire.fsm import PeerConfig, SessionDown, SessionEstablished, UpdateReceived


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--local", required=True, help="our address (source of the session)")
    parser.add_argument("--peer", required=True, help="the peer's address")
    parser.add_argument("--local-as", type=int, required=True)
    parser.add_argument("--peer-as", type=int, required=True)
    parser.add_argument("--router-id", help="default: --local if it is IPv4")
    parser.add_argument("--route", action="append", default=[], help="a prefix to announce")
    parser.add_argument("--next-hop6", help="next hop of the IPv6 routes")
    args = parser.parse_args()
    if any(":" in route for route in args.route) and args.next_hop6 is None:
        parser.error("IPv6 routes need --next-hop6")
    return args


async def main(args: argparse.Namespace) -> None:
    config = PeerConfig(
        local_as=args.local_as,
        peer_as=args.peer_as,
        router_id=IPv4Address(args.router_id or args.local),
        hold_time=9,
        connect_retry_time=2.0,
        idle_hold_time=1.0,
        idle_hold_time_max=10.0,
    )
    session = PeerSession(config, args.peer, TransportOptions(local_address=args.local))
    routes = [ip_network(route) for route in args.route]
    v4 = [r for r in routes if isinstance(r, IPv4Network)]
    v6 = [r for r in routes if isinstance(r, IPv6Network)]
    path = (Origin(OriginCode.IGP), ASPath.from_asns([args.local_as]))

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    async def watch() -> None:
        async for event in session.events():
            if isinstance(event, SessionEstablished):
                ctx = event.negotiation.send_ctx
                print(f"established with AS{event.negotiation.peer_as}", flush=True)
                updates = []
                if v4:
                    updates += pack_announcements(
                        (*path, NextHop(IPv4Address(args.local))), v4, ctx)
                if v6:
                    reach = MPReachNLRI(IPV6_UNICAST, (IPv6Address(args.next_hop6),), ())
                    updates += pack_announcements((*path, reach), v6, ctx)
                session.send_updates(updates)
                print(f"announced {', '.join(map(str, routes)) or 'nothing'}", flush=True)
            elif isinstance(event, UpdateReceived):
                for _, prefix in event.update.announced():
                    print(f"received {prefix}", flush=True)
                for _, prefix in event.update.withdrawals():
                    print(f"withdrawn {prefix}", flush=True)
            elif isinstance(event, SessionDown):
                print(f"session down: {event.reason}", flush=True)

    watcher = asyncio.create_task(watch())
    await session.start()
    await stopping.wait()
    await session.stop("announce.py stopped")
    await watcher


if __name__ == "__main__":
    asyncio.run(main(arguments()))
