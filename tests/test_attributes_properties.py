"""Properties of every attribute codec: round trips both ways, and no crash on any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bgpwire.attributes import (
    AIGP,
    ATTRIBUTE_TYPES,
    Aggregator,
    AS4Path,
    ASPath,
    MPReachNLRI,
    MPUnreachNLRI,
    PathAttribute,
)
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import UpdateMessageError
from bgpwire.families import PREFIX_FAMILIES
from tests.strategies.attributes import (
    aggregators,
    as_paths,
    mp_reach_nlris,
    mp_unreach_nlris,
    path_attributes,
)

TWO = Negotiated(four_octet_as=False)
ADD_PATH = Negotiated(add_path=PREFIX_FAMILIES)
CONTEXTS = [DEFAULT_CONTEXT, TWO, ADD_PATH]
CLASSES = sorted(ATTRIBUTE_TYPES.values(), key=lambda cls: cls.TYPE)

# Decoding normalises these two (RFC 6793 §6 drops confederation segments from AS4_PATH; the
# AIGP TLV is written first): for them, encode(decode(b)) == b holds only for canonical bytes.
NORMALISING: frozenset[type[PathAttribute]] = frozenset({AS4Path, AIGP})


def round_trip(value: PathAttribute, ctx: Negotiated) -> None:
    wire = value.encode(ctx)
    value_field = wire[4:] if wire[0] & 0x10 else wire[3:]
    decoded = type(value).decode_value(value_field, ctx)
    assert decoded == value
    assert decoded.encode(ctx) == wire


@given(path_attributes())
def test_decode_encode_is_identity(value: PathAttribute) -> None:
    round_trip(value, DEFAULT_CONTEXT)


@given(st.one_of(as_paths(two_octet=True), aggregators(two_octet=True)))
def test_two_octet_round_trip(value: ASPath | Aggregator) -> None:
    round_trip(value, TWO)


@given(st.one_of(mp_reach_nlris(add_path=True), mp_unreach_nlris(add_path=True)))
def test_add_path_round_trip(value: MPReachNLRI | MPUnreachNLRI) -> None:
    round_trip(value, ADD_PATH)


@settings(max_examples=300)
@given(st.sampled_from(CLASSES), st.sampled_from(CONTEXTS), st.binary(max_size=80))
def test_any_bytes_decode_or_raise_update_error(cls: type[PathAttribute], ctx: Negotiated,
                                                data: bytes) -> None:
    try:
        value = cls.decode_value(data, ctx)
    except UpdateMessageError as exc:
        assert exc.reason
        return
    # Whatever decodes encodes back to the same bytes, unless the class normalises.
    encoded = value.encode_value(ctx)
    if cls in NORMALISING:
        assert cls.decode_value(encoded, ctx) == value
    else:
        assert encoded == data


def _prefix_family_values() -> st.SearchStrategy[tuple[type[PathAttribute], bytes]]:
    # Random bytes rarely form a valid AFI/SAFI or AS_PATH: bias the fuzz towards the shapes the
    # fast paths take, so they meet malformed input too.
    head = st.sampled_from([b"\x00\x01\x01", b"\x00\x02\x01", b"\x00\x01\x02", b"\x00\x02\x02"])
    reach = st.tuples(head, st.sampled_from([0, 4, 16, 32, 33]), st.binary(max_size=60)).map(
        lambda t: (MPReachNLRI, t[0] + bytes((t[1],)) + t[2]))
    unreach = st.tuples(head, st.binary(max_size=60)).map(lambda t: (MPUnreachNLRI, t[0] + t[1]))
    as_path = st.tuples(st.integers(0, 5), st.integers(0, 6), st.binary(max_size=30)).map(
        lambda t: (ASPath, bytes(t[:2]) + t[2]))
    aigp = st.tuples(st.integers(0, 3), st.integers(0, 14), st.binary(max_size=20)).map(
        lambda t: (AIGP, bytes((t[0],)) + t[1].to_bytes(2, "big") + t[2]))
    return st.one_of(reach, unreach, as_path, aigp)


@settings(max_examples=500)
@given(_prefix_family_values(), st.sampled_from(CONTEXTS))
def test_shaped_bytes_decode_or_raise_update_error(
    case: tuple[type[PathAttribute], bytes], ctx: Negotiated
) -> None:
    cls, data = case
    try:
        value = cls.decode_value(data, ctx)
    except UpdateMessageError as exc:
        assert exc.reason
        return
    encoded = value.encode_value(ctx)
    if cls in NORMALISING:
        assert cls.decode_value(encoded, ctx) == value
    else:
        assert encoded == data


@given(path_attributes())
def test_str_never_fails(value: PathAttribute) -> None:
    assert isinstance(str(value), str)
