"""Path attributes: one class per attribute type, and the registry the UPDATE decoder uses.

Each class states its type code and flags category and turns its value field into a frozen
dataclass and back (see :mod:`bgpwire.attributes.base`). :data:`ATTRIBUTE_TYPES` is written out
by hand at the bottom of this module rather than filled in by import-time decorators, so that
what bgpwire decodes is visible in one place.
"""

from __future__ import annotations

from bgpwire.attributes.as_path import (
    Aggregator,
    AS4Aggregator,
    AS4Path,
    ASPath,
    ASPathSegment,
    merge_as4_aggregator,
    merge_as4_path,
)
from bgpwire.attributes.base import (
    OPTIONAL_NON_TRANSITIVE,
    OPTIONAL_TRANSITIVE,
    WELL_KNOWN,
    PathAttribute,
    UnknownAttribute,
)
from bgpwire.attributes.communities import (
    Communities,
    LargeCommunities,
    LargeCommunity,
    WellKnownCommunity,
    format_community,
    parse_community,
)
from bgpwire.attributes.ext_communities import (
    Encapsulation,
    ExtendedCommunities,
    ExtendedCommunity,
    LinkBandwidth,
    RawExtendedCommunity,
    RouteOrigin,
    RouteTarget,
    parse_extended_community,
)
from bgpwire.attributes.mp import MPReachNLRI, MPUnreachNLRI
from bgpwire.attributes.next_hop import NextHop
from bgpwire.attributes.origin import Origin
from bgpwire.attributes.simple import (
    AIGP,
    AtomicAggregate,
    ClusterList,
    LocalPref,
    MultiExitDisc,
    OnlyToCustomer,
    OriginatorID,
)
from bgpwire.constants import AttrType

__all__ = [
    "AIGP",
    "ATTRIBUTE_TYPES",
    "OPTIONAL_NON_TRANSITIVE",
    "OPTIONAL_TRANSITIVE",
    "WELL_KNOWN",
    "AS4Aggregator",
    "AS4Path",
    "ASPath",
    "ASPathSegment",
    "Aggregator",
    "AtomicAggregate",
    "ClusterList",
    "Communities",
    "Encapsulation",
    "ExtendedCommunities",
    "ExtendedCommunity",
    "LargeCommunities",
    "LargeCommunity",
    "LinkBandwidth",
    "LocalPref",
    "MPReachNLRI",
    "MPUnreachNLRI",
    "MultiExitDisc",
    "NextHop",
    "OnlyToCustomer",
    "Origin",
    "OriginatorID",
    "PathAttribute",
    "RawExtendedCommunity",
    "RouteOrigin",
    "RouteTarget",
    "UnknownAttribute",
    "WellKnownCommunity",
    "format_community",
    "merge_as4_aggregator",
    "merge_as4_path",
    "parse_community",
    "parse_extended_community",
]

ATTRIBUTE_TYPES: dict[int, type[PathAttribute]] = {
    AttrType.ORIGIN: Origin,
    AttrType.AS_PATH: ASPath,
    AttrType.NEXT_HOP: NextHop,
    AttrType.MULTI_EXIT_DISC: MultiExitDisc,
    AttrType.LOCAL_PREF: LocalPref,
    AttrType.ATOMIC_AGGREGATE: AtomicAggregate,
    AttrType.AGGREGATOR: Aggregator,
    AttrType.COMMUNITIES: Communities,
    AttrType.ORIGINATOR_ID: OriginatorID,
    AttrType.CLUSTER_LIST: ClusterList,
    AttrType.MP_REACH_NLRI: MPReachNLRI,
    AttrType.MP_UNREACH_NLRI: MPUnreachNLRI,
    AttrType.EXTENDED_COMMUNITIES: ExtendedCommunities,
    AttrType.AS4_PATH: AS4Path,
    AttrType.AS4_AGGREGATOR: AS4Aggregator,
    AttrType.AIGP: AIGP,
    AttrType.LARGE_COMMUNITY: LargeCommunities,
    AttrType.ONLY_TO_CUSTOMER: OnlyToCustomer,
}
"""The class that decodes each attribute type code; codes not listed become UnknownAttribute."""
