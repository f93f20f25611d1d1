"""The reverse direction of ``bench/ingest.py``: bgpwire announces a whole table to a daemon.

    python bench/ingest_announcer.py --netns NS --local 10.99.0.2 --peer 10.99.0.22 \
        --peer-as 65002 --file .bench/v4_1000000.bin

Started by ``bench/ingest.py``. Before connecting it decodes the stream file and groups the
prefixes by attribute set (not timed). Once Established it packs each group with
:func:`~bgpwire.messages.pack_announcements` and hands the UPDATEs to
:meth:`~bgpwire.aio.PeerSession.send_updates`, yielding to the event loop every few hundred
groups so timers (keepalives) keep running, then sends End-of-RIB. It prints one JSON line with
the wall-clock times, then keeps the session up until its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bgpwire import decode  # noqa: E402
from bgpwire.aio import PeerSession, TransportOptions  # noqa: E402
from bgpwire.attributes import PathAttribute  # noqa: E402
from bgpwire.context import Negotiated  # noqa: E402
from bgpwire.families import IPV4_UNICAST  # noqa: E402
from bgpwire.framer import Framer  # noqa: E402
from bgpwire.fsm import PeerConfig  # noqa: E402
from bgpwire.messages import Update, pack_announcements  # noqa: E402
from bgpwire.prefixes import NLRIItem  # noqa: E402
from bgpwire.rib import end_of_rib  # noqa: E402
from tests.interop.netns import run_in  # noqa: E402

LOCAL_AS = 65001
YIELD_EVERY = 256
"""Attribute groups packed and sent between two returns to the event loop."""
CHUNK = 65536


def load_groups(path: Path) -> list[tuple[tuple[PathAttribute, ...], list[NLRIItem]]]:
    """The stream's routes: consecutive UPDATEs with equal attributes make one group."""
    ctx = Negotiated(four_octet_as=True)
    framer = Framer(ctx.max_message_length)
    groups: list[tuple[tuple[PathAttribute, ...], list[NLRIItem]]] = []
    data = path.read_bytes()
    raws = [raw for offset in range(0, len(data), CHUNK)
            for raw in framer.feed(data[offset:offset + CHUNK])]
    for raw in raws:
        message = decode(raw, ctx)
        if not isinstance(message, Update) or not message.nlri:
            continue
        if groups and groups[-1][0] == message.attributes:
            groups[-1][1].extend(message.nlri)
        else:
            groups.append((message.attributes, list(message.nlri)))
    return groups


async def announce(args: argparse.Namespace) -> dict[str, Any]:
    groups = load_groups(args.file)
    prefixes = sum(len(nlri) for _, nlri in groups)
    config = PeerConfig(local_as=LOCAL_AS, peer_as=args.peer_as,
                        router_id=IPv4Address(args.local), hold_time=args.hold_time,
                        families=(IPV4_UNICAST,), auto_restart=False)
    peer = PeerSession(config, args.peer, TransportOptions(local_address=args.local))
    await peer.start()
    negotiation = await peer.wait_established(timeout=60.0)
    t_established = time.time()
    ctx = negotiation.send_ctx
    updates = 0
    pack_seconds = send_seconds = 0.0
    for index, (attributes, nlri) in enumerate(groups):
        start = time.perf_counter()
        batch = pack_announcements(attributes, nlri, ctx)
        middle = time.perf_counter()
        peer.send_updates(batch)
        pack_seconds += middle - start
        send_seconds += time.perf_counter() - middle
        updates += len(batch)
        if index % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)
    peer.send_update(end_of_rib(IPV4_UNICAST))
    t_sent = time.time()
    result: dict[str, Any] = {"prefixes": prefixes, "groups": len(groups), "updates": updates,
              "t_established": t_established, "t_sent": t_sent,
              "pack_seconds": pack_seconds, "encode_write_seconds": send_seconds}
    print(json.dumps(result), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent is done polling
    result["state_at_end"] = peer.state.name
    await peer.stop("benchmark done", timeout=2.0)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--netns", required=True)
    parser.add_argument("--local", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--peer-as", type=int, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--hold-time", type=int, default=9)
    args = parser.parse_args(argv)

    async def run() -> dict[str, Any]:
        return await announce(args)

    result = run_in(args.netns, run)
    print(json.dumps({"state_at_end": result["state_at_end"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
