"""Adj-RIB-In operations on a full table: what a session going down costs the event loop.

    .venv/bin/python bench/rib.py                      # 1,000,000 IPv4 prefixes
    .venv/bin/python bench/rib.py --prefixes 100000    # quick

The table is filled through ``AdjRibIn.apply`` with decoded UPDATEs (8 prefixes per attribute
set, as in bench/decode.py's streams); filling is not timed. Each row is timed on its own
fresh table, with the garbage collector left on as in a real process:

| row | what is timed |
|---|---|
| ``clear()`` | dropping every route (a session down without Graceful Restart) |
| ``clear()+read`` | the same, then iterating the withdrawn routes once (an event reader) |
| ``routes()`` | iterating every route of the table |
| ``mark_stale()`` | marking the table stale (a Graceful Restart peer went down) |
| ``sweep_stale()`` | removing the whole stale table (the peer never came back) |
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network

from bgpwire import Negotiated, decode, pack_announcements
from bgpwire.attributes import ASPath, NextHop, Origin
from bgpwire.constants import OriginCode
from bgpwire.messages import Update
from bgpwire.rib import AdjRibIn

PER_SET = 8
CTX = Negotiated(four_octet_as=True)


def filled(count: int) -> AdjRibIn:
    rib = AdjRibIn(1)
    base = 0x0B000000
    for start in range(0, count, PER_SET):
        attributes = (Origin(OriginCode.IGP), ASPath.from_asns([65001, 64512 + start % 1000]),
                      NextHop(IPv4Address("192.0.2.1")))
        prefixes = [IPv4Network((base + (i << 8), 24))
                    for i in range(start, min(start + PER_SET, count))]
        for update in pack_announcements(attributes, prefixes, CTX):
            decoded = decode(update.encode(CTX), CTX)
            assert isinstance(decoded, Update)
            rib.apply(decoded)
    assert len(rib) == count, len(rib)
    return rib


def clear(rib: AdjRibIn) -> int:
    return len(rib.clear().withdrawn)


def clear_and_read(rib: AdjRibIn) -> int:
    return sum(1 for _ in rib.clear().withdrawn)


def routes(rib: AdjRibIn) -> int:
    return sum(1 for _ in rib.routes())


def mark_stale(rib: AdjRibIn) -> int:
    return rib.mark_stale()


def sweep(rib: AdjRibIn) -> int:
    return len(rib.sweep_stale().withdrawn)


ROWS: list[tuple[str, Callable[[AdjRibIn], int]]] = [
    ("clear()", clear), ("clear()+read", clear_and_read), ("routes()", routes),
    ("mark_stale()", mark_stale), ("sweep_stale()", sweep),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefixes", type=int, default=1_000_000)
    parser.add_argument("--only", choices=[name for name, _ in ROWS], action="append",
                        help="run only this row (may be repeated)")
    args = parser.parse_args()
    print(f"{'row':<16}{'prefixes':>10}{'seconds':>10}")
    for name, run in ROWS:
        if args.only and name not in args.only:
            continue
        rib = filled(args.prefixes)
        gc.collect()
        if run is sweep:
            rib.mark_stale()
        started = time.perf_counter()
        count = run(rib)
        seconds = time.perf_counter() - started
        if count != args.prefixes:
            raise SystemExit(f"MISMATCH {name}: {count} routes, expected {args.prefixes}")
        print(f"{name:<16}{count:>10,}{seconds:>10.3f}", flush=True)


if __name__ == "__main__":
    main()
