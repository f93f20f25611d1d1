"""RFC 6793 §4.2: sending to and receiving from a speaker without 4-octet AS numbers."""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import given
from hypothesis import strategies as st

from bgpwire.attributes import (
    Aggregator,
    AS4Aggregator,
    AS4Path,
    ASPath,
    ASPathSegment,
    merge_as4_aggregator,
    merge_as4_path,
)
from bgpwire.constants import AS_TRANS, ASPathSegmentType
from bgpwire.context import Negotiated
from tests.strategies.attributes import PLAIN_TYPES, segments

TWO = Negotiated(four_octet_as=False)
SEQ = ASPathSegmentType.AS_SEQUENCE
SET = ASPathSegmentType.AS_SET
CSEQ = ASPathSegmentType.AS_CONFED_SEQUENCE
ADDRESS = IPv4Address("192.0.2.1")
BIG1, BIG2 = 4200000001, 4200000002


def path(*segs: tuple[ASPathSegmentType, tuple[int, ...]]) -> ASPath:
    return ASPath(tuple(ASPathSegment(kind, asns) for kind, asns in segs))


def as4(*segs: tuple[ASPathSegmentType, tuple[int, ...]]) -> AS4Path:
    return AS4Path(tuple(ASPathSegment(kind, asns) for kind, asns in segs))


# --- sending (RFC 6793 §4.2.2) ---------------------------------------------------------------

def test_as_two_octet_substitutes_as_trans_and_builds_as4_path() -> None:
    original = ASPath.from_asns([65001, BIG1, 65002])
    two, four = original.as_two_octet()
    assert two == ASPath.from_asns([65001, AS_TRANS, 65002])
    assert four == AS4Path.from_asns([65001, BIG1, 65002])
    assert two.encode_value(TWO).hex() == "0203fde95ba0fdea"  # AS_TRANS is 23456 = 0x5ba0


def test_as_two_octet_needs_no_as4_path_when_everything_fits() -> None:
    original = ASPath.from_asns([65001, 65002])
    assert original.as_two_octet() == (original, None)


def test_as_two_octet_leaves_confederation_segments_out_of_as4_path() -> None:
    original = path((CSEQ, (BIG2,)), (SEQ, (BIG1,)))
    two, four = original.as_two_octet()
    assert two == path((CSEQ, (AS_TRANS,)), (SEQ, (AS_TRANS,)))
    assert four == AS4Path.from_asns([BIG1])


def test_aggregator_as_two_octet() -> None:
    agg = Aggregator(BIG1, ADDRESS)
    assert agg.as_two_octet() == (Aggregator(AS_TRANS, ADDRESS), AS4Aggregator(BIG1, ADDRESS))
    small = Aggregator(65001, ADDRESS)
    assert small.as_two_octet() == (small, None)


# --- receiving (RFC 6793 §4.2.3) -------------------------------------------------------------

def test_no_as4_path_keeps_as_path() -> None:
    received = ASPath.from_asns([65001, AS_TRANS])
    assert merge_as4_path(received, None) is received


def test_leading_asns_come_from_as_path() -> None:
    # A 2-octet speaker (65001) prepended itself to a path that carried AS4_PATH: AS_PATH has
    # 4 numbers, AS4_PATH 3, so the first number of AS_PATH leads the AS4_PATH.
    received = ASPath.from_asns([65001, AS_TRANS, AS_TRANS, 65002])
    four = AS4Path.from_asns([BIG1, BIG2, 65002])
    assert merge_as4_path(received, four) == ASPath.from_asns([65001, BIG1, BIG2, 65002])


def test_equal_lengths_take_as4_path_whole() -> None:
    received = ASPath.from_asns([AS_TRANS, 65002])
    four = AS4Path.from_asns([BIG1, 65002])
    assert merge_as4_path(received, four) == ASPath.from_asns([BIG1, 65002])


def test_as4_path_longer_than_as_path_is_ignored() -> None:
    received = ASPath.from_asns([AS_TRANS, 65002])
    four = AS4Path.from_asns([65009, BIG1, 65002])
    assert merge_as4_path(received, four) == received


def test_as_set_counts_one() -> None:
    # AS_PATH: 65001 23456 {1 2} counts 3; AS4_PATH: 4200000001 {1 2} counts 2: take one.
    received = path((SEQ, (65001, AS_TRANS)), (SET, (1, 2)))
    four = as4((SEQ, (BIG1,)), (SET, (1, 2)))
    assert merge_as4_path(received, four) == path((SEQ, (65001, BIG1)), (SET, (1, 2)))


def test_leading_set_is_taken_whole() -> None:
    # AS_PATH: {7 8} 23456 counts 2, AS4_PATH: 4200000001 counts 1: the set is the one to take.
    received = path((SET, (7, 8)), (SEQ, (AS_TRANS,)))
    four = AS4Path.from_asns([BIG1])
    assert merge_as4_path(received, four) == path((SET, (7, 8)), (SEQ, (BIG1,)))


def test_leading_confederation_segment_is_kept() -> None:
    # Confederation segments count zero, and one that leads the AS_PATH is prepended.
    received = path((CSEQ, (65010,)), (SEQ, (AS_TRANS, 65002)))
    four = AS4Path.from_asns([BIG1, 65002])
    assert merge_as4_path(received, four) == path((CSEQ, (65010,)), (SEQ, (BIG1, 65002)))


def test_confederation_segment_adjacent_to_taken_one_is_kept() -> None:
    received = path((SEQ, (65001,)), (CSEQ, (65010,)), (SEQ, (AS_TRANS,)))
    four = AS4Path.from_asns([BIG1])
    assert merge_as4_path(received, four) == path(
        (SEQ, (65001,)), (CSEQ, (65010,)), (SEQ, (BIG1,)))


def test_aggregator_not_as_trans_means_as4_attributes_are_ignored() -> None:
    # The aggregating speaker did not know AS4_PATH: it may be stale, so AS_PATH stands.
    received = ASPath.from_asns([65001, AS_TRANS])
    four = AS4Path.from_asns([65001, BIG1])
    agg = Aggregator(65003, ADDRESS)
    assert merge_as4_path(received, four, agg) == received
    assert merge_as4_aggregator(agg, AS4Aggregator(BIG2, ADDRESS)) == agg


def test_aggregator_as_trans_takes_as4_aggregator() -> None:
    agg = Aggregator(AS_TRANS, ADDRESS)
    other = IPv4Address("192.0.2.9")
    assert merge_as4_aggregator(agg, AS4Aggregator(BIG2, other)) == Aggregator(BIG2, other)
    assert merge_as4_aggregator(agg, None) == agg
    received = ASPath.from_asns([65001, AS_TRANS])
    four = AS4Path.from_asns([BIG1])
    assert merge_as4_path(received, four, agg) == ASPath.from_asns([65001, BIG1])


@given(st.lists(segments(PLAIN_TYPES), max_size=6))
def test_sending_then_receiving_gives_the_path_back(segs: list[ASPathSegment]) -> None:
    original = ASPath(tuple(segs))
    two, four = original.as_two_octet()
    # What travels survives the 2-octet wire, and the receiver rebuilds the original.
    wire_two = ASPath.decode_value(two.encode_value(TWO), TWO)
    wire_four = None if four is None else AS4Path.decode_value(four.encode_value(TWO), TWO)
    assert merge_as4_path(wire_two, wire_four) == original


@given(st.lists(segments(PLAIN_TYPES), min_size=1, max_size=4),
       st.lists(st.integers(1, 0xFFFF), min_size=1, max_size=4))
def test_prepends_by_two_octet_speakers_are_kept(segs: list[ASPathSegment],
                                                   prepend: list[int]) -> None:
    original = ASPath(tuple(segs))
    two, four = original.as_two_octet()
    # Old speakers prepend their own 2-octet numbers to AS_PATH and pass AS4_PATH along.
    grown = ASPath((ASPathSegment(SEQ, tuple(prepend)), *two.segments))
    merged = merge_as4_path(grown, four)
    assert merged.path_length == grown.path_length
    assert merged.asns[:len(prepend)] == tuple(prepend)
    assert merged.asns[-len(original.asns):] == original.asns
