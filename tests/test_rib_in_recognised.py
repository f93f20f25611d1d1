"""The Adj-RIB-In's way for the UPDATEs a table is made of, and the keys it files prefixes under.

A decoded UPDATE whose attribute list the decoder recognised is checked on its bytes (AS
numbers, next hop) and installed without building attributes; these tests hold that way to
the same outcomes as the general one, including where a byte test alone would be wrong.
"""

from __future__ import annotations

import gc
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from hypothesis import given
from hypothesis import strategies as st

from bgpwire.attributes import ASPath, ASPathSegment, MultiExitDisc
from bgpwire.constants import AFI, ASPathSegmentType
from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.messages import Update, decode
from bgpwire.messages.update import recognised_attributes, recognised_path
from bgpwire.messages.update_run import classic_table_run
from bgpwire.prefixes import PathPrefix, PrefixList, encode_prefixes
from bgpwire.rib import AdjRibIn, LazyRoutes, Route
from bgpwire.rib.compact import block_keys, key_prefix, prefix_key, wire_keys
from bgpwire.rib.route import route_attributes_of
from tests.strategies.attributes import prefixes
from tests.test_rib_in import NH4, NH6, PEER_AS, announce4, announce6, base

LOCAL_AS = 65010  # 0x0000FDF2
CTX4 = Negotiated(four_octet_as=True)


def received(update: Update, ctx: Negotiated = CTX4) -> Update:
    message = decode(update.encode(ctx), ctx)
    assert isinstance(message, Update)
    return message


def net(text: str) -> IPv4Network:
    return IPv4Network(text)


# --- what the decoder tells the table -------------------------------------------------------


def test_recognised_path_reads_the_as_numbers_and_next_hop_off_the_bytes() -> None:
    update = received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, 3356, 70000)))
    numbers, width, next_hop, field, ctx = recognised_path(update) or (b"", 0, b"", b"", None)
    assert width == 4 and next_hop == NH4.packed and ctx is CTX4
    assert recognised_attributes(field, CTX4) == update.attributes
    assert numbers == b"".join(asn.to_bytes(4, "big") for asn in (PEER_AS, 3356, 70000))
    two = Negotiated(four_octet_as=False)
    update = received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, 3356)), two)
    assert recognised_path(update) == (
        PEER_AS.to_bytes(2, "big") + (3356).to_bytes(2, "big"), 2, NH4.packed,
        update.encode(two)[23:-4], two)


def test_recognised_path_of_an_ipv6_update_has_no_next_hop_attribute() -> None:
    update = received(announce6(IPv6Network("2001:db8::/48"), attributes=base(PEER_AS)))
    numbers, width, next_hop, field, _ = recognised_path(update) or (b"", 0, b"", b"", None)
    assert (numbers, width, next_hop) == (PEER_AS.to_bytes(4, "big"), 4, b"")
    reach = update.mp_reach
    assert recognised_attributes(field, CTX4) == tuple(
        attribute for attribute in update.attributes if attribute is not reach)


def test_only_recognised_lists_are_read_off_the_bytes() -> None:
    as_set = ASPath((ASPathSegment(ASPathSegmentType.AS_SET, (PEER_AS, 1)),))
    unusual = received(announce4(net("10.0.0.0/24"), attributes=(base()[0], as_set)))
    assert recognised_path(unusual) is None
    assert recognised_path(announce4(net("10.0.0.0/24"))) is None  # built by hand
    update = received(announce4(net("10.0.0.0/24")))
    assert update.attributes  # read once: the attributes are built now
    assert recognised_path(update) is None


def table_run(updates: list[Update], headers4: dict[bytes, bytes] | None = None
              ) -> tuple[int, list[bytes], list[int], list[bytes]]:
    """:func:`classic_table_run` over all of ``updates``, with our AS and AS 0 as the AS
    numbers to stop at, and a header ``b"H"`` for next hop NH4 (4-octet AS numbers)."""
    fields: list[bytes] = []
    counts: list[int] = []
    paths: list[bytes] = []
    needles = {width: (LOCAL_AS.to_bytes(width, "big"), bytes(width)) for width in (2, 4)}
    headers = {4: {NH4.packed: b"H"} if headers4 is None else headers4, 2: {NH4.packed: b"h"}}
    taken = classic_table_run(updates, 0, len(updates), needles=needles, headers=headers,
                              into=(fields, counts, paths))
    return taken, fields, counts, paths


def test_a_classic_run_reads_what_recognised_path_reads() -> None:
    two = Negotiated(four_octet_as=False)
    updates = [
        received(announce4(net("10.0.0.0/24"), net("10.1.0.0/16"), attributes=base(PEER_AS, 7))),
        received(announce4(net("10.2.0.0/24"), attributes=base(PEER_AS, 3356, 70000))),
        received(announce4(net("10.3.0.0/24"), attributes=base(PEER_AS, 9)), two),
    ]
    taken, fields, counts, paths = table_run(updates)
    assert taken == 2  # stops where the decoding context changes ...
    rest = table_run(updates[2:])  # ... for the next call to go on in the other
    assert rest[0] == 1
    fields, counts, paths = fields + rest[1], counts + rest[2], paths + rest[3]
    assert counts == [2, 1, 1]
    assert fields == [encode_prefixes(update.nlri, AFI.IPV4, False) for update in updates]
    heads = [b"H", b"H", b"h"]  # the third was decoded with 2-octet AS numbers
    assert paths == [head + (recognised_path(update) or (b"",) * 4)[3]
                     for head, update in zip(heads, updates, strict=True)]


def test_a_classic_run_stops_at_what_it_does_not_take() -> None:
    good = received(announce4(net("10.0.0.0/24")))
    add_path = Negotiated(four_octet_as=True, add_path=frozenset({IPV4_UNICAST}))
    stoppers = {
        "our AS in the path": received(announce4(net("10.9.0.0/24"),
                                                 attributes=base(PEER_AS, LOCAL_AS))),
        "AS 0 in the path": received(announce4(net("10.9.0.0/24"), attributes=base(PEER_AS, 0))),
        "a next hop without header": received(announce4(net("10.9.0.0/24"),
                                                        next_hop=IPv4Address("192.0.2.9"))),
        "a withdrawal": received(Update(withdrawn=(net("10.8.0.0/24"),),
                                        attributes=announce4().attributes,
                                        nlri=(net("10.9.0.0/24"),))),
        "IPv6": received(announce6(IPv6Network("2001:db8::/48"))),
        "ADD-PATH": received(Update(attributes=announce4().attributes,
                                    nlri=(PathPrefix(1, net("10.9.0.0/24")),)), add_path),
        "built by hand": announce4(net("10.9.0.0/24")),
        "an unusual list": received(announce4(net("10.9.0.0/24"), attributes=(
            base()[0], ASPath((ASPathSegment(ASPathSegmentType.AS_SET, (PEER_AS, 1)),))))),
    }
    for why, stopper in stoppers.items():
        assert table_run([good, stopper, good])[:3] == (1, [bytes((24, 10, 0, 0))], [1]), why
    # a next hop whose header is empty: not to be used
    assert table_run([good], headers4={NH4.packed: b""})[0] == 0


# --- keys -----------------------------------------------------------------------------------


@given(st.lists(prefixes(4), max_size=40), st.lists(prefixes(6), max_size=40))
def test_keys_cut_from_the_wire_equal_the_keys_of_the_prefixes(
    v4: list[IPv4Network], v6: list[IPv6Network]
) -> None:
    for afi, items in ((AFI.IPV4, v4), (AFI.IPV6, v6)):
        data = encode_prefixes(items, afi, False)
        assert wire_keys(data, afi, False) == [prefix_key(item) for item in items]
        assert [key_prefix(key, afi) for key in block_keys(items, afi)] == items


@given(st.lists(st.tuples(st.integers(0, 0xFFFFFFFF), prefixes(4)), max_size=20))
def test_keys_with_path_identifiers_round_trip(pairs: list[tuple[int, IPv4Network]]) -> None:
    items = [PathPrefix(path_id, prefix) for path_id, prefix in pairs]
    data = encode_prefixes(items, AFI.IPV4, True)
    keys = wire_keys(data, AFI.IPV4, True)
    assert keys == [prefix_key(item) for item in items]
    assert [key_prefix(key, AFI.IPV4) for key in keys] == items
    plain = [prefix_key(prefix) for _, prefix in pairs]
    assert not set(keys) & set(plain)  # a path identifier never makes a plain prefix's key


def test_bits_past_the_length_are_ignored_and_filed_under_the_prefix() -> None:
    # 10.0.0.0/23 sent with the 24th bit set: legal, and the same prefix (RFC 4271 §4.3)
    data = bytes((23, 10, 0, 1))
    assert wire_keys(data, AFI.IPV4, False) is None
    block = PrefixList.decode(data, AFI.IPV4, False)
    assert block_keys(block, AFI.IPV4) == [prefix_key(net("10.0.0.0/23"))]


def test_a_prefix_of_one_family_is_not_found_in_the_other() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(received(announce4(net("0.0.0.0/0"))))
    assert (IPV4_UNICAST, net("0.0.0.0/0")) in rib
    assert (IPV6_UNICAST, net("0.0.0.0/0")) not in rib
    assert rib.get(IPV6_UNICAST, IPv6Network("::/0")) is None


# --- the table ------------------------------------------------------------------------------


def test_a_recognised_update_installs_routes_equal_to_the_general_way() -> None:
    prefixes4 = [net("10.0.0.0/24"), net("10.0.1.0/24"), net("192.0.2.128/25")]
    attributes = (*base(PEER_AS, 3356), MultiExitDisc(7))
    fast, slow = AdjRibIn(LOCAL_AS), AdjRibIn(LOCAL_AS)
    change = fast.apply(received(announce4(*prefixes4, attributes=attributes)))
    slow.apply(announce4(*prefixes4, attributes=attributes))
    assert isinstance(change.announced, LazyRoutes)
    assert list(change.announced) == list(slow.routes()) == list(fast.routes())
    assert [route.prefix for route in change.announced] == prefixes4
    v6 = received(announce6(IPv6Network("2001:db8::/32"), next_hops=(NH6, IPv6Address("fe80::1"))))
    route = next(iter(fast.apply(v6).announced))
    assert (route.next_hop, route.link_local) == (NH6, IPv6Address("fe80::1"))


def test_our_as_in_a_recognised_path_is_a_loop() -> None:
    rib = AdjRibIn(LOCAL_AS)
    change = rib.apply(received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, LOCAL_AS))))
    assert change.rejected == ((IPV4_UNICAST, net("10.0.0.0/24")),) and len(rib) == 0


def test_our_as_octets_across_two_as_numbers_are_no_loop() -> None:
    # 0xAAAA0000 then 0xFDF2BBBB: the octets 00 00 FD F2 (our AS) straddle the two numbers
    rib = AdjRibIn(LOCAL_AS)
    path = base(PEER_AS, 0xAAAA0000, 0xFDF2BBBB)
    change = rib.apply(received(announce4(net("10.0.0.0/24"), attributes=path)))
    assert [route.attributes for route in change.announced] == [path]
    assert not change.rejected


def test_as_zero_in_a_recognised_path_is_treated_as_withdraw() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(received(announce4(net("10.0.0.0/24"))))
    change = rib.apply(received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, 0))))
    assert change.rejected == ((IPV4_UNICAST, net("10.0.0.0/24")),) and len(rib) == 0
    assert [route.prefix for route in change.withdrawn] == [net("10.0.0.0/24")]


def test_a_next_hop_that_cannot_be_used_is_ignored_on_the_fast_way_too() -> None:
    rib = AdjRibIn(LOCAL_AS)
    for hop in (IPv4Address("0.0.0.0"), IPv4Address("224.0.0.1")):
        change = rib.apply(received(announce4(net("10.0.0.0/24"), next_hop=hop)))
        assert change.rejected and len(rib) == 0
    rib.local_addresses = frozenset({NH4})  # learnt when the session came up
    assert rib.apply(received(announce4(net("10.0.0.0/24")))).rejected and len(rib) == 0
    rib.local_addresses = frozenset()
    assert len(rib.apply(received(announce4(net("10.0.0.0/24")))).announced) == 1


def test_announcing_again_reports_only_what_changed() -> None:
    rib = AdjRibIn(LOCAL_AS)
    one, two = net("10.0.0.0/24"), net("10.0.1.0/24")
    rib.apply(received(announce4(one, two)))
    same = rib.apply(received(announce4(one, two)))
    assert not same and not same.announced and not same.replaced
    changed = rib.apply(received(announce4(two, net("10.0.2.0/24"), attributes=base(PEER_AS, 1))))
    assert [route.prefix for route in changed.announced] == [net("10.0.2.0/24")]
    assert [(old.prefix, new.attributes) for old, new in changed.replaced] == [
        (two, base(PEER_AS, 1))]
    assert rib.get(IPV4_UNICAST, two) == Route(IPV4_UNICAST, two, base(PEER_AS, 1), NH4)


def test_a_prefix_twice_in_one_update_is_announced_once() -> None:
    rib = AdjRibIn(LOCAL_AS)
    one = net("10.0.0.0/24")
    change = rib.apply(received(announce4(one, net("10.0.1.0/24"), one)))
    assert [route.prefix for route in change.announced] == [one, net("10.0.1.0/24")]
    assert len(rib) == 2


def test_the_prefix_limit_is_checked_on_the_fast_way() -> None:
    rib = AdjRibIn(LOCAL_AS, max_prefixes=2)
    assert not rib.apply(received(announce4(net("10.0.0.0/24"), net("10.0.1.0/24")))).over_limit
    assert rib.apply(received(announce4(net("10.0.2.0/24")))).over_limit == (IPV4_UNICAST,)


def test_routes_keep_their_attributes_after_stale_marking_and_refresh() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, 9))))
    rib.mark_stale()
    (route,) = rib.routes()
    assert route.stale and route.attributes == base(PEER_AS, 9)
    change = rib.apply(received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, 9))))
    assert [(old.stale, new.stale) for old, new in change.replaced] == [(True, False)]
    assert not rib.sweep_stale() and len(rib) == 1


def test_a_new_local_as_is_what_the_fast_way_looks_for() -> None:
    rib = AdjRibIn(64999)
    assert rib.apply(received(announce4(net("10.0.0.0/24"), attributes=base(PEER_AS, LOCAL_AS))))
    rib.local_as = LOCAL_AS  # e.g. the program changed its AS: our AS is now in that path
    change = rib.apply(received(announce4(net("10.0.1.0/24"), attributes=base(PEER_AS, LOCAL_AS))))
    assert change.rejected == ((IPV4_UNICAST, net("10.0.1.0/24")),) and len(rib) == 1


def test_a_loaded_table_leaves_nothing_for_the_cyclic_collector_to_walk() -> None:
    """Paths are bytes, which the collector does not track, so loading many UPDATEs adds no
    tracked object per UPDATE: those a table is made of, those that take the general way
    (a link-local next hop, an UPDATE built by hand), and Graceful Restart's stale copies."""
    ctx6 = Negotiated(four_octet_as=True)
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(received(announce4(net("10.255.0.0/24"))))  # what is made once per table
    gc.collect()
    before = len(gc.get_objects())
    updates = [received(announce4(net(f"10.{i // 256}.{i % 256}.0/24"),
                                  attributes=base(PEER_AS, i + 1)))
               for i in range(500)]
    updates += [received(announce6(IPv6Network(f"2001:db8:{i:x}::/48"),
                                   attributes=base(PEER_AS, i + 1)), ctx6)
                for i in range(400)]
    updates += [received(announce6(IPv6Network(f"2001:db8:1:{i:x}::/64"),
                                   attributes=base(PEER_AS, i + 1),
                                   next_hops=(NH6, IPv6Address("fe80::1"))), ctx6)
                for i in range(50)]
    updates += [announce4(net(f"10.9.{i}.0/24"), attributes=base(PEER_AS, i + 1))
                for i in range(50)]
    rib.apply_all(updates)
    assert rib.mark_stale() == 1001
    del updates
    gc.collect()
    assert len(gc.get_objects()) - before < 50  # with 1,000 UPDATEs and 2,000 paths
    route = rib.get(IPV6_UNICAST, IPv6Network("2001:db8:1:31::/64"))
    assert route is not None and route.stale
    assert (route.next_hop, route.link_local) == (NH6, IPv6Address("fe80::1"))
    assert route.attributes == route_attributes_of(base(PEER_AS, 50))
    route = rib.get(IPV4_UNICAST, net("10.9.49.0/24"))
    assert route is not None and route.stale and route.next_hop == NH4
    assert route.attributes == route_attributes_of(base(PEER_AS, 50))
