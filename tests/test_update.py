"""UPDATE: golden vectors both ways, End-of-RIB, RFC 7606 outcomes, packing into messages."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest

from bgpwire.attributes import (
    ASPath,
    LocalPref,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    Origin,
)
from bgpwire.attributes.base import UnknownAttribute
from bgpwire.constants import MARKER, AttrType, OriginCode, UpdateMessageSubcode
from bgpwire.context import Negotiated
from bgpwire.errors import (
    ErrorAction,
    InvalidNetworkField,
    MalformedAttributeList,
    OptionalAttributeError,
    UnrecognizedWellKnownAttribute,
)
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.messages import Update, decode, pack_announcements, pack_withdrawals
from bgpwire.prefixes import PathPrefix

CTX = Negotiated()


def decode_update(data: bytes, ctx: Negotiated) -> Update:
    message = decode(data, ctx)
    assert isinstance(message, Update)
    return message


def update_message(withdrawn: bytes, attributes: bytes, nlri: bytes) -> bytes:
    body = (len(withdrawn).to_bytes(2, "big") + withdrawn
            + len(attributes).to_bytes(2, "big") + attributes + nlri)
    return MARKER + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body


ORIGIN_IGP = bytes.fromhex("40 01 01 00")                       # well-known, ORIGIN, len 1, IGP
AS_PATH_65001_65002 = bytes.fromhex("40 02 0a 02 02 0000fde9 0000fdea")  # one AS_SEQUENCE of 2
NEXT_HOP_192_0_2_1 = bytes.fromhex("40 03 04 c0000201")
MED_100 = bytes.fromhex("80 04 04 00000064")                    # optional non-transitive
MP_REACH_2001_DB8 = (
    "80 0e 1a 0002 01 10"                 # MP_REACH_NLRI, 26 octets: IPv6 unicast, 16-octet hop
    "20010db8000000000000000000000001 00"  # next hop 2001:db8::1, reserved
    "20 20010db8"                          # 2001:db8::/32
)
BASIC_ATTRIBUTES = ORIGIN_IGP + AS_PATH_65001_65002 + NEXT_HOP_192_0_2_1 + MED_100

GOLDEN = update_message(
    withdrawn=bytes.fromhex("18 cb0071"),                        # 203.0.113.0/24
    attributes=BASIC_ATTRIBUTES,
    nlri=bytes.fromhex("18 c63364" "20 c6336401"),              # 198.51.100.0/24, 198.51.100.1/32
)


def test_golden_update_decodes_to_values() -> None:
    update = decode_update(GOLDEN, CTX)
    assert isinstance(update, Update)
    assert update.withdrawn == (IPv4Network("203.0.113.0/24"),)
    assert update.nlri == (IPv4Network("198.51.100.0/24"), IPv4Network("198.51.100.1/32"))
    assert update.attributes == (
        Origin(OriginCode.IGP),
        ASPath.from_asns([65001, 65002]),
        NextHop(IPv4Address("192.0.2.1")),
        MultiExitDisc(100),
    )
    assert update.problems == () and update.action is ErrorAction.NONE
    assert update.end_of_rib is None


def test_golden_update_built_in_code_encodes_to_the_same_bytes() -> None:
    update = Update(
        withdrawn=(IPv4Network("203.0.113.0/24"),),
        attributes=(Origin(OriginCode.IGP), ASPath.from_asns([65001, 65002]),
                    NextHop(IPv4Address("192.0.2.1")), MultiExitDisc(100)),
        nlri=(IPv4Network("198.51.100.0/24"), IPv4Network("198.51.100.1/32")),
    )
    assert update.encode(CTX) == GOLDEN
    assert decode_update(GOLDEN, CTX) == update


def test_two_octet_as_path_on_a_session_without_four_octet_as() -> None:
    two_octet = bytes.fromhex("40 02 06 02 02 fde9 fdea")
    data = update_message(b"", ORIGIN_IGP + two_octet + NEXT_HOP_192_0_2_1, b"\x08\x0a")
    update = decode_update(data, Negotiated(four_octet_as=False))
    assert update.attr(ASPath) == ASPath.from_asns([65001, 65002])
    assert update.encode(Negotiated(four_octet_as=False)) == data


def test_end_of_rib_ipv4_and_ipv6() -> None:
    ipv4 = decode_update(update_message(b"", b"", b""), CTX)
    assert isinstance(ipv4, Update) and ipv4.end_of_rib == IPV4_UNICAST
    ipv6 = decode_update(update_message(b"", bytes.fromhex("80 0f 03 0002 01"), b""), CTX)
    assert isinstance(ipv6, Update) and ipv6.end_of_rib == IPV6_UNICAST
    assert Update(attributes=(MPUnreachNLRI(IPV6_UNICAST, ()),)).encode(CTX) == ipv6.encode(CTX)


def test_ipv6_with_global_and_link_local_next_hop() -> None:
    mp_reach = bytes.fromhex(
        "90 0e 002e"                        # optional, extended length, MP_REACH_NLRI, 46 octets
        "0002 01 20"                        # AFI IPv6, SAFI unicast, next hop length 32
        "20010db8000000000000000000000001"  # global 2001:db8::1
        "fe800000000000000000000000000001"  # link-local fe80::1
        "00"                                # reserved
        "40 20010db800010000"               # 2001:db8:1::/64
    )
    data = update_message(b"", ORIGIN_IGP + AS_PATH_65001_65002 + mp_reach, b"")
    update = decode_update(data, CTX)
    reach = update.mp_reach
    assert reach is not None and reach.family == IPV6_UNICAST
    assert reach.next_hops == (IPv6Address("2001:db8::1"), IPv6Address("fe80::1"))
    assert tuple(reach.nlri) == (IPv6Network("2001:db8:1::/64"),)
    assert update.announced() == [(IPV6_UNICAST, IPv6Network("2001:db8:1::/64"))]
    assert update.encode(CTX) == data


def test_add_path_in_the_classic_fields() -> None:
    data = update_message(b"", BASIC_ATTRIBUTES, bytes.fromhex("00000007 18 c63364"))
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    update = decode_update(data, ctx)
    assert update.nlri == (PathPrefix(7, IPv4Network("198.51.100.0/24")),)
    assert update.encode(ctx) == data


# --- RFC 7606 ---------------------------------------------------------------------------------


def problem_of(update: Update, code: int) -> tuple[ErrorAction, UpdateMessageSubcode, bytes]:
    [problem] = [p for p in update.problems if p.type_code == code]
    return problem.action, problem.subcode, problem.data


def test_invalid_origin_value_is_treat_as_withdraw_with_the_attribute_as_data() -> None:
    bad_origin = bytes.fromhex("40 01 01 05")
    data = update_message(b"", bad_origin + AS_PATH_65001_65002 + NEXT_HOP_192_0_2_1,
                          b"\x18\xc6\x33\x64")
    update = decode_update(data, CTX)
    assert update.treat_as_withdraw
    assert problem_of(update, AttrType.ORIGIN) == (
        ErrorAction.TREAT_AS_WITHDRAW, UpdateMessageSubcode.INVALID_ORIGIN_ATTRIBUTE, bad_origin)
    assert update.nlri == (IPv4Network("198.51.100.0/24"),)  # still known, to be withdrawn
    assert update.attr(Origin) is None


def test_missing_well_known_attribute_is_treat_as_withdraw() -> None:
    data = update_message(b"", ORIGIN_IGP + NEXT_HOP_192_0_2_1, b"\x18\xc6\x33\x64")
    update = decode_update(data, CTX)
    assert problem_of(update, AttrType.AS_PATH) == (
        ErrorAction.TREAT_AS_WITHDRAW, UpdateMessageSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, b"\x02")


def test_prefixes_announced_without_any_attribute_are_treat_as_withdraw() -> None:
    # RFC 7606 §3.d: an empty path attributes field lacks every mandatory attribute.
    update = decode_update(update_message(b"", b"", b"\x18\xc6\x33\x64"), CTX)
    assert update.treat_as_withdraw and update.attributes == ()
    assert [problem_of(update, code)[:2] for code in (1, 2, 3)] == [
        (ErrorAction.TREAT_AS_WITHDRAW, UpdateMessageSubcode.MISSING_WELL_KNOWN_ATTRIBUTE)] * 3


def test_next_hop_is_not_required_without_classic_nlri() -> None:
    mp_reach = bytes.fromhex(MP_REACH_2001_DB8)
    attributes = ORIGIN_IGP + AS_PATH_65001_65002 + mp_reach
    update = decode_update(update_message(b"", attributes, b""), CTX)
    assert update.problems == ()


def test_withdraw_only_update_needs_no_attributes() -> None:
    update = decode_update(update_message(b"\x18\xcb\x00\x71", b"", b""), CTX)
    assert update.problems == () and update.withdrawn == (IPv4Network("203.0.113.0/24"),)


def test_malformed_atomic_aggregate_is_discarded_and_the_route_kept() -> None:
    bad = bytes.fromhex("40 06 01 00")  # ATOMIC_AGGREGATE must be empty
    update = decode_update(update_message(b"", BASIC_ATTRIBUTES + bad, b"\x08\x0a"), CTX)
    assert update.action is ErrorAction.ATTRIBUTE_DISCARD and not update.treat_as_withdraw
    action, subcode, data = problem_of(update, AttrType.ATOMIC_AGGREGATE)
    assert (action, subcode, data) == (
        ErrorAction.ATTRIBUTE_DISCARD, UpdateMessageSubcode.ATTRIBUTE_LENGTH_ERROR, bad)
    assert len(update.attributes) == 4


def test_wrong_optional_bit_is_an_attribute_flags_error_treated_as_withdraw() -> None:
    optional_origin = bytes.fromhex("c0 01 01 00")
    attributes = optional_origin + AS_PATH_65001_65002 + NEXT_HOP_192_0_2_1
    data = update_message(b"", attributes, b"\x08\x0a")
    update = decode_update(data, CTX)
    assert problem_of(update, AttrType.ORIGIN) == (
        ErrorAction.TREAT_AS_WITHDRAW, UpdateMessageSubcode.ATTRIBUTE_FLAGS_ERROR, optional_origin)


def test_repeated_attribute_keeps_the_first() -> None:
    second_med = bytes.fromhex("80 04 04 00000005")
    update = decode_update(update_message(b"", BASIC_ATTRIBUTES + second_med, b"\x08\x0a"), CTX)
    assert update.attr(MultiExitDisc) == MultiExitDisc(100)
    assert problem_of(update, AttrType.MULTI_EXIT_DISC)[0] is ErrorAction.ATTRIBUTE_DISCARD


def test_repeated_mp_reach_resets_the_session() -> None:
    mp = bytes.fromhex(MP_REACH_2001_DB8)
    with pytest.raises(MalformedAttributeList):
        decode_update(update_message(b"", ORIGIN_IGP + AS_PATH_65001_65002 + mp + mp, b""), CTX)


def test_malformed_mp_reach_resets_the_session_with_the_attribute_as_data() -> None:
    bad = bytes.fromhex("80 0e 0a 0002 01 05 0102030405 00")  # a 5-octet IPv6 next hop
    with pytest.raises(OptionalAttributeError) as caught:
        decode_update(update_message(b"", ORIGIN_IGP + AS_PATH_65001_65002 + bad, b""), CTX)
    assert caught.value.data == bad


def test_unrecognized_well_known_attribute_resets_the_session() -> None:
    unknown = bytes.fromhex("40 63 01 00")  # type 99 without the optional bit
    with pytest.raises(UnrecognizedWellKnownAttribute) as caught:
        decode_update(update_message(b"", BASIC_ATTRIBUTES + unknown, b"\x08\x0a"), CTX)
    assert caught.value.data == unknown


def test_unknown_optional_transitive_attribute_is_kept_and_passed_on_with_partial() -> None:
    unknown = bytes.fromhex("c0 63 03 010203")
    data = update_message(b"", BASIC_ATTRIBUTES + unknown, b"\x08\x0a")
    update = decode_update(data, CTX)
    kept = update.attributes[-1]
    assert isinstance(kept, UnknownAttribute)
    assert (kept.code, kept.value, kept.is_transitive) == (99, b"\x01\x02\x03", True)
    assert update.encode(CTX) == data
    assert kept.passed_on().encode(CTX) == bytes.fromhex("e0 63 03 010203")


def test_attribute_overrunning_the_list_is_treat_as_withdraw() -> None:
    data = update_message(b"", ORIGIN_IGP + bytes.fromhex("40 02 20 02 01"), b"\x08\x0a")
    update = decode_update(data, CTX)
    assert update.treat_as_withdraw
    assert update.nlri == (IPv4Network("10.0.0.0/8"),)


def test_lengths_overrunning_the_message_are_malformed_attribute_list() -> None:
    with pytest.raises(MalformedAttributeList):
        decode_update(MARKER + b"\x00\x17\x02" + b"\x00\x09\x00\x00", CTX)
    with pytest.raises(MalformedAttributeList):
        decode_update(MARKER + b"\x00\x17\x02" + b"\x00\x00\x00\x09", CTX)


def test_malformed_nlri_is_invalid_network_field() -> None:
    with pytest.raises(InvalidNetworkField):
        decode_update(update_message(b"", BASIC_ATTRIBUTES, b"\x21\x01\x02\x03\x04\x05"), CTX)


def test_local_pref_from_an_external_peer_is_discarded() -> None:
    data = update_message(b"", BASIC_ATTRIBUTES + bytes.fromhex("40 05 04 00000064"), b"\x08\x0a")
    assert decode_update(data, Negotiated(internal=True)).attr(LocalPref) == LocalPref(100)
    assert decode_update(data, Negotiated(internal=None)).attr(LocalPref) == LocalPref(100)
    external = decode_update(data, Negotiated(internal=False))
    assert external.attr(LocalPref) is None
    assert problem_of(external, AttrType.LOCAL_PREF)[0] is ErrorAction.ATTRIBUTE_DISCARD


@pytest.mark.parametrize("value", ["40 05 03 000001", "80 05 04 00000064", "40 05 00"])
def test_any_local_pref_from_an_external_peer_is_discarded_even_malformed(value: str) -> None:
    """RFC 7606 §7.5: from an external peer it is discarded; only internal ones are checked."""
    data = update_message(b"", BASIC_ATTRIBUTES + bytes.fromhex(value), b"\x08\x0a")
    external = decode_update(data, Negotiated(internal=False))
    assert not external.treat_as_withdraw
    assert external.attr(LocalPref) is None
    assert problem_of(external, AttrType.LOCAL_PREF)[0] is ErrorAction.ATTRIBUTE_DISCARD
    assert decode_update(data, Negotiated(internal=True)).treat_as_withdraw


# --- Packing ----------------------------------------------------------------------------------


def v4_prefixes(count: int) -> list[IPv4Network]:
    return [IPv4Network((0x0A000000 + (i << 8), 24)) for i in range(count)]


def test_pack_announcements_fills_messages_and_loses_nothing() -> None:
    attributes = (Origin(OriginCode.IGP), ASPath.from_asns([65001]),
                  NextHop(IPv4Address("192.0.2.1")))
    prefixes = v4_prefixes(3000)
    updates = pack_announcements(attributes, prefixes, CTX)
    encoded = [u.encode(CTX) for u in updates]
    assert all(len(m) <= 4096 for m in encoded)
    # Each /24 takes 4 octets; the fixed part is 23 + 4 + 9 + 7 octets: 1013 prefixes a message.
    assert len(updates) == 3
    decoded = [decode_update(m, CTX) for m in encoded]
    assert [p for u in decoded for p in u.nlri] == prefixes
    assert all(u.attributes == attributes for u in decoded)


def test_pack_announcements_in_mp_reach_and_extended_messages() -> None:
    template = MPReachNLRI(IPV6_UNICAST, (IPv6Address("2001:db8::1"),), ())
    attributes = (Origin(OriginCode.IGP), ASPath.from_asns([65001]), template)
    prefixes = [IPv6Network((0x20010DB8 << 96 | i << 80, 48)) for i in range(12000)]
    small = pack_announcements(attributes, prefixes, CTX)
    big_ctx = Negotiated(extended_message=True)
    big = pack_announcements(attributes, prefixes, big_ctx)
    assert len(big) < len(small)
    for updates, ctx in ((small, CTX), (big, big_ctx)):
        encoded = [u.encode(ctx) for u in updates]
        assert all(len(m) <= ctx.max_message_length for m in encoded)
        assert all(len(m) > ctx.max_message_length - 8 for m in encoded[:-1])  # full ones
        got = [p for m in encoded for _, p in decode_update(m, ctx).announced()]
        assert got == prefixes


def test_pack_withdrawals_classic_and_multiprotocol() -> None:
    prefixes = v4_prefixes(2000)
    classic = pack_withdrawals(IPV4_UNICAST, prefixes, CTX)
    assert [p for u in classic for p in u.withdrawn] == prefixes
    assert all(len(u.encode(CTX)) <= 4096 for u in classic)
    mp = pack_withdrawals(IPV4_UNICAST, prefixes, CTX, multiprotocol=True)
    assert [p for u in mp for _, p in decode_update(u.encode(CTX), CTX).withdrawals()] == prefixes
