"""Properties: AdjRibOut -> encoded UPDATEs -> decode -> AdjRibIn gives back the same routes,
for many prefixes of both families, any message size, either IPv4 encoding and ADD-PATH; and
the peer's table follows every later change from the minimal difference alone."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from hypothesis import given, settings
from hypothesis import strategies as st

from bgpwire.attributes import PathAttribute
from bgpwire.constants import OriginCode
from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.messages import Update, decode
from bgpwire.prefixes import NLRIItem, PathPrefix
from bgpwire.rib import AdjRibIn, AdjRibOut, Route, route_attributes
from tests.strategies.attributes import U32, ipv4_addresses, ipv6_addresses, prefixes

LOCAL_AS = 64512


def attribute_sets() -> st.SearchStrategy[tuple[PathAttribute, ...]]:
    asns = st.integers(1, 0xFFFFFFFF).filter(lambda asn: asn != LOCAL_AS)
    return st.builds(
        lambda origin, path, med, communities: route_attributes(
            origin=origin, as_path=path, med=med, communities=communities),
        st.sampled_from(OriginCode), st.lists(asns, max_size=6), st.none() | U32,
        st.lists(U32, max_size=4))


def usable(address: IPv4Address | IPv6Address) -> bool:
    """A next hop the Adj-RIB-In installs (it ignores unspecified, multicast, broadcast)."""
    return not (address.is_unspecified or address.is_multicast
                or address == IPv4Address("255.255.255.255"))


@st.composite
def tables(draw: st.DrawFn, add_path: bool = False, min_size: int = 0) -> list[Route]:
    """Routes of IPv4 and IPv6 unicast with distinct keys, sharing a few attribute sets."""
    pool = draw(st.lists(attribute_sets(), min_size=1, max_size=4))
    hops4 = draw(st.lists(ipv4_addresses().filter(usable), min_size=1, max_size=2))
    hops6 = draw(st.lists(st.tuples(ipv6_addresses().filter(usable),
                                    st.none() | ipv6_addresses()), min_size=1, max_size=2))
    routes: dict[tuple[Family, NLRIItem], Route] = {}
    for version in (4, 6):
        family = IPV4_UNICAST if version == 4 else IPV6_UNICAST
        entry = st.tuples(prefixes(version), st.integers(0, 3), st.sampled_from(pool),
                          st.integers(0, 1))
        drawn = draw(st.lists(entry, min_size=min_size, max_size=max(150, 2 * min_size)))
        for prefix, path_id, attributes, hop in drawn:
            item: NLRIItem = PathPrefix(path_id, prefix) if add_path else prefix
            if version == 4:
                next_hop: IPv4Address | IPv6Address = hops4[hop % len(hops4)]
                link_local = None
            else:
                next_hop, link_local = hops6[hop % len(hops6)]
            routes[(family, item)] = Route(family, item, attributes, next_hop, link_local)
    return list(routes.values())


def deliver(updates: list[Update], ctx: Negotiated, rib: AdjRibIn) -> None:
    for update in updates:
        data = update.encode(ctx)
        assert len(data) <= ctx.max_message_length
        message = decode(data, ctx)
        assert isinstance(message, Update) and not message.problems
        rib.apply(message)


contexts = st.builds(lambda extended: Negotiated(extended_message=extended), st.booleans())


@settings(max_examples=60, deadline=None)
@given(tables(min_size=100), contexts, st.booleans())
def test_routes_survive_the_wire(routes: list[Route], ctx: Negotiated,
                                 ipv4_multiprotocol: bool) -> None:
    out, rib = AdjRibOut(), AdjRibIn(LOCAL_AS)
    out.announce(routes)
    deliver(out.updates(ctx, ipv4_multiprotocol=ipv4_multiprotocol), ctx, rib)
    assert set(rib) == set(routes) == set(out) and len(rib) == len(routes)


@settings(max_examples=30, deadline=None)
@given(tables(add_path=True), st.booleans())
def test_routes_survive_the_wire_with_add_path(routes: list[Route], extended: bool) -> None:
    ctx = Negotiated(extended_message=extended,
                     add_path=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
    out, rib = AdjRibOut(), AdjRibIn(LOCAL_AS)
    out.announce(routes)
    deliver(out.updates(ctx), ctx, rib)
    assert set(rib) == set(routes)


@settings(max_examples=60, deadline=None)
@given(tables(), tables(), st.data(), contexts, st.booleans())
def test_the_peer_follows_every_change_from_the_difference_alone(
    first: list[Route], second: list[Route], data: st.DataObject, ctx: Negotiated,
    ipv4_multiprotocol: bool,
) -> None:
    out, rib = AdjRibOut(), AdjRibIn(LOCAL_AS)
    out.announce(first)
    deliver(out.updates(ctx, ipv4_multiprotocol=ipv4_multiprotocol), ctx, rib)
    # Keep some of the first table, withdraw the rest, add or change routes from the second.
    kept = [route for route in first if data.draw(st.booleans())]
    gone = {route.key for route in first} - {route.key for route in kept}
    out.withdraw(gone)
    out.announce([*kept, *second])
    before = {route.key: route for route in first}
    after = {route.key: route for route in kept} | {route.key: route for route in second}
    minimal = (sum(before.get(key) != route for key, route in after.items())
               + sum(key not in after for key in before))
    updates = out.updates(ctx, ipv4_multiprotocol=ipv4_multiprotocol)
    sent = sum(len(update.announced()) + len(update.withdrawals()) for update in updates)
    assert sent == minimal
    deliver(updates, ctx, rib)
    assert set(rib) == set(after.values()) == set(out)
