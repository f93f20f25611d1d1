"""What RFC 7606 says to do with each malformed attribute.

One table instead of a flag on every class: the whole error-handling policy reads at a glance
and is checked against the RFC in one test.
"""

from __future__ import annotations

from bgpwire.constants import AttrType
from bgpwire.errors import ErrorAction

MALFORMED_ACTION: dict[int, ErrorAction] = {
    AttrType.ORIGIN: ErrorAction.TREAT_AS_WITHDRAW,  # RFC 7606 §7.1
    AttrType.AS_PATH: ErrorAction.TREAT_AS_WITHDRAW,  # §7.2
    AttrType.NEXT_HOP: ErrorAction.TREAT_AS_WITHDRAW,  # §7.3
    AttrType.MULTI_EXIT_DISC: ErrorAction.TREAT_AS_WITHDRAW,  # §7.4
    AttrType.LOCAL_PREF: ErrorAction.TREAT_AS_WITHDRAW,  # §7.5
    AttrType.ATOMIC_AGGREGATE: ErrorAction.ATTRIBUTE_DISCARD,  # §7.6
    AttrType.AGGREGATOR: ErrorAction.ATTRIBUTE_DISCARD,  # §7.7
    AttrType.COMMUNITIES: ErrorAction.TREAT_AS_WITHDRAW,  # §7.8
    AttrType.ORIGINATOR_ID: ErrorAction.TREAT_AS_WITHDRAW,  # §7.9
    AttrType.CLUSTER_LIST: ErrorAction.TREAT_AS_WITHDRAW,  # §7.10
    AttrType.MP_REACH_NLRI: ErrorAction.SESSION_RESET,  # §7.11 (AFI/SAFI disable not offered)
    AttrType.MP_UNREACH_NLRI: ErrorAction.SESSION_RESET,  # §7.11
    AttrType.EXTENDED_COMMUNITIES: ErrorAction.TREAT_AS_WITHDRAW,  # §7.14
    AttrType.AS4_PATH: ErrorAction.ATTRIBUTE_DISCARD,  # §7.12, RFC 6793 §6
    AttrType.AS4_AGGREGATOR: ErrorAction.ATTRIBUTE_DISCARD,  # §7.13, RFC 6793 §6
    AttrType.AIGP: ErrorAction.ATTRIBUTE_DISCARD,  # RFC 7311 §3: ignore a malformed AIGP
    AttrType.LARGE_COMMUNITY: ErrorAction.TREAT_AS_WITHDRAW,  # RFC 8092 §6
    AttrType.ONLY_TO_CUSTOMER: ErrorAction.TREAT_AS_WITHDRAW,  # RFC 9234 §5
}
"""The action for a malformed attribute of each type bgpwire decodes."""

ONCE_ONLY_SESSION_RESET = frozenset({AttrType.MP_REACH_NLRI, AttrType.MP_UNREACH_NLRI})
"""Attributes whose repetition resets the session (RFC 7606 §3.g); other repeats are discarded."""
