"""Hypothesis strategies for whole UPDATE messages and for any message."""

from __future__ import annotations

from hypothesis import strategies as st

from bgpwire.attributes import MPReachNLRI, MPUnreachNLRI, PathAttribute, UnknownAttribute
from bgpwire.attributes.base import OPTIONAL_NON_TRANSITIVE, OPTIONAL_TRANSITIVE, PARTIAL
from bgpwire.constants import AttrType
from bgpwire.families import IPV4_UNICAST
from bgpwire.messages import Keepalive, Message, Update
from tests.strategies.attributes import as_paths, next_hops, nlri_items, origins, path_attributes
from tests.strategies.messages import notifications, opens, route_refreshes

KNOWN_CODES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 26, 32, 35}


def unknown_attributes() -> st.SearchStrategy[UnknownAttribute]:
    """Optional attributes bgpwire has no class for, with their flags as received."""
    flags = st.sampled_from([
        None, OPTIONAL_NON_TRANSITIVE, OPTIONAL_TRANSITIVE | PARTIAL])
    codes = st.integers(1, 255).filter(lambda code: code not in KNOWN_CODES)
    return st.builds(lambda code, value, f: UnknownAttribute(code=code, value=value, flags=f),
                     codes, st.binary(max_size=20), flags)


@st.composite
def updates(draw: st.DrawFn, add_path: bool = False) -> Update:
    """An UPDATE that fits in 4096 octets: attributes of distinct types, in any order.

    With ``add_path`` the classic fields carry path identifiers and no MP attribute is drawn
    (theirs would need them too, for IPv4 unicast).
    """
    pool = draw(st.lists(st.one_of(path_attributes(), unknown_attributes()), max_size=8))
    attributes: list[PathAttribute] = []
    for attribute in pool:
        if add_path and isinstance(attribute, MPReachNLRI | MPUnreachNLRI):
            continue
        if all(a.type_code != attribute.type_code for a in attributes):
            attributes.append(attribute)
    nlri = draw(nlri_items(IPV4_UNICAST, add_path))
    codes = {attribute.type_code for attribute in attributes}
    if nlri or AttrType.MP_REACH_NLRI in codes:  # a route needs its well-known attributes
        needed = [draw(origins()), draw(as_paths())] + ([draw(next_hops())] if nlri else [])
        attributes.extend(a for a in needed if a.type_code not in codes)
    return Update(
        withdrawn=draw(nlri_items(IPV4_UNICAST, add_path)),
        attributes=tuple(attributes),
        nlri=nlri,
    )


def messages() -> st.SearchStrategy[Message]:
    """Any message bgpwire can encode under the default context."""
    return st.one_of(updates(), opens(), notifications(), route_refreshes(), st.just(Keepalive()))
