"""AS_PATHs later RFCs call malformed: the routes are treated as withdrawn (RFC 7606 §7.2)."""

from __future__ import annotations

from bgpwire.attributes import ASPath, ASPathSegment, Origin
from bgpwire.constants import ASPathSegmentType, OriginCode
from bgpwire.families import IPV4_UNICAST
from bgpwire.rib import AdjRibIn
from tests.test_rib_in import LOCAL_AS, P1, P2, announce4, wire

SEQ, CONFED = ASPathSegmentType.AS_SEQUENCE, ASPathSegmentType.AS_CONFED_SEQUENCE


def path(*segments: tuple[ASPathSegmentType, tuple[int, ...]]) -> tuple[Origin, ASPath]:
    return (Origin(OriginCode.IGP),
            ASPath(tuple(ASPathSegment(kind, asns) for kind, asns in segments)))


def test_as_0_in_the_path_withdraws_rfc_7607() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1)))
    change = rib.apply(wire(announce4(P1, P2, attributes=path((SEQ, (65001, 0))))))
    assert set(change.rejected) == {(IPV4_UNICAST, P1), (IPV4_UNICAST, P2)}
    assert [r.prefix for r in change.withdrawn] == [P1] and len(rib) == 0


def test_confederation_segments_from_an_external_peer_withdraw_rfc_5065() -> None:
    confed = path((CONFED, (65100,)), (SEQ, (65001,)))
    external = AdjRibIn(LOCAL_AS)
    external.external = True
    assert external.apply(wire(announce4(P1, attributes=confed))).rejected == (
        (IPV4_UNICAST, P1),)
    internal = AdjRibIn(LOCAL_AS)  # the speaker says external only for eBGP sessions
    assert internal.apply(wire(announce4(P1, attributes=confed))).announced
    plain = external.apply(wire(announce4(P2, attributes=path((SEQ, (65001, 65002))))))
    assert [r.prefix for r in plain.announced] == [P2]
