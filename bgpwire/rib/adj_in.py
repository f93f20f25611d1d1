"""Adj-RIB-In (RFC 4271 §3.2): the routes one peer has announced to us, as it announced them.

:meth:`AdjRibIn.apply` takes each decoded UPDATE and says what changed, so that the speaker can
emit events and run its decision process on exactly those routes. It applies the parts of the
protocol that decide whether a received route exists at all:

* RFC 7606 outcomes recorded on the UPDATE by the decoder: an UPDATE to be treated as withdraw
  removes every prefix it announces (§2: "the routes ... MUST be handled as though they had been
  withdrawn"); a discarded attribute is simply absent from what remains.
* An AS_PATH holding AS 0 (RFC 7607 §2), or confederation segments from an external peer
  (RFC 5065 §5), is malformed: the UPDATE's routes are treated as withdrawn (RFC 7606 §7.2).
* AS-path loop detection (RFC 4271 §9.1.2): a route whose AS_PATH (or AS4_PATH, RFC 6793) holds
  our own AS is not installed, and a route the peer had announced before under that prefix is
  removed, as the new announcement replaced it.
* A prefix both withdrawn and announced in one UPDATE stays announced (RFC 4271 §4.3).
* A next hop that cannot be forwarded to (unspecified, multicast, the IPv4 broadcast address,
  or one of our own addresses on the session, :attr:`AdjRibIn.local_addresses`) makes the
  route semantically incorrect: it is ignored, and the session stays up (RFC 4271 §5.1.3 and
  §6.3). Such prefixes are reported ``rejected``, like treat-as-withdraw ones.
* The maximum-prefix limit (RFC 4486 §4): the change reports the families over their limit; the
  speaker then ends the session with :func:`max_prefixes_notification`.
* Graceful Restart, receiving side (RFC 4724 §4.2): :meth:`~AdjRibIn.mark_stale` when the session
  goes down, a re-announced route replaces its stale copy, and :meth:`~AdjRibIn.sweep_stale`
  removes what is left when the peer's End-of-RIB arrives or the restart timer expires. The
  speaker owns the timer; this table owns no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import cast

from bgpwire.attributes import AS4Path, ASPath, NextHop, PathAttribute
from bgpwire.constants import ASPathSegmentType, CeaseSubcode
from bgpwire.errors import Cease
from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.messages import Notification, Update
from bgpwire.prefixes import NLRIItem
from bgpwire.rib.compact import (
    StoredPath,
    WithdrawnRoutes,
    prefix_key,
    stored_route,
    table_routes,
    wire_keys,
)
from bgpwire.rib.route import (
    NextHopAddress,
    Route,
    RouteKey,
    decoded_route,
    route_attributes_of,
)

__all__ = [
    "AdjRibIn",
    "RibChange",
    "WithdrawnRoutes",
    "max_prefixes_error",
    "max_prefixes_notification",
]


@dataclass(frozen=True, slots=True)
class RibChange:
    """What one :meth:`AdjRibIn.apply` (or a sweep) changed.

    ``withdrawn`` of a whole table is lazy: dropping a million routes takes the table away in
    one step, and the routes are built only if someone reads them (events are news, and a
    reader that never looks pays nothing; see :class:`WithdrawnRoutes`).
    ``replaced`` pairs the route that was there with the one now in its place (a stale route
    re-announced unchanged shows up here too, as its stale mark went away). ``rejected`` lists
    announced prefixes that were not installed: the UPDATE was treated as withdraw, or the path
    holds our AS. ``over_limit`` names the families that gained routes in this change and now
    hold more than their limit.
    """

    announced: tuple[Route, ...] = ()
    replaced: tuple[tuple[Route, Route], ...] = ()
    withdrawn: Sequence[Route] = ()
    """A tuple, or for :meth:`AdjRibIn.clear` and :meth:`AdjRibIn.sweep_stale` a
    :class:`WithdrawnRoutes` that builds each route when read."""
    rejected: tuple[RouteKey, ...] = ()
    end_of_rib: Family | None = None
    over_limit: tuple[Family, ...] = ()

    def __bool__(self) -> bool:
        """True when the table changed (a rejected prefix that was not there changes nothing)."""
        return bool(self.announced or self.replaced or self.withdrawn)


def max_prefixes_error(family: Family, limit: int) -> Cease:
    """The Cease for a peer over its prefix limit; data is AFI (2), SAFI (1), limit (4).

    RFC 4486 §4 lets the data carry the family and the upper bound, so the peer's operator sees
    which limit was hit.
    """
    data = family.afi.to_bytes(2, "big") + bytes((family.safi,)) + limit.to_bytes(4, "big")
    return Cease(f"more than {limit} prefixes of {family}", data,
                 subcode=CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED)


def max_prefixes_notification(family: Family, limit: int) -> Notification:
    """The NOTIFICATION of :func:`max_prefixes_error`."""
    return Notification.from_error(max_prefixes_error(family, limit))


_CONFED = frozenset({ASPathSegmentType.AS_CONFED_SEQUENCE, ASPathSegmentType.AS_CONFED_SET})


def _malformed_path(route_attributes: Iterable[PathAttribute], external: bool) -> bool:
    """An AS_PATH that later RFCs call malformed, to be treated as withdraw (RFC 7606 §7.2):
    holding AS 0 (RFC 7607 §2), or confederation segments from an external peer (RFC 5065
    §5)."""
    for attribute in route_attributes:
        if type(attribute) is ASPath:
            for segment in attribute.segments:
                if 0 in segment.asns or (external and segment.type in _CONFED):
                    return True
    return False


def _has_loop(route_attributes: Iterable[PathAttribute], local_as: int) -> bool:
    for attribute in route_attributes:
        if isinstance(attribute, ASPath | AS4Path) and any(
            local_as in segment.asns for segment in attribute.segments
        ):
            return True
    return False


_BROADCAST = IPv4Address("255.255.255.255")


class AdjRibIn:
    """The routes received from one peer, by family and prefix.

    ``max_prefixes`` is one limit for every family, or a limit per family (families without an
    entry are unlimited), as routers configure it per AFI/SAFI.

    Each table is a dict from a compact int key per prefix to a tuple shared by the prefixes of
    one UPDATE; :class:`Route` values are built when asked for (equal to the ones announced, not
    the same objects). A full table costs about a fifth of the memory of one ``Route`` and one
    ``ipaddress`` network per prefix, and holds nothing the cyclic GC walks.
    """

    def __init__(
        self, local_as: int, *, max_prefixes: int | Mapping[Family, int] | None = None
    ) -> None:
        self.local_as = local_as
        self.max_prefixes = max_prefixes
        self.external = False
        """Whether the peer is in another AS: confederation segments from it make a malformed
        AS_PATH (bgpwire is in no confederation). The speaker sets it when a session comes up."""
        self.local_addresses: frozenset[NextHopAddress] = frozenset()
        """Our addresses towards the peer: a route with one of them as next hop is ignored.
        The speaker sets it when the session comes up."""
        self._tables: dict[Family, dict[int, StoredPath]] = {}
        self._end_of_rib: set[Family] = set()

    # --- lookup -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())

    def __iter__(self) -> Iterator[Route]:
        return self.routes()

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        table = self._tables.get(key[0])
        return table is not None and prefix_key(key[1]) in table

    def routes(self, family: Family | None = None) -> Iterator[Route]:
        """Every route, or those of ``family``."""
        families = list(self._tables) if family is None else [family]
        for name in families:
            yield from table_routes(name, self._tables.get(name, {}))

    def get(self, family: Family, prefix: NLRIItem) -> Route | None:
        table = self._tables.get(family)
        if table is None:
            return None
        path = table.get(prefix_key(prefix))  # type: ignore[arg-type]
        return None if path is None else stored_route(family, prefix, path)

    def count(self, family: Family) -> int:
        return len(self._tables.get(family, ()))

    def counts(self) -> dict[Family, int]:
        """Routes per family, for the families that have any."""
        return {family: len(table) for family, table in self._tables.items() if table}

    def limit(self, family: Family) -> int | None:
        """The prefix limit of ``family``, if any."""
        limit = self.max_prefixes
        if limit is None or isinstance(limit, int):
            return limit
        return limit.get(family)

    @property
    def end_of_rib_received(self) -> frozenset[Family]:
        """Families whose End-of-RIB marker arrived since they were last cleared or marked
        stale (a new session sends a new one)."""
        return frozenset(self._end_of_rib)

    # --- receiving --------------------------------------------------------------------------

    def apply(self, update: Update) -> RibChange:
        """Apply one received UPDATE; see the module docstring for the rules."""
        family = update.end_of_rib
        if family is not None:
            self._end_of_rib.add(family)
            return RibChange(end_of_rib=family)
        withdrawn: list[Route] = []
        rejected: list[RouteKey] = []
        installed: list[Route] = []
        replaced: list[tuple[Route, Route]] = []
        grown: set[Family] = set()
        withdrawals = update.withdrawals()
        if withdrawals:
            keep = {(name, prefix_key(item)) for name, item in update.announced()}
            for name, item in withdrawals:
                if (name, prefix_key(item)) not in keep:
                    self._remove(name, item, withdrawn)
        reach = update.mp_reach
        if update.nlri or (reach is not None and reach.nlri):
            attributes = route_attributes_of(update.attributes)
            if (update.treat_as_withdraw or _has_loop(attributes, self.local_as)
                    or _malformed_path(attributes, self.external)):
                rejected = update.announced()
            else:
                rejected = self._install(update, attributes, installed, replaced, grown)
            for name, item in rejected:
                self._remove(name, item, withdrawn)
        return RibChange(
            announced=tuple(installed),
            replaced=tuple(replaced),
            withdrawn=tuple(withdrawn),
            rejected=tuple(rejected),
            over_limit=tuple(f for f in sorted(grown) if self._over_limit(f)),
        )

    def _install(
        self, update: Update, attributes: tuple[PathAttribute, ...],
        installed: list[Route], replaced: list[tuple[Route, Route]], grown: set[Family],
    ) -> list[RouteKey]:
        """Install the announced prefixes; return those without a usable next hop."""
        rejected: list[RouteKey] = []
        if update.nlri:
            next_hop = update.attr(NextHop)
            # RFC 7606 §3.d: no NEXT_HOP; only a hand-built UPDATE gets this far
            if next_hop is None or not self._usable(next_hop.address):
                rejected.extend((IPV4_UNICAST, prefix) for prefix in update.nlri)
            else:
                self._put(IPV4_UNICAST, update.nlri, attributes, (next_hop.address,),
                          installed=installed, replaced=replaced, grown=grown)
        reach = update.mp_reach
        if reach is not None and reach.nlri:
            if reach.next_hops and self._usable(reach.next_hops[0]):
                self._put(reach.family, reach.nlri, attributes, reach.next_hops,
                          installed=installed, replaced=replaced, grown=grown)
            else:
                rejected.extend((reach.family, prefix) for prefix in reach.nlri)
        return rejected

    def _usable(self, next_hop: NextHopAddress) -> bool:
        """Whether ``next_hop`` can be forwarded to (see the module docstring)."""
        return not (next_hop.is_unspecified or next_hop.is_multicast
                    or next_hop == _BROADCAST or next_hop in self.local_addresses)

    def _put(
        self, family: Family, prefixes: Sequence[NLRIItem],
        attributes: tuple[PathAttribute, ...], next_hops: tuple[NextHopAddress, ...],
        *, installed: list[Route], replaced: list[tuple[Route, Route]], grown: set[Family],
    ) -> None:
        next_hop = next_hops[0]
        # MPReachNLRI only ever holds a second next hop as an IPv6 link-local one (RFC 2545 §3).
        link_local = cast(IPv6Address, next_hops[1]) if len(next_hops) > 1 else None
        path: StoredPath = (attributes, next_hop, link_local, False)
        table = self._tables.setdefault(family, {})
        keys = wire_keys(prefixes, family.afi)
        items = prefixes if keys is None else zip(keys, prefixes, strict=True)
        before = len(table)
        get = table.get
        append = installed.append
        for entry in items:
            if keys is None:
                prefix = cast(NLRIItem, entry)
                key = prefix_key(prefix)
                if key is None:
                    raise TypeError(f"{prefix!r} is not a prefix")
            else:
                key, prefix = cast(tuple[int, NLRIItem], entry)
            old = get(key)
            table[key] = path
            if old is None:
                append(decoded_route(family, prefix, attributes, next_hop, link_local))
            elif old != path:
                replaced.append((stored_route(family, prefix, old),
                                 decoded_route(family, prefix, attributes, next_hop, link_local)))
        if len(table) > before:
            grown.add(family)

    def _remove(self, family: Family, item: NLRIItem, removed: list[Route]) -> None:
        table = self._tables.get(family)
        if table is not None:
            path = table.pop(prefix_key(item), None)  # type: ignore[arg-type]
            if path is not None:
                removed.append(stored_route(family, item, path))

    def _over_limit(self, family: Family) -> bool:
        limit = self.limit(family)
        return limit is not None and self.count(family) > limit

    # --- Graceful Restart (RFC 4724 §4.2) and session end ------------------------------------

    def mark_stale(self, families: Iterable[Family] | None = None) -> int:
        """Mark the routes of ``families`` (default: all) stale; return how many were marked.

        Called when the session goes down with Graceful Restart negotiated, for the families the
        peer listed in its capability: those routes keep forwarding until replaced or swept.
        """
        count = 0
        stale: dict[int, StoredPath] = {}  # one stale tuple per shared tuple
        for family in self._families(families):
            table = self._tables[family]
            for key, path in table.items():
                if not path[3]:
                    copy = stale.get(id(path))
                    if copy is None:
                        copy = stale[id(path)] = (path[0], path[1], path[2], True)
                    table[key] = copy
                    count += 1
        self._end_of_rib.difference_update(self._tables if families is None else families)
        return count

    def sweep_stale(self, family: Family | None = None) -> RibChange:
        """Remove the routes still stale in ``family`` (default: all); RFC 4724 §4.2.

        Call it on the peer's End-of-RIB for the family, or when the restart timer (or the
        selection deferral timer) expires.
        """
        parts: list[tuple[Family, Mapping[int, StoredPath]]] = []
        for name in self._families(None if family is None else (family,)):
            table = self._tables[name]
            kept = {key: path for key, path in table.items() if not path[3]}
            if len(kept) == len(table):
                continue
            if kept:
                parts.append((name, {key: path for key, path in table.items() if path[3]}))
                self._tables[name] = kept
            else:  # all stale: the table itself goes
                parts.append((name, self._tables.pop(name)))
        return RibChange(withdrawn=WithdrawnRoutes(parts))

    def clear(self, families: Iterable[Family] | None = None) -> RibChange:
        """Drop every route of ``families`` (default: all): the session ended without Graceful
        Restart, or for families the peer did not preserve (RFC 4271 §8.2.2, RFC 4724 §4.2)."""
        if families is None:
            self._end_of_rib.clear()
        else:
            families = list(families)
            self._end_of_rib.difference_update(families)
        parts = [(family, self._tables.pop(family)) for family in self._families(families)]
        return RibChange(withdrawn=WithdrawnRoutes(parts))

    def _families(self, families: Iterable[Family] | None) -> list[Family]:
        if families is None:
            return list(self._tables)
        return [family for family in families if family in self._tables]
