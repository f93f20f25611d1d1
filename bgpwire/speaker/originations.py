"""The routes a :class:`~bgpwire.speaker.Speaker` originates: to every peer, or to one peer.

A load balancer announces each service address to its own set of peers, with its own
attributes, so a route may be given for one peer only (:meth:`LocalRoutes.set` with a peer
address). For that peer it takes the place of a route of the same family and prefix given for
every peer; the other peers keep getting the shared one. The table of one peer is kept by peer
address, apart from the peer itself, so it outlives the peer's sessions and configuration
changes; only :meth:`LocalRoutes.drop_peer` forgets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from bgpwire.attributes import PathAttribute
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.prefixes import NLRIItem
from bgpwire.rib import NextHopAddress, RouteKey, route_attributes
from bgpwire.rib.route import MESSAGE_ATTRIBUTES, sort_attributes

__all__ = ["LocalRoutes", "Origination", "originations", "route_key"]

_MAX_ATTRIBUTE_SETS = 4096
"""Distinct attribute sets :meth:`LocalRoutes.intern` remembers before it prunes unused ones."""


@dataclass(frozen=True, slots=True)
class Origination:
    """A route this speaker originates, before the export rules of a peer are applied."""

    family: Family
    prefix: NLRIItem
    attributes: tuple[PathAttribute, ...]
    next_hop: NextHopAddress | None

    @property
    def key(self) -> RouteKey:
        return (self.family, self.prefix)


def route_key(prefix: IPv4Network | IPv6Network) -> RouteKey:
    """The family (unicast) and prefix of a prefix we originate; refuses anything else."""
    if isinstance(prefix, IPv4Network):
        return (IPV4_UNICAST, prefix)
    if isinstance(prefix, IPv6Network):
        return (IPV6_UNICAST, prefix)
    raise LocalProtocolError(f"prefix {prefix!r}: is not an IPv4Network or IPv6Network")


def originations(prefixes: Iterable[IPv4Network | IPv6Network],
                 attributes: Sequence[PathAttribute] = (),
                 next_hop: NextHopAddress | None = None) -> Iterator[Origination]:
    """One origination per prefix, sharing ``attributes`` (checked once).

    ORIGIN IGP and an empty AS_PATH are added where ``attributes`` lack them; attributes that
    describe a message (NEXT_HOP, MP_REACH_NLRI, MP_UNREACH_NLRI) are refused: give the next
    hop as ``next_hop``, which must be an IPv4 address only for IPv4 prefixes.
    """
    given = {attribute.type_code for attribute in attributes}
    for attribute in attributes:
        if attribute.type_code in MESSAGE_ATTRIBUTES:
            raise LocalProtocolError(
                f"attributes: type {attribute.type_code} describes a message, not a route; "
                "give the next hop as next_hop")
    defaults = [a for a in route_attributes() if a.type_code not in given]
    full = sort_attributes((*attributes, *defaults))
    if next_hop is not None and not isinstance(next_hop, IPv4Address | IPv6Address):
        raise LocalProtocolError(f"next_hop {next_hop!r}: is not an IP address")
    for prefix in prefixes:
        family, item = route_key(prefix)
        if isinstance(next_hop, IPv4Address) and family != IPV4_UNICAST:
            raise LocalProtocolError(
                f"next_hop {next_hop}: an IPv4 next hop cannot serve the IPv6 prefix {prefix}")
        yield Origination(family, item, full, next_hop)


class LocalRoutes:
    """The originated routes, shared and per peer; see the module docstring.

    Peer addresses must be normalized (:func:`bgpwire.aio.sockopts.normalize_address`).
    """

    def __init__(self) -> None:
        self.shared: dict[RouteKey, Origination] = {}
        """Routes for every peer (without a route of its own for the same key)."""
        self._by_peer: dict[str, dict[RouteKey, Origination]] = {}
        self._attribute_sets: dict[tuple[PathAttribute, ...], tuple[PathAttribute, ...]] = {}

    def intern(self, routes: list[Origination]) -> list[Origination]:
        """``routes`` with equal attribute tuples made one object, so that each peer's export
        can recognise a set of attributes by identity instead of hashing it per route."""
        sets = self._attribute_sets
        if len(sets) > _MAX_ATTRIBUTE_SETS:  # forget the sets no route uses any more
            sets.clear()
            for table in (self.shared, *self._by_peer.values()):
                for route in table.values():
                    sets.setdefault(route.attributes, route.attributes)
        result = []
        last_given: tuple[PathAttribute, ...] | None = None
        last_kept: tuple[PathAttribute, ...] = ()
        for route in routes:
            given = route.attributes
            if given is not last_given:
                last_given, last_kept = given, sets.setdefault(given, given)
            result.append(route if last_kept is given else Origination(
                route.family, route.prefix, last_kept, route.next_hop))
        return result

    def set(self, routes: Iterable[Origination], peer: str | None = None) -> list[RouteKey]:
        """Originate ``routes`` (to ``peer`` only if given); return their keys."""
        table = self.shared if peer is None else self._by_peer.setdefault(peer, {})
        keys = []
        for route in routes:
            key = (route.family, route.prefix)
            table[key] = route
            keys.append(key)
        return keys

    def remove(self, keys: Iterable[RouteKey], peer: str | None = None) -> list[RouteKey]:
        """Stop originating ``keys`` (``peer``'s own routes if given); return those that were
        originated."""
        table = self.shared if peer is None else self._by_peer.get(peer, {})
        removed = [key for key in keys if table.pop(key, None) is not None]
        if peer is not None and not table:
            self._by_peer.pop(peer, None)
        return removed

    def wanted(self, peer: str, key: RouteKey) -> Origination | None:
        """What ``peer`` should be sent for ``key``: its own route, else the shared one."""
        own = self._by_peer.get(peer)
        if own is not None:
            route = own.get(key)
            if route is not None:
                return route
        return self.shared.get(key)

    def has_own(self, peer: str) -> bool:
        """Whether ``peer`` has routes of its own."""
        return peer in self._by_peer

    def for_peer(self, peer: str) -> list[Origination]:
        """Every route ``peer`` should be sent."""
        own = self._by_peer.get(peer)
        if not own:
            return list(self.shared.values())
        return [*own.values(), *(route for key, route in self.shared.items() if key not in own)]

    def own(self, peer: str) -> list[Origination]:
        """The routes given for ``peer`` only."""
        return list(self._by_peer.get(peer, {}).values())

    def drop_peer(self, peer: str) -> list[RouteKey]:
        """Forget the routes of ``peer``; return their keys."""
        return list(self._by_peer.pop(peer, {}))
