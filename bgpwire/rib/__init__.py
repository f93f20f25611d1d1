"""Route tables a BGP speaker keeps per peer (RFC 4271 §3.2), as plain sans-IO data structures.

* :class:`AdjRibIn`: the routes a peer announced, updated from decoded UPDATEs with RFC 7606
  outcomes, loop detection, a prefix limit and Graceful Restart stale handling.
* :class:`AdjRibOut`: what we advertise to a peer, turned into as few UPDATEs as fit.
* :mod:`bgpwire.rib.export`: building route attributes, and the eBGP/iBGP sending rules.
* :mod:`bgpwire.rib.restart`: what Graceful Restart keeps, read off the negotiation.

Nothing here reads a clock or touches a socket: time comes in as ``now`` arguments.
"""

from __future__ import annotations

from bgpwire.rib.adj_in import (
    AdjRibIn,
    LazyRoutes,
    RibChange,
    max_prefixes_error,
    max_prefixes_notification,
)
from bgpwire.rib.adj_out import AdjRibOut, end_of_rib, message_attributes
from bgpwire.rib.export import (
    DEFAULT_LOCAL_PREF,
    may_advertise,
    prepend_as,
    propagated,
    route_attributes,
    to_external,
    to_internal,
)
from bgpwire.rib.restart import restart_deadline, retained_families, unpreserved_families
from bgpwire.rib.route import NextHopAddress, Route, RouteKey

__all__ = [
    "DEFAULT_LOCAL_PREF",
    "AdjRibIn",
    "AdjRibOut",
    "LazyRoutes",
    "NextHopAddress",
    "RibChange",
    "Route",
    "RouteKey",
    "end_of_rib",
    "max_prefixes_error",
    "max_prefixes_notification",
    "may_advertise",
    "message_attributes",
    "prepend_as",
    "propagated",
    "restart_deadline",
    "retained_families",
    "route_attributes",
    "to_external",
    "to_internal",
    "unpreserved_families",
]
