"""A pool's ``spec.addresses`` entries understood as integer bounds and CIDRs.

Validation refuses the entries that do not parse and the ones that overlap; the allocator hands
out addresses from the bounds; the aggregation-length check compares against the CIDRs. One
parser for the three keeps them agreeing on what an entry covers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from bgpwire_announcer.model import AddressPool

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class PoolEntry:
    """One ``spec.addresses`` entry, understood: its family, inclusive integer bounds, and the
    CIDRs it summarises to (a range ``a-b`` becomes the fewest CIDRs covering exactly it)."""

    text: str
    version: int
    first: int
    last: int
    networks: tuple[Network, ...]


def parse_pool_entry(text: str) -> PoolEntry:
    """``10.0.0.0/24`` or ``10.0.0.1-10.0.0.9`` (IPv6 alike); raises ValueError saying why.

    As in MetalLB, a CIDR with host bits set stands for its whole network; a bare address is
    refused (write it as ``/32`` or ``/128``).
    """
    body = text.strip()
    if "-" in body:
        start_text, end_text = (part.strip() for part in body.split("-", 1))
        try:
            start = ipaddress.ip_address(start_text)
            end = ipaddress.ip_address(end_text)
        except ValueError:
            raise ValueError("a range must be two IP addresses joined by '-'") from None
        if start.version != end.version:
            raise ValueError("the two ends of a range must be of the same IP family")
        if int(start) > int(end):
            raise ValueError("the start of a range must not be above its end")
        networks = _summarise(start, end)
        return PoolEntry(text, start.version, int(start), int(end), networks)
    if "/" not in body:
        raise ValueError("expected a CIDR (a single address is written /32 or /128) "
                         "or a range a-b")
    try:
        network = ipaddress.ip_network(body, strict=False)
    except ValueError:
        raise ValueError("not a CIDR such as 10.0.0.0/24 or 2001:db8::/120") from None
    return PoolEntry(text, network.version, int(network.network_address),
                     int(network.broadcast_address), (network,))


def _summarise(start: ipaddress.IPv4Address | ipaddress.IPv6Address,
               end: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[Network, ...]:
    if isinstance(start, ipaddress.IPv4Address) and isinstance(end, ipaddress.IPv4Address):
        return tuple(ipaddress.summarize_address_range(start, end))
    if isinstance(start, ipaddress.IPv6Address) and isinstance(end, ipaddress.IPv6Address):
        return tuple(ipaddress.summarize_address_range(start, end))
    raise ValueError("the two ends of a range must be of the same IP family")


def pool_entries(pool: AddressPool) -> tuple[PoolEntry, ...]:
    """The pool's entries that parse (validation reports the others)."""
    out: list[PoolEntry] = []
    for text in pool.addresses:
        try:
            out.append(parse_pool_entry(text))
        except ValueError:
            continue
    return tuple(out)
