"""The decoder's fast paths against the careful code they stand in for.

Each fast path (the prefix-length step table, the inline network builder, UPDATE bodies decoded
in place inside their message, the attribute memo that admits bytes on their second sighting,
the IPv6 unicast MP_REACH_NLRI reader, attributes checked on their bytes and built when first
read) must give exactly what the general code gives, and leave anything unusual to it.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, IPv6Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpwire.attributes import (
    ASPath,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    Origin,
)
from bgpwire.constants import AFI, MARKER, AttrType, OriginCode
from bgpwire.context import Negotiated
from bgpwire.errors import InvalidNetworkField, ProtocolError
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.framer import Framer
from bgpwire.messages import Update, decode
from bgpwire.messages import update as update_module
from bgpwire.prefixes import (
    PathPrefix,
    PrefixList,
    _check_prefixes,
    _materialize,
)

BITS = {AFI.IPV4: 32, AFI.IPV6: 128}
NETWORK: dict[AFI, type[IPv4Network] | type[IPv6Network]] = {
    AFI.IPV4: IPv4Network, AFI.IPV6: IPv6Network}


def every_length(afi: AFI, fill: int) -> tuple[bytes, list[IPv4Network | IPv6Network]]:
    """One prefix of each length, its octets all ``fill`` (so host bits are set on the wire)."""
    bits = BITS[afi]
    data = b""
    expected: list[IPv4Network | IPv6Network] = []
    for length in range(bits + 1):
        size = (length + 7) >> 3
        data += bytes((length,)) + bytes((fill,)) * size
        value = int.from_bytes(bytes((fill,)) * size, "big") << (bits - 8 * size)
        value &= ((1 << length) - 1) << (bits - length)
        expected.append(NETWORK[afi]((value, length)))
    return data, expected


@pytest.mark.parametrize("afi", [AFI.IPV4, AFI.IPV6])
@pytest.mark.parametrize("fill", [0x00, 0xA5, 0xFF])
def test_every_prefix_length_builds_the_stdlib_network(afi: AFI, fill: int) -> None:
    data, expected = every_length(afi, fill)
    assert len(PrefixList.decode(data, afi, False)) == len(expected)
    built = [n for n in _materialize(data, afi, False) if not isinstance(n, PathPrefix)]
    assert tuple(built) == tuple(expected)
    assert [str(n) for n in built] == [str(n) for n in expected]
    assert [hash(n) for n in built] == [hash(n) for n in expected]
    assert [n.broadcast_address for n in built] == [n.broadcast_address for n in expected]
    assert [list(n.hosts())[:2] for n in built[-3:]] == [
        list(n.hosts())[:2] for n in expected[-3:]]


@pytest.mark.parametrize("afi", [AFI.IPV4, AFI.IPV6])
def test_prefixes_with_path_identifiers_take_the_general_builder(afi: AFI) -> None:
    data, expected = every_length(afi, 0x5A)
    with_ids = b""
    i = 0
    for n, network in enumerate(expected):
        size = 1 + ((network.prefixlen + 7) >> 3)
        with_ids += n.to_bytes(4, "big") + data[i:i + size]
        i += size
    built = PrefixList.decode(with_ids, afi, add_path=True)
    assert tuple(built) == tuple(PathPrefix(n, net) for n, net in enumerate(expected))


@given(st.binary(max_size=40), st.sampled_from([AFI.IPV4, AFI.IPV6]), st.booleans())
def test_prefix_list_decode_agrees_with_the_careful_loop(
    data: bytes, afi: AFI, add_path: bool
) -> None:
    try:
        expected: int | str = _check_prefixes(data, afi, add_path)
    except InvalidNetworkField as error:
        expected = error.reason
    try:
        got: int | str = len(PrefixList.decode(data, afi, add_path))
    except InvalidNetworkField as error:
        got = error.reason
    assert got == expected


@pytest.mark.parametrize(("afi", "data", "reason"), [
    (AFI.IPV4, bytes((33, 1, 2, 3, 4, 5)), "prefix length 33 exceeds 32"),
    (AFI.IPV4, bytes((24, 10, 0, 0, 255)), "prefix length 255 exceeds 32"),
    (AFI.IPV4, bytes((24, 10, 0)), "NLRI ends inside a prefix"),
    (AFI.IPV6, bytes((129,)) + bytes(17), "prefix length 129 exceeds 128"),
    (AFI.IPV6, bytes((48, 0x20, 1)), "NLRI ends inside a prefix"),
])
def test_malformed_prefixes_are_reported_as_the_careful_loop_says(
    afi: AFI, data: bytes, reason: str
) -> None:
    with pytest.raises(InvalidNetworkField) as raised:
        len(PrefixList.decode(data, afi, False))
    assert raised.value.reason == reason


# --- UPDATEs decoded in place ------------------------------------------------------------------

ORIGIN_IGP = bytes.fromhex("40 01 01 00")
AS_PATH = bytes.fromhex("40 02 0a 02 02 0000fde9 0000fdea")
NEXT_HOP = bytes.fromhex("40 03 04 c0000201")
MED_100 = bytes.fromhex("80 04 04 00000064")
MP_REACH_V6 = bytes.fromhex(
    "80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8")


def message(withdrawn: bytes, attributes: bytes, nlri: bytes) -> bytes:
    body = (len(withdrawn).to_bytes(2, "big") + withdrawn
            + len(attributes).to_bytes(2, "big") + attributes + nlri)
    return MARKER + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body


def both_ways(data: bytes, ctx: Negotiated) -> Update | str:
    """decode() on the message, checked against decode_body() on a copy of its body."""
    try:
        by_body: Update | str = Update.decode_body(data[19:], Negotiated(
            four_octet_as=ctx.four_octet_as, extended_message=ctx.extended_message,
            add_path=ctx.add_path, internal=ctx.internal))
    except ProtocolError as error:
        by_body = repr(error)
    try:
        decoded = decode(data, ctx)
        assert isinstance(decoded, Update)
        in_place: Update | str = decoded
    except ProtocolError as error:
        in_place = repr(error)
    assert in_place == by_body
    if isinstance(in_place, Update) and isinstance(by_body, Update):
        assert in_place.problems == by_body.problems
    return in_place


@pytest.mark.parametrize("attributes", [
    ORIGIN_IGP + AS_PATH + NEXT_HOP + MED_100,
    ORIGIN_IGP + AS_PATH + NEXT_HOP + bytes.fromhex("40 01"),       # header cut short
    ORIGIN_IGP + AS_PATH + NEXT_HOP + bytes.fromhex("90 04 00"),    # extended header cut short
    ORIGIN_IGP + AS_PATH + NEXT_HOP + bytes.fromhex("80 04 08 0000"),  # value overruns the list
    ORIGIN_IGP + AS_PATH + NEXT_HOP + bytes.fromhex("80 04 02 0000"),  # malformed MED
    ORIGIN_IGP + ORIGIN_IGP + AS_PATH + NEXT_HOP,                   # repeated
    ORIGIN_IGP + AS_PATH,                                           # NEXT_HOP missing
    ORIGIN_IGP + AS_PATH + NEXT_HOP + bytes.fromhex("c0 63 02 abcd"),  # unknown, optional
    ORIGIN_IGP + AS_PATH + NEXT_HOP + bytes.fromhex("90 04 0004 00000064"),  # extended length
])
def test_update_bodies_decode_the_same_in_place_and_copied(attributes: bytes) -> None:
    # The NLRI after the attributes is what a header cut short would read into, in place.
    data = message(bytes.fromhex("18 cb0071"), attributes, bytes.fromhex("18 c63364 10 0a0b"))
    ctx = Negotiated()
    for _ in range(3):  # bytes unseen, seen once, memoised
        both_ways(data, ctx)


def test_headers_the_fast_path_does_not_take_are_checked_in_full() -> None:
    good = message(b"", ORIGIN_IGP + AS_PATH + NEXT_HOP, bytes.fromhex("18 c63364"))
    assert isinstance(decode(good), Update)
    bad_marker = b"\x00" + good[1:]
    short_length = good[:16] + (len(good) - 1).to_bytes(2, "big") + good[18:]
    too_short = MARKER + (22).to_bytes(2, "big") + b"\x02" + b"\x00\x00\x00"
    for data in (bad_marker, short_length, too_short, good[:18]):
        with pytest.raises(ProtocolError):
            decode(data)


def test_long_update_on_an_extended_message_session() -> None:
    nlri = bytes.fromhex("18 c63364") * 1500
    data = message(b"", ORIGIN_IGP + AS_PATH + NEXT_HOP, nlri)
    assert len(data) > 4096
    with pytest.raises(ProtocolError):
        decode(data)
    update = both_ways(data, Negotiated(extended_message=True))
    assert isinstance(update, Update) and len(update.nlri) == 1500


# --- the attribute memo -------------------------------------------------------------------------


def test_memoised_attributes_are_shared_from_the_second_sighting() -> None:
    ctx = Negotiated()
    data = message(b"", ORIGIN_IGP + AS_PATH + NEXT_HOP + MED_100, bytes.fromhex("18 c63364"))
    first, second, third = (decode(data, ctx) for _ in range(3))
    assert isinstance(first, Update) and isinstance(second, Update) and isinstance(third, Update)
    assert first == second == third
    assert all(a is b for a, b in zip(second.attributes, third.attributes, strict=True))


def test_bytes_seen_once_never_leak_into_a_decoded_update() -> None:
    ctx = Negotiated()
    clean = message(b"", ORIGIN_IGP + AS_PATH + NEXT_HOP + MED_100, bytes.fromhex("18 c63364"))
    decode(clean, ctx)  # every attribute's bytes are now seen once
    # The same bytes in a list the careful decoder has to go over (a malformed extra attribute).
    broken = message(b"", ORIGIN_IGP + AS_PATH + NEXT_HOP + MED_100 + bytes.fromhex(
        "c0 10 03 000000"), bytes.fromhex("18 c63364"))
    update = decode(broken, ctx)
    fresh = decode(broken, Negotiated())
    assert isinstance(update, Update) and isinstance(fresh, Update)
    assert update.problems and update.problems == fresh.problems
    assert update.attributes == fresh.attributes
    assert [type(a) for a in update.attributes] == [Origin, ASPath, NextHop, MultiExitDisc]


# --- MP_REACH_NLRI for IPv6 unicast ---------------------------------------------------------------


@pytest.mark.parametrize("value", [
    bytes.fromhex("0002 01 10 20010db8000000000000000000000001 00 20 20010db8 30 20010db80001"),
    bytes.fromhex("0002 01 10 20010db8000000000000000000000001 07"),          # no NLRI, reserved
    bytes.fromhex("0002 01 20 20010db8000000000000000000000001"
                  "fe800000000000000000000000000001 00 20 20010db8"),       # with link-local
    bytes.fromhex("0002 01 04 c0000201 00 20 20010db8"),                    # v4 hop: malformed
    bytes.fromhex("0002 01 10 20010db8000000000000000000000001 00 81"),    # length 129
    bytes.fromhex("0002 01 10 20010db8000000000000000000000001 00 30 2001"),  # cut short
    bytes.fromhex("0002 01 10 20010db8"),                                    # hop overruns
    bytes.fromhex("0002 02 10 20010db8000000000000000000000001 00 20 20010db8"),  # multicast
])
@pytest.mark.parametrize("add_path", [False, True])
def test_mp_reach_ipv6_unicast_decodes_as_the_general_reader(value: bytes, add_path: bool) -> None:
    ctx = Negotiated(add_path=frozenset({IPV6_UNICAST}) if add_path else frozenset())
    attribute = bytes((0x80, 0x0E, len(value))) + value
    data = message(b"", ORIGIN_IGP + AS_PATH + attribute, b"")
    update = both_ways(data, ctx)
    if isinstance(update, Update) and update.mp_reach is not None:
        reach = update.mp_reach
        rebuilt = MPReachNLRI(reach.family, reach.next_hops, tuple(reach.nlri),
                              reserved=reach.reserved)
        assert rebuilt == reach
        assert rebuilt.encode(ctx) == attribute


def test_add_path_for_another_family_leaves_ipv6_prefixes_plain() -> None:
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    data = message(b"", ORIGIN_IGP + AS_PATH + MP_REACH_V6, b"")
    update = both_ways(data, ctx)
    assert isinstance(update, Update) and update.mp_reach is not None
    assert tuple(update.mp_reach.nlri) == (IPv6Network("2001:db8::/32"),)


# --- the framer's early return for an incomplete message ----------------------------------------


@pytest.mark.parametrize("header", [
    b"\xfe" + MARKER[1:] + (100).to_bytes(2, "big") + b"\x02",    # bad marker
    MARKER + (5000).to_bytes(2, "big") + b"\x02",                 # length above the limit
    MARKER + (18).to_bytes(2, "big") + b"\x02",                   # length below a header
])
def test_a_bad_header_is_reported_before_its_message_is_complete(header: bytes) -> None:
    framer = Framer()
    with pytest.raises(ProtocolError):
        framer.feed(header + b"\x00")


def test_an_incomplete_message_is_held_until_it_completes() -> None:
    data = message(b"", ORIGIN_IGP + AS_PATH + NEXT_HOP, bytes.fromhex("18 c63364"))
    framer = Framer()
    assert framer.feed(data[:25]) == []
    assert framer.pending == 25
    assert framer.feed(data[25:] + data[:3]) == [data]
    assert framer.pending == 3


# --- attributes checked on their bytes, built when first read ------------------------------------

UNBUILT_TYPES = sorted(update_module._CHECKS)


def attribute_bytes(flags: int, code: int, value: bytes) -> bytes:
    if flags & 0x10:
        return bytes((flags, code)) + len(value).to_bytes(2, "big") + value
    return bytes((flags, code, len(value))) + value


def careful(attributes: bytes, ctx: Negotiated, has_nlri: bool) -> tuple[object, object]:
    """What the careful decoder makes of an attribute list (on a context of its own)."""
    fresh = Negotiated(four_octet_as=ctx.four_octet_as, internal=ctx.internal)
    return update_module._decode_attributes(attributes, fresh, has_nlri)


def values_for(code: int) -> st.SearchStrategy[bytes]:
    """Values of every shape, the well-formed ones of the type well represented."""
    shaped: dict[int, st.SearchStrategy[bytes]] = {
        AttrType.COMMUNITIES: st.integers(0, 5).map(lambda n: bytes(range(4 * n))),
        AttrType.CLUSTER_LIST: st.integers(0, 5).map(lambda n: bytes(range(4 * n))),
        AttrType.LARGE_COMMUNITY: st.integers(0, 3).map(lambda n: bytes(range(12 * n))),
        # One segment of either AS number width, of any type, cut or padded by an octet or two,
        # then maybe a second segment: what a check on the shape alone could get wrong.
        AttrType.AS_PATH: st.tuples(
            st.sampled_from([2, 2, 1, 3, 4, 0, 5]), st.integers(0, 3),
            st.sampled_from([2, 4]), st.sampled_from([0, 0, 0, -1, 1, 2]),
            st.sampled_from([b"", b"", bytes.fromhex("02 01 0000fde9"), b"\x01\x01\xfd\xe9"]),
        ).map(lambda s: bytes((s[0], s[1])) + bytes(range(max(0, s[1] * s[2] + s[3]))) + s[4]),
    }
    sized = shaped.get(code, st.binary(min_size=3, max_size=5))
    return st.one_of(sized, sized, sized, st.binary(max_size=300))


@pytest.mark.parametrize("code", UNBUILT_TYPES)
@settings(max_examples=300)
@given(data=st.data())
def test_a_type_left_unbuilt_is_checked_exactly_as_its_decoder_would(
    code: int, data: st.DataObject
) -> None:
    # Whatever the value, the UPDATE decodes to what the careful decoder says (attributes and
    # RFC 7606 problems), and reading its attributes never raises.
    value = data.draw(values_for(code))
    category = update_module._CATEGORIES[code]
    flags = data.draw(st.sampled_from([category, category | 0x10, category | 0x20, 0x40, 0xC0]))
    four = data.draw(st.booleans())
    ctx = Negotiated(four_octet_as=four, internal=data.draw(st.sampled_from([None, True, False])))
    path = AS_PATH if four else bytes.fromhex("40 02 06 02 02 fde9 fdea")
    head = ORIGIN_IGP + (b"" if code == AttrType.AS_PATH else path) + NEXT_HOP
    attributes = head + attribute_bytes(flags, code, value)
    raw = message(b"", attributes, bytes.fromhex("18 c63364"))
    try:
        expected: object = careful(attributes, ctx, True)
    except ProtocolError as error:
        expected = repr(error)
    for _ in range(3):  # unseen, seen once, memoised
        try:
            update = decode(raw, ctx)
            assert isinstance(update, Update)
            got: object = (update.attributes, update.problems)
        except ProtocolError as error:
            got = repr(error)
        assert got == expected
    if isinstance(got, tuple) and not got[1]:
        assert decode(raw, ctx).encode(ctx) == raw  # flags as received, byte-exact


def fresh_update(attributes: bytes = ORIGIN_IGP + AS_PATH + NEXT_HOP + MED_100) -> Update:
    update = decode(message(b"", attributes, bytes.fromhex("18 c63364")), Negotiated())
    assert isinstance(update, Update)
    return update


def test_decoding_leaves_the_unique_attributes_unbuilt_until_read() -> None:
    update = fresh_update()
    pending = update_module._GET_ATTRIBUTES(update)
    assert type(pending) is list
    assert pending[1:] == [None, None, ORIGIN_IGP + AS_PATH + NEXT_HOP + MED_100, True]
    # What is asked of every UPDATE by a session and a RIB does not build them.
    assert update.mp_reach is None and update.mp_unreach is None
    assert update.end_of_rib is None and not update.treat_as_withdraw
    assert update_module._GET_ATTRIBUTES(update) is pending
    assert [type(a) for a in update.attributes] == [Origin, ASPath, NextHop, MultiExitDisc]
    assert type(update_module._GET_ATTRIBUTES(update)) is tuple  # built once, then kept
    assert update.attributes is update.attributes


def test_an_update_with_unbuilt_attributes_is_the_value_it_decodes_to() -> None:
    update = fresh_update()
    built = Update(attributes=(Origin(OriginCode.IGP), ASPath.from_asns((65001, 65002)),
                               NextHop(IPv4Address("192.0.2.1")), MultiExitDisc(100)),
                   nlri=(IPv4Network("198.51.100.0/24"),))
    assert hash(fresh_update()) == hash(built)
    assert repr(fresh_update()) == repr(built)
    assert fresh_update() == built and built == fresh_update()
    assert pickle.loads(pickle.dumps(fresh_update())) == built
    assert replace(fresh_update(), problems=()) == built
    assert fresh_update().attr(MultiExitDisc) == MultiExitDisc(100)
    assert fresh_update().encode() == built.encode()
    assert update.announced() == [(IPV4_UNICAST, IPv4Network("198.51.100.0/24"))]


def test_unbuilt_attributes_keep_their_received_flags() -> None:
    extended_med = bytes.fromhex("90 04 0004 00000064")
    partial_communities = bytes.fromhex("e0 08 04 fde90001")
    update = fresh_update(ORIGIN_IGP + AS_PATH + NEXT_HOP + extended_med + partial_communities)
    assert type(update_module._GET_ATTRIBUTES(update)) is list
    med, communities = update.attributes[3:]
    assert (med.flags, communities.flags) == (0x90, 0xE0)
    assert update.encode().endswith(extended_med + partial_communities + bytes.fromhex("18 c63364"))


def test_ipv6_updates_give_their_prefixes_without_building_the_other_attributes() -> None:
    update = decode(message(b"", ORIGIN_IGP + AS_PATH + MED_100 + MP_REACH_V6, b""), Negotiated())
    assert isinstance(update, Update)
    reach = update.mp_reach
    assert reach is not None and tuple(reach.nlri) == (IPv6Network("2001:db8::/32"),)
    assert type(update_module._GET_ATTRIBUTES(update)) is list
    assert update.attributes[3] is reach


MP_UNREACH_V6 = bytes.fromhex("80 0f 08 0002 01 20 20010db9")


@pytest.mark.parametrize("attributes", [
    ORIGIN_IGP + AS_PATH + MED_100 + MP_REACH_V6,
    ORIGIN_IGP + AS_PATH + MED_100 + MP_REACH_V6 + MP_UNREACH_V6,
    MP_UNREACH_V6 + ORIGIN_IGP + AS_PATH + MED_100 + MP_REACH_V6,
    MED_100 + MP_UNREACH_V6,
    ORIGIN_IGP + AS_PATH + MED_100 + bytes.fromhex("90 0e 001a") + MP_REACH_V6[3:],
    ORIGIN_IGP + AS_PATH + MED_100 + bytes.fromhex("80 0e 1a 0002 02") + MP_REACH_V6[6:],
])
def test_mp_attributes_are_found_the_same_before_and_after_the_others_are_built(
    attributes: bytes,
) -> None:
    before = decode(message(b"", attributes, b""), Negotiated())
    assert isinstance(before, Update)
    assert type(update_module._GET_ATTRIBUTES(before)) is list
    reach, unreach = before.mp_reach, before.mp_unreach
    built = before.attributes
    assert reach is next((a for a in built if type(a) is MPReachNLRI), None)
    assert unreach is next((a for a in built if type(a) is MPUnreachNLRI), None)
    assert (before.mp_reach, before.mp_unreach) == (reach, unreach)
    assert before.encode() == message(b"", attributes, b"")


# --- attribute lists recognised whole by update_shapes -------------------------------------------

def _pieces(four: bool) -> dict[str, list[bytes]]:
    """Well-formed attributes of the common shapes, and near misses of each."""
    width = 4 if four else 2
    path = bytes((2, 2)) + bytes(range(2 * width))
    return {
        "origin": [ORIGIN_IGP, bytes.fromhex("40 01 01 02"), bytes.fromhex("40 01 01 03"),
                   bytes.fromhex("c0 01 01 00"), bytes.fromhex("40 01 02 0000")],
        "as_path": [attribute_bytes(0x40, 2, path), attribute_bytes(0x50, 2, path),
                    attribute_bytes(0x40, 2, path[:-1]),
                    attribute_bytes(0x40, 2, b"\x01" + path[1:]),
                    attribute_bytes(0x40, 2, path + path), attribute_bytes(0x40, 2, b"\x02\x00"),
                    attribute_bytes(0x40, 2, bytes((2, 63)) + bytes(63 * width)),
                    attribute_bytes(0x60, 2, path),
                    # Well-formed for the other AS number width only.
                    attribute_bytes(0x40, 2, bytes((2, 2)) + bytes(range(8 if width == 2 else 4)))],
        "next_hop": [NEXT_HOP, bytes.fromhex("40 03 05 c000020100"),
                     bytes.fromhex("50 03 0004 c0000201")],
        "med": [MED_100, bytes.fromhex("90 04 0004 00000064"), bytes.fromhex("80 04 03 000064"),
                bytes.fromhex("c0 04 04 00000064")],
        "local_pref": [bytes.fromhex("40 05 04 00000064"), bytes.fromhex("40 05 02 0064")],
        "communities": [bytes.fromhex("c0 08 04 fde90001"),
                        bytes.fromhex("d0 08 0008 fde90001fde90002"),
                        bytes.fromhex("c0 08 03 fde900"), bytes.fromhex("e0 08 04 fde90001"),
                        bytes.fromhex("c0 08 00")],
        "mp_reach": [MP_REACH_V6, bytes.fromhex("90 0e 001a") + MP_REACH_V6[3:],
                     bytes.fromhex("80 0e 1b") + MP_REACH_V6[3:] + b"\x00",
                     bytes.fromhex("80 0e 1a 0002 01 10") + bytes(16)
                     + bytes.fromhex("00 21 20010db8")],
        "large": [bytes.fromhex("c0 20 0c 0000fde9 00000001 00000002"),
                  bytes.fromhex("c0 20 0b 0000fde9 00000001 000000")],
        "other": [bytes.fromhex("c0 10 08 0002fde900000001"), bytes.fromhex("40 06 00"),
                  bytes.fromhex("c0 63 02 abcd"), bytes.fromhex("40 63 00")],
    }


@settings(max_examples=400)
@given(data=st.data())
def test_attribute_lists_of_every_shape_decode_as_the_careful_decoder_says(
    data: st.DataObject,
) -> None:
    four = data.draw(st.booleans())
    ctx = Negotiated(four_octet_as=four, internal=data.draw(st.sampled_from([None, True, False])))
    pieces = _pieces(four)
    # The lists update_shapes spells out (classic NLRI, or around MP_REACH_NLRI), with one
    # piece replaced by any of its list (the well-formed first one included); or any kinds in
    # any order.
    optional = [name for name in ("med", "local_pref", "communities", "large")
                if data.draw(st.booleans())]
    form = data.draw(st.sampled_from(["classic", "reach", "any"]))
    if form == "classic":
        names = ["origin", "as_path", "next_hop", *optional]
    elif form == "reach":
        names = ["origin", "as_path", *optional[:-1], "mp_reach", *optional[-1:]]
    else:
        names = [name for name in sorted(pieces) if data.draw(st.booleans())]
        names = data.draw(st.permutations(names))
    odd = data.draw(st.integers(0, max(0, len(names) - 1)))
    attributes = b"".join(
        data.draw(st.sampled_from(pieces[name])) if n == odd else pieces[name][0]
        for n, name in enumerate(names))
    nlri = b"" if form == "reach" else bytes.fromhex("18 c63364")
    if form == "any" and data.draw(st.booleans()):
        nlri = b""
    raw = message(b"", attributes, nlri)
    try:
        expected: object = careful(attributes, ctx, bool(nlri))
    except ProtocolError as error:
        expected = repr(error)
    for _ in range(2):  # unseen, then seen once
        try:
            update = decode(raw, ctx)
            assert isinstance(update, Update)
            reach = update.mp_reach
            got: object = (update.attributes, update.problems)
            assert reach is next((a for a in update.attributes if type(a) is MPReachNLRI), None)
        except ProtocolError as error:
            got = repr(error)
        assert got == expected


def test_attributes_after_mp_reach_are_never_read_as_its_prefixes() -> None:
    # These octets would pass for two more IPv6 prefixes (/64 and /0) if MP_REACH_NLRI were
    # taken to run to the end of the list: its own length says where its prefixes stop.
    after = bytes.fromhex("40 03 04 c0000201") + bytes.fromhex("40 06 00")
    update = decode(message(b"", ORIGIN_IGP + AS_PATH + MP_REACH_V6 + after, b""), Negotiated())
    assert isinstance(update, Update) and update.mp_reach is not None
    assert tuple(update.mp_reach.nlri) == (IPv6Network("2001:db8::/32"),)
    assert [type(a).__name__ for a in update.attributes] == [
        "Origin", "ASPath", "MPReachNLRI", "NextHop", "AtomicAggregate"]
