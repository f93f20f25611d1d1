"""The <length, prefix> encoding, with and without ADD-PATH path identifiers."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpwire.constants import AFI
from bgpwire.errors import InvalidNetworkField, LocalProtocolError
from bgpwire.prefixes import (
    NLRIItem,
    PathPrefix,
    PrefixList,
    encode_prefix,
    encode_prefixes,
    network,
    prefix_values,
)


def v4(text: str) -> IPv4Network:
    return IPv4Network(text)


def test_golden_ipv4_prefixes() -> None:
    data = bytes([
        24, 192, 0, 2,        # 192.0.2.0/24: three octets
        32, 198, 51, 100, 7,  # 198.51.100.7/32: four octets
        0,                    # 0.0.0.0/0: no octet at all
        9, 128, 0,            # 128.0.0.0/9: two octets, the second carries one bit
    ])
    prefixes = PrefixList.decode(data, AFI.IPV4, add_path=False)
    assert len(prefixes) == 4
    assert tuple(prefixes) == (
        v4("192.0.2.0/24"), v4("198.51.100.7/32"), v4("0.0.0.0/0"), v4("128.0.0.0/9"))
    assert encode_prefixes(tuple(prefixes), AFI.IPV4, add_path=False) == data


def test_golden_ipv6_with_path_ids() -> None:
    data = bytes.fromhex(
        "00000001" "30" "20010db80001"   # path 1, 2001:db8:1::/48
        "0000ffff" "80" + "20010db8" + "00" * 11 + "01"  # path 65535, 2001:db8::1/128
    )
    prefixes = PrefixList.decode(data, AFI.IPV6, add_path=True)
    assert tuple(prefixes) == (
        PathPrefix(1, IPv6Network("2001:db8:1::/48")),
        PathPrefix(65535, IPv6Network("2001:db8::1/128")),
    )
    assert encode_prefixes(tuple(prefixes), AFI.IPV6, add_path=True) == data


def test_trailing_bits_beyond_the_length_are_ignored() -> None:
    # RFC 4271 §4.3: bits after the prefix length are irrelevant: 10.1.255.0/23 is 10.1.254.0/23.
    prefixes = PrefixList.decode(bytes([23, 10, 1, 255]), AFI.IPV4, add_path=False)
    assert tuple(prefixes) == (v4("10.1.254.0/23"),)


@pytest.mark.parametrize(("data", "afi", "add_path"), [
    (bytes([33, 1, 2, 3, 4, 5]), AFI.IPV4, False),   # longer than an IPv4 address
    (bytes([129]) + bytes(17), AFI.IPV6, False),     # longer than an IPv6 address
    (bytes([24, 10, 0]), AFI.IPV4, False),           # cut short
    (bytes([0, 0, 0]), AFI.IPV4, True),              # ends inside the path identifier
    (bytes([0, 0, 0, 1]), AFI.IPV4, True),           # path identifier without a prefix
])
def test_malformed_prefixes_are_invalid_network_field(
        data: bytes, afi: AFI, add_path: bool) -> None:
    with pytest.raises(InvalidNetworkField) as caught:
        PrefixList.decode(data, afi, add_path)
    assert caught.value.code == 3 and caught.value.subcode == 10


def test_prefix_list_behaves_as_the_tuple_of_its_items() -> None:
    data = bytes([24, 192, 0, 2, 16, 10, 1])
    lazy = PrefixList.decode(data, AFI.IPV4, add_path=False)
    items = (v4("192.0.2.0/24"), v4("10.1.0.0/16"))
    assert lazy == items and items == lazy
    assert hash(lazy) == hash(items)
    assert lazy[1] == items[1] and lazy[:1] == items[:1]
    assert list(lazy) == list(items)
    assert lazy != (v4("192.0.2.0/24"),)
    assert repr(lazy) == repr(items)


def test_prefix_list_reuses_received_bytes_only_for_the_same_encoding() -> None:
    data = bytes([24, 192, 0, 2])
    lazy = PrefixList.decode(data, AFI.IPV4, add_path=False)
    assert lazy.wire_bytes(AFI.IPV4, False) is data
    assert lazy.wire_bytes(AFI.IPV4, True) is None
    with pytest.raises(LocalProtocolError):
        encode_prefixes(lazy, AFI.IPV4, add_path=True)


def test_encoding_refuses_mixed_families_and_path_id_mismatches() -> None:
    with pytest.raises(LocalProtocolError):
        encode_prefixes((IPv6Network("2001:db8::/32"),), AFI.IPV4, add_path=False)
    with pytest.raises(LocalProtocolError):
        encode_prefix(PathPrefix(1, v4("10.0.0.0/8")), add_path=False)
    with pytest.raises(LocalProtocolError):
        PathPrefix(1 << 32, v4("10.0.0.0/8"))


def _networks(version: int) -> st.SearchStrategy[IPv4Network | IPv6Network]:
    bits = 32 if version == 4 else 128
    network = IPv4Network if version == 4 else IPv6Network
    return st.builds(
        lambda value, length: network((value >> (bits - length) << (bits - length), length)),
        st.integers(0, (1 << bits) - 1), st.integers(0, bits))


@given(st.lists(_networks(4)), st.booleans(), st.integers(0, 0xFFFFFFFF))
def test_ipv4_round_trip(networks: list[IPv4Network], add_path: bool, path_id: int) -> None:
    items: tuple[NLRIItem, ...] = tuple(
        PathPrefix(path_id, n) for n in networks) if add_path else tuple(networks)
    data = encode_prefixes(items, AFI.IPV4, add_path)
    assert len(PrefixList.decode(data, AFI.IPV4, add_path)) == len(items)
    decoded = PrefixList.decode(data, AFI.IPV4, add_path)
    assert decoded == items
    # Objects built by the fast path behave exactly as the stdlib's own.
    for got, want in zip(decoded, items, strict=True):
        got_net = got.prefix if isinstance(got, PathPrefix) else got
        want_net = want.prefix if isinstance(want, PathPrefix) else want
        assert str(got_net) == str(want_net) and got_net.num_addresses == want_net.num_addresses
        assert got_net.broadcast_address == want_net.broadcast_address


@given(st.lists(_networks(6)))
def test_ipv6_round_trip(networks: list[IPv6Network]) -> None:
    data = encode_prefixes(tuple(networks), AFI.IPV6, add_path=False)
    decoded = PrefixList.decode(data, AFI.IPV6, add_path=False)
    assert decoded == tuple(networks)
    built = [n for n in decoded if isinstance(n, IPv6Network)]
    assert [str(n) for n in built] == [str(n) for n in networks]
    assert [n.is_private for n in built] == [n.is_private for n in networks]


@given(st.binary(max_size=64), st.sampled_from([AFI.IPV4, AFI.IPV6]), st.booleans())
def test_arbitrary_bytes_decode_or_raise_invalid_network_field(
        data: bytes, afi: AFI, add_path: bool) -> None:
    try:
        prefixes = PrefixList.decode(data, afi, add_path)
    except InvalidNetworkField:
        return
    items = tuple(prefixes)
    assert len(items) == len(prefixes)
    # Re-encoding a clean decode gives the canonical form, which decodes to the same prefixes.
    canonical = encode_prefixes(items, afi, add_path)
    assert PrefixList.decode(canonical, afi, add_path) == items


@pytest.mark.parametrize("length", [0, 1, 8, 24, 30, 31, 32])
def test_network_builds_what_the_stdlib_builds(length: int) -> None:
    value = (0xC0A80000 >> (32 - length) << (32 - length)) if length else 0
    assert network(AFI.IPV4, value, length) == IPv4Network((value, length))
    v6 = 0x20010DB8 << 96
    assert network(AFI.IPV6, v6, 32) == IPv6Network((v6, 32))
    assert str(network(AFI.IPV6, v6, 128)) == "2001:db8::/128"


@given(st.lists(_networks(4)), st.lists(_networks(6)))
def test_prefix_values_are_the_networks_as_integers(
        v4: list[IPv4Network], v6: list[IPv6Network]) -> None:
    for afi, networks in ((AFI.IPV4, v4), (AFI.IPV6, v6)):
        data = encode_prefixes(tuple(networks), afi, add_path=False)
        assert prefix_values(data, afi) == [
            (int(n.network_address), n.prefixlen) for n in networks]
