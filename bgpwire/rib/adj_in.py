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

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from itertools import repeat
from operator import is_not
from typing import cast

from bgpwire.attributes import AS4Path, ASPath, NextHop, PathAttribute
from bgpwire.constants import AFI, ASPathSegmentType, CeaseSubcode
from bgpwire.errors import Cease
from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.messages import Notification, Update
from bgpwire.messages.update import received_field, recognised_path
from bgpwire.messages.update_run import classic_table_run
from bgpwire.prefixes import NLRIItem, PrefixList, prefix_afi
from bgpwire.rib.compact import (
    NO_ROUTES,
    LazyRoutes,
    block_keys,
    key_prefix,
    prefix_key,
    run_paths,
    stored_route,
    table_routes,
    wire_keys,
)
from bgpwire.rib.route import NextHopAddress, Route, RouteKey, route_attributes_of
from bgpwire.rib.stored import (
    StoredPath,
    is_stale,
    path_header,
    received_path,
    same_path,
    stale_path,
    stored_path,
)
from bgpwire.slots import slot_setters

__all__ = [
    "AdjRibIn",
    "LazyRoutes",
    "RibChange",
    "max_prefixes_error",
    "max_prefixes_notification",
]


@dataclass(frozen=True, slots=True)
class RibChange:
    """What one :meth:`AdjRibIn.apply` changed, or several UPDATEs applied together by
    :meth:`AdjRibIn.apply_all` (see :attr:`updates`), or a sweep.

    ``announced`` and ``withdrawn`` are :class:`LazyRoutes`: a full table arrives as a million
    announced routes and may leave as a million withdrawn ones, and a reader that never looks
    at them pays nothing per route (see :class:`LazyRoutes`).
    ``replaced`` pairs the route that was there with the one now in its place (a stale route
    re-announced unchanged shows up here too, as its stale mark went away). ``rejected`` lists
    announced prefixes that were not installed: the UPDATE was treated as withdraw, or the path
    holds our AS. ``over_limit`` names the families that gained routes in this change and now
    hold more than their limit. ``updates`` is how many received UPDATEs this is the outcome of:
    one from :meth:`AdjRibIn.apply`; from :meth:`AdjRibIn.apply_all`, more than one where it
    installed several together (they only brought routes new to the table, all in
    ``announced``, in the order received); none for a sweep or a clear.
    """

    announced: Sequence[Route] = NO_ROUTES
    replaced: tuple[tuple[Route, Route], ...] = ()
    withdrawn: Sequence[Route] = NO_ROUTES
    rejected: tuple[RouteKey, ...] = ()
    end_of_rib: Family | None = None
    over_limit: tuple[Family, ...] = ()
    updates: int = 1

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
_MAX_RUN = 512
"""The most UPDATEs :meth:`AdjRibIn.apply_all` installs in one pass."""


class _Gains:
    """What one :meth:`AdjRibIn.apply` puts into the table, gathered for its :class:`RibChange`."""

    __slots__ = ("grown", "installed", "replaced")

    def __init__(self) -> None:
        self.installed: list[tuple[Family, list[bytes], StoredPath]] = []
        self.replaced: list[tuple[Route, Route]] = []
        self.grown: set[Family] = set()


class AdjRibIn:
    """The routes received from one peer, by family and prefix.

    ``max_prefixes`` is one limit for every family, or a limit per family (families without an
    entry are unlimited), as routers configure it per AFI/SAFI.

    Each table is a dict from the NLRI entry of a prefix to a path shared by the prefixes of
    one UPDATE (see :mod:`bgpwire.rib.compact` and :mod:`bgpwire.rib.stored`), both bytes;
    :class:`Route` values are built when asked for (equal to the ones announced, not the same
    objects). A full table costs a fraction of the memory of one ``Route`` and one
    ``ipaddress`` network per prefix, and the cyclic GC never walks it.
    """

    def __init__(
        self, local_as: int, *, max_prefixes: int | Mapping[Family, int] | None = None
    ) -> None:
        self._needles: dict[int, tuple[bytes, bytes]] = {}
        self.local_as = local_as
        self.max_prefixes = max_prefixes
        self.external = False
        """Whether the peer is in another AS: confederation segments from it make a malformed
        AS_PATH (bgpwire is in no confederation). The speaker sets it when a session comes up."""
        self._local_addresses: frozenset[NextHopAddress] = frozenset()
        self._headers: dict[int, dict[bytes, bytes]] = {2: {}, 4: {}}
        """Per AS number width, the path header (:func:`~bgpwire.rib.stored.path_header`) of
        each NEXT_HOP value seen, or ``b""`` when it cannot be forwarded to: a table has few
        next hops, and each UPDATE would build and check its own."""
        self._usable_hops: dict[NextHopAddress, bool] = {}
        self._tables: dict[Family, dict[bytes, StoredPath]] = {}
        self._end_of_rib: set[Family] = set()

    @property
    def local_addresses(self) -> frozenset[NextHopAddress]:
        """Our addresses towards the peer: a route with one of them as next hop is ignored.
        The speaker sets it when the session comes up."""
        return self._local_addresses

    @local_addresses.setter
    def local_addresses(self, addresses: Iterable[NextHopAddress]) -> None:
        self._local_addresses = frozenset(addresses)
        for headers in self._headers.values():
            headers.clear()
        self._usable_hops.clear()

    # --- lookup -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())

    def __iter__(self) -> Iterator[Route]:
        return self.routes()

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2 or not isinstance(key[0], Family):
            return False
        return self._find(key[0], key[1]) is not None

    def routes(self, family: Family | None = None) -> Iterator[Route]:
        """Every route, or those of ``family``."""
        families = list(self._tables) if family is None else [family]
        for name in families:
            yield from table_routes(name, list(self._tables.get(name, {}).items()))

    def get(self, family: Family, prefix: NLRIItem) -> Route | None:
        path = self._find(family, prefix)
        return None if path is None else stored_route(family, prefix, path)

    def _find(self, family: Family, prefix: object) -> StoredPath | None:
        table = self._tables.get(family)
        key = prefix_key(prefix)
        # A key is the prefix's NLRI entry, which does not say its family: 0.0.0.0/0 is no ::/0.
        if table is None or key is None or prefix_afi(cast(NLRIItem, prefix)) != family.afi:
            return None
        return table.get(key)

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
        change = self._apply_recognised(update)
        if change is not None:
            return change
        removed: dict[Family, dict[bytes, StoredPath]] = {}
        withdrawals = _prefix_fields(update, announced=False)
        if withdrawals:
            announced = _prefix_fields(update, announced=True)
            keep = {(name, key) for name, block in announced
                    for key in block_keys(block, name.afi)}
            for name, block in withdrawals:
                for key in block_keys(block, name.afi):
                    if (name, key) not in keep:
                        self._take(name, key, removed)
        gains = _Gains()
        rejected: list[RouteKey] = []
        reach = update.mp_reach
        if update.nlri or (reach is not None and reach.nlri):
            received = received_field(update)  # before the attributes are built
            attributes = route_attributes_of(update.attributes)
            if (update.treat_as_withdraw or _has_loop(attributes, self.local_as)
                    or _malformed_path(attributes, self.external)):
                rejected = update.announced()
            else:
                rejected = self._install(update, attributes, received, gains)
            for name, item in rejected:
                self._take(name, prefix_key(item), removed)  # type: ignore[arg-type]
        return RibChange(
            announced=LazyRoutes(gains.installed) if gains.installed else NO_ROUTES,
            replaced=tuple(gains.replaced),
            withdrawn=LazyRoutes(removed.items()),
            rejected=tuple(rejected),
            over_limit=self._over(gains.grown),
        )

    def apply_all(self, updates: Sequence[Update]) -> list[RibChange]:
        """Apply received UPDATEs in order: the same table as ``[self.apply(update) for update
        in updates]``, and the same changes, except in two ways:

        * UPDATEs installed together (below) come as one change whose :attr:`RibChange.updates`
          says how many they were: all they did was add routes new to the table, which are its
          ``announced``, in the order received. Every other UPDATE has a change of its own,
          as :meth:`apply` gives it.
        * It stops after the first change that puts a family over its prefix limit
          (``over_limit``): RFC 4486 ends the session there, so the UPDATEs after it are not
          applied. Add up :attr:`RibChange.updates` to know how many were.

        Faster while a table is loaded: a run of UPDATEs a table is made of (see
        :meth:`_recognised`) that announce prefixes of one family new to the table, and that
        keep it within its limit, has its keys cut out of the NLRI fields joined by one regex
        call and installed by one dict pass, and makes one change. A run in which any prefix
        was there already (or comes twice), or that would pass the limit, is undone and
        applied one UPDATE at a time, and so is the rest of the call: a table announced again
        would fail every run.
        """
        changes: list[RibChange] = []
        batching = True
        start = 0
        while start < len(updates):
            if batching:
                family, fields, counts, paths = self._run(updates, start)
                if len(counts) > 1:
                    if self._install_run(family, fields, counts, paths, changes):
                        start += len(counts)
                        continue
                    batching = False
            change = self.apply(updates[start])
            changes.append(change)
            if change.over_limit:
                break
            start += 1
        return changes

    def _run(self, updates: Sequence[Update], start: int
             ) -> tuple[Family, list[bytes], list[int], list[StoredPath]]:
        """The UPDATEs from ``start`` on that :meth:`apply_all` can install together: those a
        table is made of, of the first one's family, with prefixes as received. Their family,
        and for each its NLRI field, prefix count and path (none when ``updates[start]`` is not
        one of them).

        Classic IPv4 UPDATEs are read by :func:`~bgpwire.messages.update_run.classic_table_run`
        in one call for as many as it takes; it stops at the others, and at a next hop not
        seen yet, which :meth:`_recognised` looks at one UPDATE at a time.
        """
        fields: list[bytes] = []
        counts: list[int] = []
        paths: list[StoredPath] = []
        family = IPV4_UNICAST
        stop = min(len(updates), start + _MAX_RUN)
        index = start
        while index < stop:
            if family is IPV4_UNICAST:
                index = classic_table_run(updates, index, stop, needles=self._needles,
                                          headers=self._headers, into=(fields, counts, paths))
                if index == stop:
                    break
            recognised = self._recognised(updates[index])
            if recognised is None:
                break
            name, block, path = recognised
            if not counts:
                family = name
            if name != family or type(block) is not PrefixList:
                break
            data = block.wire_bytes(family.afi, False)
            if data is None:
                break
            fields.append(data)
            counts.append(len(block))
            paths.append(path)
            index += 1
        return family, fields, counts, paths

    def _install_run(self, family: Family, fields: list[bytes], counts: list[int],
                     paths: list[StoredPath], changes: list[RibChange]) -> bool:
        """Install a run of :meth:`_run` if every prefix in it is new to the table, and add its
        change; otherwise leave the table as it was and return ``False``."""
        keys = wire_keys(b"".join(fields), family.afi, False)
        if keys is None or len(keys) != sum(counts):
            return False  # bits set past a length: keyed one UPDATE at a time
        table = self._tables.get(family)
        if table is None:
            table = self._tables[family] = {}
        before = len(table)
        limit = self.limit(family)
        if limit is not None and before + len(keys) > limit:
            return False  # may pass the limit: one at a time, to stop where it does
        # Every key with its UPDATE's path, consumed as made: a million-entry list would cost
        # more than the pass itself saves. (setdefault through map is faster here than
        # dict.update of pairs, or than asking keys().isdisjoint first.)
        deque(map(table.setdefault, keys, run_paths(paths, counts)), 0)
        if len(table) - before != len(keys):
            # Undo what this pass put in: a key holding its own UPDATE's path (each UPDATE's
            # path is a new object, so no key held it before). A key listed twice is taken
            # out at its first listing.
            get, pop = table.get, table.pop
            for key, path in zip(keys, run_paths(paths, counts), strict=True):
                if get(key) is path:
                    pop(key)
            return False
        changes.append(_change(LazyRoutes.runs(family, keys, paths, counts), (), (), len(counts)))
        return True

    def _apply_recognised(self, update: Update) -> RibChange | None:
        """:meth:`apply` for the UPDATEs a table is made of (see :meth:`_recognised`), or
        ``None`` to take the general way. Prefixes that were there already take the slower
        branch of :meth:`_put`."""
        recognised = self._recognised(update)
        if recognised is None:
            return None
        family, block, path = recognised
        replaced: list[tuple[Route, Route]] = []
        new, grew = self._put(family, block_keys(block, family.afi), path, replaced)
        over = self._over({family}) if grew else ()
        announced = LazyRoutes.shared(family, new, path) if new else NO_ROUTES
        return _change(announced, tuple(replaced), over, 1)

    def _recognised(self, update: Update) -> tuple[Family, Sequence[NLRIItem], StoredPath] | None:
        """The family, prefixes and stored path of an UPDATE a table is made of, or ``None``
        when it needs the general way.

        Such an UPDATE announces prefixes of one family and withdraws none, and its attribute
        list was recognised by the decoder (:func:`~bgpwire.messages.update.recognised_path`),
        so its AS numbers and next hop can be checked on their bytes, and its routes keep the
        attributes field as received instead of attributes built now. Whatever needs a closer
        look (our AS or AS 0 possibly in the path, a next hop not to be used) goes the general
        way. A full table is a hundred thousand UPDATEs or more, so this is written for speed.
        """
        recognised = recognised_path(update)  # None for an UPDATE with problems or withdrawals
        if recognised is None or update.withdrawn:  # in MP_UNREACH_NLRI: see recognised_path
            return None
        as_numbers, width, next_hop, block_field, _ = recognised
        own, zero = self._needles[width]
        # find, not ``in``: for a bytes needle ``in`` first tries it as an integer and builds
        # the TypeError it then drops, which costs more than the search.
        if as_numbers.find(zero) >= 0 or (own and as_numbers.find(own) >= 0):
            return None
        if next_hop:
            headers = self._headers[width]
            header = headers.get(next_hop)
            if header is None:
                usable = self._usable(IPv4Address(next_hop))
                header = headers[next_hop] = path_header(width, next_hop) if usable else b""
            if not header:
                return None
            return IPV4_UNICAST, update.nlri, header + block_field
        reach = update.mp_reach
        if reach is None or not reach.nlri or update.nlri or not reach.next_hops:
            return None
        hops = reach.next_hops
        if not self._usable(hops[0]):
            return None
        link_local = cast(IPv6Address, hops[1]) if len(hops) > 1 else None
        return reach.family, reach.nlri, received_path(block_field, width, hops[0], link_local)

    @property
    def local_as(self) -> int:
        """Our AS number: a path holding it is a loop."""
        return self._local_as

    @local_as.setter
    def local_as(self, asn: int) -> None:
        self._local_as = asn
        # Per AS-number width: our AS and AS 0 as they appear in an AS_PATH (our AS b"" when
        # it does not fit), for the byte test of _recognised.
        self._needles = {
            width: (asn.to_bytes(width, "big") if asn < 1 << (8 * width) else b"", bytes(width))
            for width in (2, 4)}

    def _install(
        self, update: Update, attributes: tuple[PathAttribute, ...],
        received: tuple[bytes, int] | None, gains: _Gains,
    ) -> list[RouteKey]:
        """Install the announced prefixes; return those without a usable next hop.
        ``received`` is the attributes field they came in, if it is to be kept as it is."""
        rejected: list[RouteKey] = []
        if update.nlri:
            next_hop = update.attr(NextHop)
            # RFC 7606 §3.d: no NEXT_HOP; only a hand-built UPDATE gets this far
            if next_hop is None or not self._usable(next_hop.address):
                rejected.extend((IPV4_UNICAST, prefix) for prefix in update.nlri)
            else:
                path = stored_path(attributes, received, next_hop.address, None)
                self._put_gains(IPV4_UNICAST, block_keys(update.nlri, AFI.IPV4), path, gains)
        reach = update.mp_reach
        if reach is not None and reach.nlri:
            hops = reach.next_hops
            if hops and self._usable(hops[0]):
                # MP_REACH_NLRI only ever holds a second next hop as an IPv6 link-local one
                # (RFC 2545 §3).
                link_local = cast(IPv6Address, hops[1]) if len(hops) > 1 else None
                path = stored_path(attributes, received, hops[0], link_local)
                self._put_gains(reach.family, block_keys(reach.nlri, reach.family.afi), path,
                                gains)
            else:
                rejected.extend((reach.family, prefix) for prefix in reach.nlri)
        return rejected

    def _usable(self, next_hop: NextHopAddress) -> bool:
        """Whether ``next_hop`` can be forwarded to (see the module docstring)."""
        usable = self._usable_hops.get(next_hop)
        if usable is None:
            usable = self._usable_hops[next_hop] = not (
                next_hop.is_unspecified or next_hop.is_multicast
                or next_hop == _BROADCAST or next_hop in self._local_addresses)
        return usable

    def _put(self, family: Family, keys: list[bytes], path: StoredPath,
             replaced: list[tuple[Route, Route]]) -> tuple[list[bytes], bool]:
        """Install ``keys`` with ``path``; return the keys that are new and whether the table
        grew, and add the routes that changed to ``replaced``. One pass in C finds out whether
        any prefix was there: the table of a first full load takes each in one dict operation."""
        table = self._tables.get(family)
        if table is None:
            table = self._tables[family] = {}
        before = len(table)
        olds = list(map(table.setdefault, keys, repeat(path)))
        if any(map(is_not, olds, repeat(path))):
            keys = _replace(family, table, zip(keys, olds, strict=True), path, replaced)
        elif len(table) - before != len(keys):  # the same prefix twice in the UPDATE
            keys = list(dict.fromkeys(keys))
        return keys, len(table) > before

    def _put_gains(self, family: Family, keys: list[bytes], path: StoredPath,
                   gains: _Gains) -> None:
        new, grew = self._put(family, keys, path, gains.replaced)
        if new:
            gains.installed.append((family, new, path))
        if grew:
            gains.grown.add(family)

    def _take(self, family: Family, key: bytes, removed: dict[Family, dict[bytes, StoredPath]],
              ) -> None:
        table = self._tables.get(family)
        if table is not None:
            path = table.pop(key, None)
            if path is not None:
                removed.setdefault(family, {})[key] = path

    def _over(self, grown: set[Family]) -> tuple[Family, ...]:
        if self.max_prefixes is None or not grown:
            return ()
        return tuple(family for family in sorted(grown) if self._over_limit(family))

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
                if not is_stale(path):
                    copy = stale.get(id(path))
                    if copy is None:
                        copy = stale[id(path)] = stale_path(path)
                    table[key] = copy
                    count += 1
        self._end_of_rib.difference_update(self._tables if families is None else families)
        return count

    def sweep_stale(self, family: Family | None = None) -> RibChange:
        """Remove the routes still stale in ``family`` (default: all); RFC 4724 §4.2.

        Call it on the peer's End-of-RIB for the family, or when the restart timer (or the
        selection deferral timer) expires.
        """
        parts: list[tuple[Family, dict[bytes, StoredPath]]] = []
        for name in self._families(None if family is None else (family,)):
            table = self._tables[name]
            kept = {key: path for key, path in table.items() if not is_stale(path)}
            if len(kept) == len(table):
                continue
            if kept:
                parts.append((name, {key: path for key, path in table.items() if is_stale(path)}))
                self._tables[name] = kept
            else:  # all stale: the table itself goes
                parts.append((name, self._tables.pop(name)))
        return RibChange(withdrawn=LazyRoutes(parts), updates=0)

    def clear(self, families: Iterable[Family] | None = None) -> RibChange:
        """Drop every route of ``families`` (default: all): the session ended without Graceful
        Restart, or for families the peer did not preserve (RFC 4271 §8.2.2, RFC 4724 §4.2)."""
        if families is None:
            self._end_of_rib.clear()
        else:
            families = list(families)
            self._end_of_rib.difference_update(families)
        parts = [(family, self._tables.pop(family)) for family in self._families(families)]
        return RibChange(withdrawn=LazyRoutes(parts), updates=0)

    def _families(self, families: Iterable[Family] | None) -> list[Family]:
        if families is None:
            return list(self._tables)
        return [family for family in families if family in self._tables]


_new = object.__new__
(_set_announced, _set_replaced, _set_withdrawn, _set_rejected, _set_end_of_rib,
 _set_over_limit, _set_updates) = slot_setters(
    RibChange, "announced", "replaced", "withdrawn", "rejected", "end_of_rib", "over_limit",
    "updates").values()


def _change(
    announced: Sequence[Route], replaced: tuple[tuple[Route, Route], ...],
    over_limit: tuple[Family, ...], updates: int,
) -> RibChange:
    """The :class:`RibChange` of UPDATEs that only announced, made without the dataclass
    constructor (a table is made of such UPDATEs)."""
    change = _new(RibChange)
    _set_announced(change, announced)
    _set_replaced(change, replaced)
    _set_withdrawn(change, NO_ROUTES)
    _set_rejected(change, ())
    _set_end_of_rib(change, None)
    _set_over_limit(change, over_limit)
    _set_updates(change, updates)
    return change


def _replace(
    family: Family, table: dict[bytes, StoredPath], entries: Iterable[tuple[bytes, StoredPath]],
    path: StoredPath, replaced: list[tuple[Route, Route]],
) -> list[bytes]:
    """:meth:`AdjRibIn._put` where some prefixes were there already: ``entries`` pairs each key
    with what the table held (``path`` itself where it was new). Put ``path`` in place of the
    others, report those that changed, and return the keys that are new."""
    new: list[bytes] = []
    seen: set[bytes] = set()
    for key, old in entries:
        if key in seen:
            continue
        seen.add(key)
        if old is path:
            new.append(key)
            continue
        table[key] = path
        if not same_path(old, path):
            prefix = key_prefix(key, family.afi)
            replaced.append((stored_route(family, prefix, old), stored_route(family, prefix, path)))
    return new


def _prefix_fields(update: Update, announced: bool) -> list[tuple[Family, Sequence[NLRIItem]]]:
    """The non-empty prefix fields ``update`` announces (or withdraws), with their families:
    the classic field first, then the one in MP_REACH_NLRI (or MP_UNREACH_NLRI)."""
    fields = [(IPV4_UNICAST, update.nlri if announced else update.withdrawn)]
    reach, unreach = update.mp_reach, update.mp_unreach
    if announced and reach is not None:
        fields.append((reach.family, reach.nlri))
    if not announced and unreach is not None:
        fields.append((unreach.family, unreach.withdrawn))
    return [(family, field) for family, field in fields if field]
