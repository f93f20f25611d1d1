"""Our originated routes as one peer must receive them, over one session; and why some cannot go.

:class:`Exporter` is made when a session comes up: it knows the negotiation and our address on
the connection, so it knows which families and next hops this peer can be given. A route that
cannot be sent is not dropped silently: :meth:`Exporter.export` returns the reason, which the
speaker shows in :meth:`~bgpwire.speaker.Speaker.peer_status` and as a
:class:`~bgpwire.speaker.RoutesNotSent` event.

Next hops (RFC 4271 §5.1.3, RFC 4760 §3, RFC 8950):

* a route's own ``next_hop`` is sent as given (an IPv6 one on an IPv4 route only to a peer
  that can take it, RFC 8950 §4);
* otherwise IPv4 routes get :attr:`PeerSpec.next_hop`, or our IPv4 address on the connection,
  or, where the peer announced Extended Next Hop for IPv4 unicast over IPv6 (RFC 8950), our
  IPv6 next hop; IPv6 routes get :attr:`PeerSpec.next_hop6` or our global IPv6 address on the
  connection.

Many routes share their attributes (a load balancer sends thousands with one set), so the
export rules are applied once per distinct set of attributes and next hop, and each route is
then built without checking again what the first one was checked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from bgpwire.attributes import MultiExitDisc, PathAttribute
from bgpwire.constants import AFI
from bgpwire.families import IPV4_UNICAST, Family
from bgpwire.fsm import Negotiation
from bgpwire.messages.capabilities import ExtendedNextHopCapability
from bgpwire.rib import NextHopAddress, Route, RouteKey, to_external, to_internal
from bgpwire.rib.route import unchecked_route
from bgpwire.speaker.originations import Origination
from bgpwire.speaker.spec import PeerSpec

__all__ = ["Exporter", "accepts_ipv6_next_hop"]

_Template = tuple[Family, tuple[PathAttribute, ...], NextHopAddress]
_MAX_TEMPLATES = 4096
"""Exported attribute sets an :class:`Exporter` keeps before it starts over."""


def accepts_ipv6_next_hop(negotiation: Negotiation, family: Family = IPV4_UNICAST) -> bool:
    """Whether both OPENs announced Extended Next Hop for ``family`` over IPv6 (RFC 8950 §3:
    the peer's says it can take such routes; ours, that we mean to send them, which FRR asks
    for before it accepts them)."""
    return all(_lists(open_.capability(ExtendedNextHopCapability), family)
               for open_ in (negotiation.local, negotiation.remote))


def _lists(capability: ExtendedNextHopCapability | None, family: Family) -> bool:
    return capability is not None and any(
        entry.family == family and entry.next_hop_afi == AFI.IPV6
        for entry in capability.entries)


class Exporter:
    """The export of our routes to one peer over one session; see the module docstring."""

    def __init__(self, spec: PeerSpec, negotiation: Negotiation,
                 local_address: str | None) -> None:
        self.spec = spec
        self.negotiation = negotiation
        self.families = frozenset(negotiation.families)
        self.ipv6_for_ipv4 = accepts_ipv6_next_hop(negotiation)
        local = ip_address(local_address) if local_address is not None else None
        self.own_next_hop4: IPv4Address | None = spec.next_hop or (
            local if isinstance(local, IPv4Address) else None)
        self.own_next_hop6: IPv6Address | None = spec.next_hop6 or (
            local if isinstance(local, IPv6Address) and not local.is_link_local else None)
        self._transport = "no connection" if local is None else f"IPv{local.version} transport"
        self._templates: dict[tuple[Family, int, NextHopAddress],
                              tuple[tuple[PathAttribute, ...], tuple[PathAttribute, ...]]] = {}
        """Exported attributes by the identity of the originated ones (hashing equal
        attributes costs more than the rest of a route's export), with those kept alive: the
        speaker makes equal attribute sets one object (:meth:`LocalRoutes.intern`)."""

    def export(self, originations: Iterable[Origination]
               ) -> tuple[list[Route], dict[RouteKey, str]]:
        """The routes to announce, and the reason for each route that cannot be sent."""
        routes: list[Route] = []
        unsent: dict[RouteKey, str] = {}
        for origination in originations:
            family = origination.family
            if family not in self.families:
                unsent[(family, origination.prefix)] = f"family {family} not negotiated"
                continue
            next_hop, reason = self.next_hop(origination)
            if next_hop is None:
                unsent[(family, origination.prefix)] = reason
                continue
            given = origination.attributes
            cached = self._templates.get((family, id(given), next_hop))
            if cached is not None and cached[0] is given:
                attributes = cached[1]
            else:
                if len(self._templates) >= _MAX_TEMPLATES:
                    self._templates.clear()
                attributes = self._rules((family, given, next_hop)).attributes
                self._templates[(family, id(given), next_hop)] = (given, attributes)
            routes.append(unchecked_route(family, origination.prefix, attributes, next_hop, None))
        return routes, unsent

    def next_hop(self, origination: Origination) -> tuple[NextHopAddress | None, str]:
        """The next hop to send ``origination`` with, or ``None`` and why there is none."""
        given = origination.next_hop
        if origination.family.afi == AFI.IPV4:
            if given is None and self.own_next_hop4 is not None:
                return self.own_next_hop4, ""
            if isinstance(given, IPv4Address):
                return given, ""
            ipv6 = given if given is not None else self.own_next_hop6
            if ipv6 is not None and self.ipv6_for_ipv4:
                return ipv6, ""
            if given is not None:
                return None, (f"IPv6 next hop {given} for an IPv4 route: the peer did not "
                              "announce Extended Next Hop for IPv4 unicast (RFC 8950)")
            return None, f"no IPv4 next hop: {self._transport} and no next_hop configured"
        if given is not None:
            return given, ""
        if self.own_next_hop6 is not None:
            return self.own_next_hop6, ""
        return None, f"no IPv6 next hop: {self._transport} and no next_hop6 configured"

    def _rules(self, template: _Template) -> Route:
        """The eBGP or iBGP sending rules (RFC 4271 §5.1) applied to one set of attributes; the
        MED of a route we originate is ours to send (RFC 4271 §5.1.4)."""
        family, attributes, next_hop = template
        stand_in = ip_network(IPv4Address(0) if family.afi == AFI.IPV4 else IPv6Address(0))
        route = Route(family, stand_in, attributes, next_hop)
        if self.negotiation.internal:
            return to_internal(route)
        med = route.attr(MultiExitDisc)
        return to_external(route, local_as=self.spec.config.local_as, next_hop=next_hop,
                           med=None if med is None else med.value)

