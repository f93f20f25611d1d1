"""Adj-RIB-Out (RFC 4271 §3.2): the routes we advertise to one peer, and the UPDATEs to send.

The table keeps what the peer has been told, and the changes not sent yet. :meth:`~AdjRibOut.
announce` and :meth:`~AdjRibOut.withdraw` only record a change when it differs from what the
peer will otherwise believe: re-announcing an unchanged route sends nothing, a withdrawal of a
route never sent sends nothing, and a route announced then withdrawn before the next
:meth:`~AdjRibOut.updates` costs no message. RFC 4271 §9.2 asks for no more than that: a changed
route is re-announced (an implicit withdrawal of the old one), a vanished one withdrawn.

:meth:`~AdjRibOut.updates` packs the pending changes into as few UPDATEs as fit the session's
message size (4096 octets, or 65535 with RFC 8654): routes sharing attributes and next hop share
messages. The next hop goes where RFC 4760 puts it: the NEXT_HOP attribute for IPv4 unicast in
the classic NLRI field (unless asked to use MP_REACH_NLRI), MP_REACH_NLRI for every other family
and for IPv4 routes over an IPv6 next hop (RFC 8950).

Next-hop rewriting (next-hop-self) is not an option of :meth:`~AdjRibOut.updates` but a rule
applied before :meth:`~AdjRibOut.announce` (:mod:`bgpwire.rib.export`), so that the difference
is computed on exactly what goes on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address

from bgpwire.attributes import MPReachNLRI, MPUnreachNLRI, NextHop, PathAttribute
from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.messages import Update, pack_announcements, pack_withdrawals
from bgpwire.prefixes import NLRIItem
from bgpwire.rib.route import NextHopAddress, Route, RouteKey, sort_attributes

__all__ = ["AdjRibOut", "end_of_rib", "message_attributes"]


def end_of_rib(family: Family) -> Update:
    """The End-of-RIB marker of ``family`` (RFC 4724 §2).

    An UPDATE with no routes and no attributes for IPv4 unicast; one holding only an empty
    MP_UNREACH_NLRI for every other family.
    """
    if family == IPV4_UNICAST:
        return Update()
    return Update(attributes=(MPUnreachNLRI.end_of_rib(family),))


def message_attributes(
    family: Family, attributes: tuple[PathAttribute, ...], next_hops: tuple[NextHopAddress, ...],
    *, ipv4_multiprotocol: bool = False,
) -> tuple[PathAttribute, ...]:
    """The attributes of an UPDATE announcing routes of ``family`` with this next hop.

    For :func:`~bgpwire.messages.pack_announcements`: a NEXT_HOP for classic IPv4 unicast, else
    an MP_REACH_NLRI template without prefixes; in type code order (RFC 4271 §5).
    """
    first = next_hops[0]
    hop: PathAttribute
    if family == IPV4_UNICAST and not ipv4_multiprotocol and isinstance(first, IPv4Address):
        hop = NextHop(first)  # an IPv4 next hop comes alone (Route checks it)
    else:
        hop = MPReachNLRI(family, next_hops, ())
    return sort_attributes((*attributes, hop))


class AdjRibOut:
    """What has been, and is to be, advertised to one peer, keyed by family and prefix."""

    def __init__(self) -> None:
        self._sent: dict[RouteKey, Route] = {}
        self._pending: dict[RouteKey, Route | None] = {}
        """Changes not sent yet, in the order they were made: the route, or None to withdraw."""

    # --- what the peer has been told ---------------------------------------------------------

    def __len__(self) -> int:
        return len(self._sent)

    def __iter__(self) -> Iterator[Route]:
        return self.routes()

    def routes(self, family: Family | None = None) -> Iterator[Route]:
        """The routes sent, or those of ``family``."""
        for route in self._sent.values():
            if family is None or route.family == family:
                yield route

    def get(self, family: Family, prefix: NLRIItem) -> Route | None:
        """The route sent for ``prefix``, if any."""
        return self._sent.get((family, prefix))

    @property
    def pending(self) -> int:
        """How many prefixes the next :meth:`updates` will announce or withdraw."""
        return len(self._pending)

    # --- changing it -------------------------------------------------------------------------

    def announce(self, routes: Iterable[Route]) -> int:
        """Advertise ``routes``; return how many change what the peer will be told.

        The stale mark is a receiving-side notion (RFC 4724) and is not part of what is sent.
        """
        changed = 0
        pending = self._pending
        for given in routes:
            route = given.fresh()
            key = route.key
            if self._sent.get(key) == route:
                if key in pending:  # back to what the peer already has: drop the change
                    del pending[key]
                    changed += 1
            elif pending.get(key) != route:
                pending[key] = route
                changed += 1
        return changed

    def withdraw(self, keys: Iterable[RouteKey | Route]) -> int:
        """Stop advertising these routes (given as routes or keys); return how many change."""
        changed = 0
        pending = self._pending
        for item in keys:
            key = item.key if isinstance(item, Route) else item
            if key in self._sent:
                if key not in pending or pending[key] is not None:
                    pending[key] = None
                    changed += 1
            elif key in pending:  # announced but never sent: nothing to tell the peer
                del pending[key]
                changed += 1
        return changed

    def forget_sent(self) -> None:
        """The peer no longer holds our routes (the session ended): send them all again.

        Everything sent, with the pending changes applied, becomes pending announcements, so the
        next :meth:`updates` on the new session advertises the whole table.
        """
        wanted = dict(self._sent)
        for key, route in self._pending.items():
            if route is None:
                wanted.pop(key, None)
            else:
                wanted[key] = route
        self._sent = {}
        self._pending = dict(wanted)

    def clear(self) -> None:
        """Forget everything, sent or pending, without withdrawing anything."""
        self._sent.clear()
        self._pending.clear()

    # --- messages ----------------------------------------------------------------------------

    def updates(self, ctx: Negotiated, *, ipv4_multiprotocol: bool = False) -> list[Update]:
        """The UPDATEs that bring the peer up to date, withdrawals first; marks them sent.

        ``ipv4_multiprotocol`` sends IPv4 unicast in MP_REACH_NLRI / MP_UNREACH_NLRI rather than
        the classic fields (RFC 4760 allows either).
        """
        withdrawn, announced = self._flush()
        return _pack(withdrawn, announced, ctx, ipv4_multiprotocol)

    def all_updates(self, ctx: Negotiated, *, ipv4_multiprotocol: bool = False) -> list[Update]:
        """Every route again, after the pending withdrawals: the answer to a ROUTE-REFRESH
        (RFC 2918 §4), which asks for the whole Adj-RIB-Out of the family."""
        withdrawn, _ = self._flush()
        return _pack(withdrawn, list(self._sent.values()), ctx, ipv4_multiprotocol)

    end_of_rib = staticmethod(end_of_rib)

    def _flush(self) -> tuple[list[RouteKey], list[Route]]:
        """Apply the pending changes to what is sent; return what was withdrawn and announced."""
        withdrawn: list[RouteKey] = []
        announced: list[Route] = []
        sent = self._sent
        for key, route in self._pending.items():
            if route is None:
                del sent[key]
                withdrawn.append(key)
            else:
                sent[key] = route
                announced.append(route)
        self._pending.clear()
        return withdrawn, announced


def _pack(
    withdrawn: list[RouteKey], announced: list[Route], ctx: Negotiated, ipv4_multiprotocol: bool
) -> list[Update]:
    updates: list[Update] = []
    by_family: dict[Family, list[NLRIItem]] = {}
    for family, prefix in withdrawn:
        by_family.setdefault(family, []).append(prefix)
    for family, prefixes in by_family.items():
        updates.extend(pack_withdrawals(
            family, prefixes, ctx, multiprotocol=ipv4_multiprotocol))
    groups: dict[tuple[Family, tuple[PathAttribute, ...], tuple[NextHopAddress, ...]],
                 list[NLRIItem]] = {}
    for route in announced:
        groups.setdefault((route.family, route.attributes, route.next_hops), []).append(
            route.prefix)
    for (family, attributes, next_hops), prefixes in groups.items():
        template = message_attributes(
            family, attributes, next_hops, ipv4_multiprotocol=ipv4_multiprotocol)
        updates.extend(pack_announcements(template, prefixes, ctx))
    return updates
