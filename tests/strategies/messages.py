"""Hypothesis strategies for OPEN capabilities, OPEN, NOTIFICATION and ROUTE-REFRESH values.

Every value drawn is valid for its class and survives ``decode(encode(x)) == x``.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address

from hypothesis import strategies as st

from bgpwire.constants import BGP_VERSION, BGPRole, CeaseSubcode, ErrorCode, RouteRefreshSubtype
from bgpwire.errors import LocalProtocolError
from bgpwire.families import Family
from bgpwire.messages.capabilities import (
    CAPABILITY_TYPES,
    AddPathCapability,
    AddPathEntry,
    AddPathMode,
    BGPRoleCapability,
    Capability,
    EnhancedRouteRefreshCapability,
    ExtendedMessageCapability,
    ExtendedNextHopCapability,
    ExtendedNextHopEntry,
    FourOctetASCapability,
    FQDNCapability,
    GracefulRestartCapability,
    GracefulRestartFamily,
    LongLivedGracefulRestartCapability,
    LongLivedGracefulRestartFamily,
    MultiprotocolCapability,
    RouteRefreshCapability,
    SoftwareVersionCapability,
    UnknownCapability,
)
from bgpwire.messages.notification import Notification
from bgpwire.messages.open import Open
from bgpwire.messages.route_refresh import RouteRefresh

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)


def families(safi: st.SearchStrategy[int] = u8) -> st.SearchStrategy[Family]:
    """Families as decoding produces them: named where IANA names the numbers."""
    return st.builds(
        Family.of,
        st.sampled_from([1, 2, 25, 16388]) | u16,
        st.sampled_from([1, 2, 4, 70, 128]) | safi,
    )


def _short_text(max_octets: int) -> st.SearchStrategy[str]:
    return st.text(max_size=max_octets // 4)


_EMPTY = st.sampled_from(
    [RouteRefreshCapability(), ExtendedMessageCapability(), EnhancedRouteRefreshCapability()]
)

_capability_strategies: list[st.SearchStrategy[Capability]] = [
    _EMPTY,
    st.builds(MultiprotocolCapability, families(), reserved=st.just(0) | u8),
    st.builds(
        ExtendedNextHopCapability,
        st.lists(
            st.builds(ExtendedNextHopEntry, families(u16), st.sampled_from([1, 2]) | u16),
            max_size=8,
        ).map(tuple),
    ),
    st.builds(BGPRoleCapability, st.sampled_from(BGPRole) | st.integers(len(BGPRole), 0xFF)),
    st.builds(
        GracefulRestartCapability,
        st.booleans(),
        st.booleans(),
        st.integers(0, 0xFFF),
        st.lists(
            st.builds(
                GracefulRestartFamily, families(), st.booleans(), st.just(0) | st.integers(0, 0x7F)
            ),
            max_size=8,
        ).map(tuple),
        reserved_flags=st.integers(0, 3),
    ),
    st.builds(FourOctetASCapability, st.integers(0, 0xFFFFFFFF)),
    st.builds(
        AddPathCapability,
        st.lists(st.builds(AddPathEntry, families(), st.sampled_from(AddPathMode)), max_size=8).map(
            tuple
        ),
    ),
    st.builds(
        LongLivedGracefulRestartCapability,
        st.lists(
            st.builds(
                LongLivedGracefulRestartFamily,
                families(),
                st.booleans(),
                st.integers(0, 0xFFFFFF),
                st.just(0) | st.integers(0, 0x7F),
            ),
            max_size=8,
        ).map(tuple),
    ),
    st.builds(FQDNCapability, _short_text(120), _short_text(120)),
    st.builds(SoftwareVersionCapability, _short_text(250)),
    st.builds(
        UnknownCapability,
        u8.filter(lambda code: code not in CAPABILITY_TYPES),
        st.binary(max_size=64),
    ),
]


def capabilities() -> st.SearchStrategy[Capability]:
    """Any capability bgpwire knows, and unknown ones."""
    return st.one_of(_capability_strategies)


@st.composite
def opens(draw: st.DrawFn) -> Open:
    """OPENs that decode without error: version 4, acceptable hold time, non-zero identifier."""
    caps = tuple(draw(st.lists(capabilities(), max_size=6)))
    groups: tuple[int, ...] | None = None
    if draw(st.booleans()):
        # Split the capabilities over several parameters, empty ones included.
        sizes: list[int] = []
        left = len(caps)
        while left:
            size = draw(st.integers(0, left))
            sizes.append(size)
            left -= size
        groups = tuple(sizes) + tuple(draw(st.lists(st.just(0), max_size=1)))
    short = Open(
        BGP_VERSION,
        draw(u16),
        draw(st.just(0) | st.integers(3, 0xFFFF)),
        IPv4Address(draw(st.integers(1, 0xFFFFFFFF))),
        caps,
        capability_groups=groups,
    )
    try:
        short.encode()
    except LocalProtocolError:
        return replace(short, extended_parameters=True)  # too long for one-octet lengths
    return replace(short, extended_parameters=draw(st.booleans()))


def notifications() -> st.SearchStrategy[Notification]:
    """Known and unknown codes and subcodes, shutdown communications included."""
    return st.one_of(
        st.builds(Notification, st.sampled_from(ErrorCode) | u8, u8, st.binary(max_size=64)),
        st.builds(
            Notification.shutdown,
            st.text(max_size=300),
            st.sampled_from(
                [CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, CeaseSubcode.ADMINISTRATIVE_RESET]
            ),
        ),
    )


def route_refreshes() -> st.SearchStrategy[RouteRefresh]:
    """Known subtypes, plus unknown ones kept as integers."""
    subtype = st.sampled_from(RouteRefreshSubtype) | st.integers(3, 0xFF)
    return st.builds(RouteRefresh, families(), subtype)
