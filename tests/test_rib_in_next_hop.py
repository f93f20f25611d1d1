"""Routes whose next hop cannot be forwarded to are ignored (RFC 4271 §5.1.3, §6.3)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.rib import AdjRibIn
from tests.test_rib_in import LOCAL_AS, NH4, NH6, P1, P2, Q1, announce4, announce6, wire

OURS4 = IPv4Address("192.0.2.99")


@pytest.mark.parametrize("hop", ["0.0.0.0", "224.0.0.5", "239.1.2.3", "255.255.255.255",
                                 str(OURS4)])
def test_an_ipv4_route_over_an_unusable_next_hop_is_ignored(hop: str) -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.local_addresses = frozenset({OURS4})
    rib.apply(wire(announce4(P1)))
    change = rib.apply(wire(announce4(P1, P2, next_hop=IPv4Address(hop))))
    assert set(change.rejected) == {(IPV4_UNICAST, P1), (IPV4_UNICAST, P2)}
    assert [r.prefix for r in change.withdrawn] == [P1]  # the earlier route is replaced by none
    assert len(rib) == 0 and not change.announced


@pytest.mark.parametrize("hop", ["::", "ff02::5", "2001:db8::99"])
def test_an_ipv6_route_over_an_unusable_next_hop_is_ignored(hop: str) -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.local_addresses = frozenset({IPv6Address("2001:db8::99")})
    change = rib.apply(wire(announce6(Q1, next_hops=(IPv6Address(hop),))))
    assert change.rejected == ((IPV6_UNICAST, Q1),) and len(rib) == 0


def test_usable_next_hops_are_installed_and_the_local_set_starts_empty() -> None:
    rib = AdjRibIn(LOCAL_AS)
    assert rib.local_addresses == frozenset()
    rib.apply(wire(announce4(P1, next_hop=OURS4)))  # not ours until the speaker says so
    rib.apply(wire(announce6(Q1, next_hops=(NH6,))))
    rib.apply(wire(announce4(P2, next_hop=NH4)))
    assert len(rib) == 3
