"""Building the attributes of a route, and the rules a speaker applies when it sends one.

Each rule is a small pure function from a :class:`~bgpwire.rib.route.Route` to the route as a
given peer must see it, so a speaker composes them (and its own policy) before
:meth:`AdjRibOut.announce <bgpwire.rib.adj_out.AdjRibOut.announce>`. They cover a speaker
outside any confederation (RFC 5065 is not handled here) and without route reflection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from ipaddress import IPv6Address

from bgpwire.attributes import (
    AIGP,
    ASPath,
    ASPathSegment,
    ClusterList,
    Communities,
    ExtendedCommunities,
    ExtendedCommunity,
    LargeCommunities,
    LargeCommunity,
    LocalPref,
    MultiExitDisc,
    Origin,
    OriginatorID,
    PathAttribute,
    UnknownAttribute,
)
from bgpwire.constants import ASPathSegmentType, OriginCode
from bgpwire.rib.route import NextHopAddress, Route

__all__ = [
    "DEFAULT_LOCAL_PREF",
    "may_advertise",
    "prepend_as",
    "propagated",
    "route_attributes",
    "to_external",
    "to_internal",
]

DEFAULT_LOCAL_PREF = 100
"""The LOCAL_PREF most implementations give a route that has none (RFC 4271 leaves it open)."""

_SEQ = ASPathSegmentType.AS_SEQUENCE
_CONFED = frozenset({ASPathSegmentType.AS_CONFED_SEQUENCE, ASPathSegmentType.AS_CONFED_SET})
_MAX_SEGMENT = 255
_INTERNAL_ONLY = (LocalPref, MultiExitDisc, OriginatorID, ClusterList, AIGP)
"""Attributes that do not cross an AS border; see :func:`to_external`."""


def route_attributes(
    *,
    origin: OriginCode = OriginCode.IGP,
    as_path: ASPath | Iterable[int] = (),
    med: int | None = None,
    local_pref: int | None = None,
    communities: Iterable[int] = (),
    large_communities: Iterable[LargeCommunity] = (),
    extended_communities: Iterable[ExtendedCommunity] = (),
    others: Iterable[PathAttribute] = (),
) -> tuple[PathAttribute, ...]:
    """The attributes of a route, for :class:`~bgpwire.rib.route.Route`.

    ORIGIN and AS_PATH are always present, as every announcement needs them (RFC 4271 §5.1);
    an AS_PATH given as numbers is one AS_SEQUENCE (empty for a route we originate, which
    :func:`to_external` then prepends to). Empty community lists give no attribute. The next
    hop is not an attribute here but a field of the route.
    """
    path = as_path if isinstance(as_path, ASPath) else ASPath.from_asns(tuple(as_path))
    attributes: list[PathAttribute] = [Origin(origin), path]
    if med is not None:
        attributes.append(MultiExitDisc(med))
    if local_pref is not None:
        attributes.append(LocalPref(local_pref))
    if values := tuple(communities):
        attributes.append(Communities(values))
    if extended := tuple(extended_communities):
        attributes.append(ExtendedCommunities(extended))
    if large := tuple(large_communities):
        attributes.append(LargeCommunities(large))
    attributes.extend(others)
    return tuple(sorted(attributes, key=lambda attribute: attribute.type_code))


def prepend_as(as_path: ASPath | None, asn: int, times: int = 1) -> ASPath:
    """``as_path`` with ``asn`` put in front ``times`` times (RFC 4271 §5.1.2 b).

    The number joins a leading AS_SEQUENCE while it has room for it; a path that is empty, or
    starts with an AS_SET or a full sequence, gets a new AS_SEQUENCE in front.
    """
    segments = list(as_path.segments) if as_path is not None else []
    for _ in range(times):
        if segments and segments[0].type is _SEQ and len(segments[0].asns) < _MAX_SEGMENT:
            segments[0] = ASPathSegment(_SEQ, (asn, *segments[0].asns))
        else:
            segments.insert(0, ASPathSegment(_SEQ, (asn,)))
    return ASPath(tuple(segments))


def propagated(route: Route) -> Route:
    """``route`` as it may be passed on to another peer: the rules for unrecognised attributes.

    RFC 4271 §5 and §9: an unrecognised optional non-transitive attribute is quietly dropped;
    an unrecognised optional transitive one is passed on with the Partial bit set. Apply it to
    routes learned from a peer, not to routes this speaker originates.
    """
    attributes: list[PathAttribute] = []
    changed = False
    for attribute in route.attributes:
        if not isinstance(attribute, UnknownAttribute):
            attributes.append(attribute)
            continue
        changed = True
        if attribute.is_transitive:
            attributes.append(attribute.passed_on())
    return route.with_attributes(attributes) if changed else route


def to_external(
    route: Route, *, local_as: int, next_hop: NextHopAddress,
    link_local: IPv6Address | None = None, med: int | None = None,
) -> Route:
    """``route`` as an external (eBGP) peer must receive it.

    * our AS is prepended to the AS_PATH (RFC 4271 §5.1.2 b), after any confederation segments
      are removed, as they must not leave the confederation (RFC 5065 §4.1);
    * the next hop is ``next_hop`` (RFC 4271 §5.1.3: normally our address on the shared link;
      pass the route's own next hop for a third-party next hop on that link);
    * LOCAL_PREF is left out (RFC 4271 §5.1.5); so is a MED received from elsewhere, which
      must not go to another AS (§5.1.4): ``med`` sets the one we want this peer to see;
    * ORIGINATOR_ID and CLUSTER_LIST describe reflection inside the AS (RFC 4456 §8), and AIGP
      is off on eBGP sessions unless configured (RFC 7311 §3): all three are left out.
    """
    as_path = route.attr(ASPath)
    if as_path is not None and any(seg.type in _CONFED for seg in as_path.segments):
        as_path = ASPath(tuple(seg for seg in as_path.segments if seg.type not in _CONFED))
    attributes = [
        attribute for attribute in route.attributes
        if not isinstance(attribute, _INTERNAL_ONLY) and not isinstance(attribute, ASPath)
    ]
    attributes.append(prepend_as(as_path, local_as))
    if med is not None:
        attributes.append(MultiExitDisc(med))
    return replace(route, attributes=tuple(attributes), next_hop=next_hop, link_local=link_local)


def to_internal(
    route: Route, *, local_pref: int = DEFAULT_LOCAL_PREF, next_hop: NextHopAddress | None = None,
    link_local: IPv6Address | None = None,
) -> Route:
    """``route`` as an internal (iBGP) peer must receive it.

    * LOCAL_PREF must be present (RFC 4271 §5.1.5): one already on the route is kept, a route
      without gets ``local_pref``;
    * the AS_PATH is not changed (RFC 4271 §5.1.2 a), nor the MED (§5.1.4 lets it spread
      inside the AS);
    * the next hop is kept (§5.1.3 (1)) unless ``next_hop`` is given (next-hop-self).
    """
    if route.attr(LocalPref) is None:
        route = route.with_attributes((*route.attributes, LocalPref(local_pref)))
    if next_hop is not None:
        route = replace(route, next_hop=next_hop, link_local=link_local)
    return route


def may_advertise(*, learned_internally: bool, to_internal_peer: bool) -> bool:
    """Whether a route may go to a peer, by the iBGP split-horizon rule of RFC 4271 §9.2.

    A route learned from an internal peer is not sent to another internal peer: in a full mesh
    each of them has it already, and re-sending could loop (route reflection, RFC 4456, is the
    exception, not handled here).
    """
    return not (learned_internally and to_internal_peer)
