"""Decode an UPDATE stream with ExaBGP's own decoder; the yardstick for bench/decode.py.

Runs under the interpreter of the venv bench/decode.py installs ExaBGP into (.bench/exabgp5),
never under bgpwire's: ExaBGP is no dependency of bgpwire. Prints one JSON object: messages,
prefixes, seconds (the decode loop only; cutting the stream into messages is not timed), the
peak RSS and the ExaBGP version.

The session is what ExaBGP's ``Negotiated`` holds after an OPEN exchange with 4-octet AS
numbers and IPv4 and IPv6 unicast (no ADD-PATH, 4096-octet messages); logging is initialised
from ExaBGP's default environment, as the daemon does it.
Every UPDATE goes through ``Update.unpack_message(body, Direction.IN, negotiated)``, which
builds every NLRI and attribute object; the prefixes it returns are counted.

    .bench/exabgp5/bin/python bench/exabgp_decode.py STREAM
"""

from __future__ import annotations

import json
import resource
import sys
import time
from importlib.metadata import version
from typing import Any

from exabgp.bgp.message.direction import Direction
from exabgp.bgp.message.open.capability.negotiated import Negotiated
from exabgp.bgp.message.update import Update
from exabgp.environment import getenv
from exabgp.logger import log
from exabgp.protocol.family import AFI, SAFI

UPDATE = 2


def session() -> Any:
    neighbor = {"capability": {"aigp": False}}
    negotiated = Negotiated(neighbor)
    negotiated.asn4 = True
    negotiated.families = [(AFI.ipv4, SAFI.unicast), (AFI.ipv6, SAFI.unicast)]
    return negotiated


def bodies(stream: bytes) -> list[bytes]:
    out = []
    start = 0
    while start < len(stream):
        length = int.from_bytes(stream[start + 16:start + 18], "big")
        if stream[start + 18] == UPDATE:
            out.append(stream[start + 19:start + length])
        start += length
    return out


def main() -> int:
    with open(sys.argv[1], "rb") as handle:
        messages = bodies(handle.read())
    log.init(getenv())  # as the daemon does: debug logging stays off, its checks still run
    negotiated = session()
    unpack = Update.unpack_message
    incoming = Direction.IN
    prefixes = 0
    start = time.perf_counter()
    for body in messages:
        update = unpack(body, incoming, negotiated)
        prefixes += len(update.nlris)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "messages": len(messages),
        "prefixes": prefixes,
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "version": version("exabgp"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
