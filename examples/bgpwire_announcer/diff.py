"""What changes between two plans, per peer: the routes to announce and to withdraw.

Routes are compared by what the peer receives (prefix, LOCAL_PREF, communities, large
communities), not by the services behind them: a second service joining an aggregate changes
nothing on the wire, so nothing is re-sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bgpwire_announcer.model import RoutePlan

RouteTable = Mapping[str, RoutePlan]
"""Prefix (as text) to the route this peer gets."""

WireKey = tuple[int | None, tuple[str, ...], tuple[str, ...]]


def wire_key(route: RoutePlan) -> WireKey:
    """The part of a route that reaches the peer (besides the prefix and next hop)."""
    return (route.local_pref, tuple(sorted(route.communities)),
            tuple(sorted(route.large_communities)))


@dataclass(frozen=True, slots=True)
class RouteChanges:
    announce: tuple[RoutePlan, ...]
    """New routes, and routes whose attributes changed."""
    withdraw: tuple[str, ...]
    """Prefixes no longer announced."""

    def __bool__(self) -> bool:
        return bool(self.announce or self.withdraw)


def route_changes(old: RouteTable, new: RouteTable) -> RouteChanges:
    announce = tuple(route for prefix, route in sorted(new.items())
                     if prefix not in old or wire_key(old[prefix]) != wire_key(route))
    withdraw = tuple(sorted(prefix for prefix in old if prefix not in new))
    return RouteChanges(announce, withdraw)


def group_by_attributes(routes: tuple[RoutePlan, ...]) -> dict[WireKey, list[RoutePlan]]:
    """Routes sharing their attributes, so each group is one ``announce_many`` call."""
    groups: dict[WireKey, list[RoutePlan]] = {}
    for route in routes:
        groups.setdefault(wire_key(route), []).append(route)
    return groups
