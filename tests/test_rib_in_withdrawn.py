"""Whole-table removals from the Adj-RIB-In: LazyRoutes builds the routes only when read."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import cast

from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.messages.update import received_field
from bgpwire.prefixes import PathPrefix
from bgpwire.rib import AdjRibIn, LazyRoutes, Route
from bgpwire.rib.compact import prefix_key
from bgpwire.rib.stored import stale_path, stored_path
from tests.test_rib_in import LL6, LOCAL_AS, NH4, NH6, P1, P2, Q1, Q2, announce4, announce6, wire


def filled() -> tuple[AdjRibIn, list[Route]]:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1, P2)))
    rib.apply(wire(announce6(Q1, Q2, next_hops=(NH6, LL6))))
    routes = list(rib.routes())
    assert len(routes) == 4
    return rib, routes


def test_clear_hands_over_the_table_and_reads_back_the_same_routes() -> None:
    rib, before = filled()
    change = rib.clear()
    withdrawn = change.withdrawn
    assert isinstance(withdrawn, LazyRoutes)
    assert len(rib) == 0 and rib.counts() == {} and len(withdrawn) == 4 and change
    assert list(withdrawn) == before and list(withdrawn) == before  # read twice
    assert withdrawn == tuple(before) and withdrawn == before and withdrawn != before[:3]
    assert withdrawn[0] == before[0] and withdrawn[-1].link_local == LL6
    assert withdrawn[1:3] == tuple(before[1:3])
    assert hash(withdrawn) == hash(tuple(before))
    assert repr(withdrawn) == f"LazyRoutes({before!r})"  # a few routes are shown


def test_a_whole_table_shows_only_its_length() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(*(IPv4Network(f"10.0.{i}.0/24") for i in range(9)))))
    assert repr(rib.clear().withdrawn) == "LazyRoutes(9 routes)"


def test_clear_of_one_family_leaves_the_other() -> None:
    rib, _ = filled()
    withdrawn = rib.clear([IPV6_UNICAST]).withdrawn
    assert {r.prefix for r in withdrawn} == {Q1, Q2}
    assert [r.prefix for r in rib.routes()] == [P1, P2]
    assert not rib.clear([IPV6_UNICAST])  # nothing left to drop: an empty change
    assert len(rib.clear([IPV6_UNICAST]).withdrawn) == 0


def test_the_table_filled_again_does_not_change_what_was_withdrawn() -> None:
    rib, before = filled()
    withdrawn = rib.clear().withdrawn
    rib.apply(wire(announce4(P1, next_hop=NH4)))
    assert list(withdrawn) == before and len(rib) == 1


def test_sweep_hands_over_only_the_stale_routes() -> None:
    rib, _ = filled()
    rib.mark_stale()
    rib.apply(wire(announce4(P1)))  # re-announced: fresh again
    swept = rib.sweep_stale().withdrawn
    assert sorted(str(r.prefix) for r in swept) == sorted(str(p) for p in (P2, Q1, Q2))
    assert all(r.stale for r in swept)
    assert [(r.prefix, r.stale) for r in rib.routes()] == [(P1, False)]
    assert len(rib.sweep_stale().withdrawn) == 0


def test_path_identifiers_survive_the_compact_keys() -> None:
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    rib = AdjRibIn(LOCAL_AS)
    items = (PathPrefix(1, P1), PathPrefix(7, P1), PathPrefix(0, IPv4Network("10.9.0.0/16")))
    rib.apply(wire(announce4(*items), ctx))  # type: ignore[arg-type]
    assert sorted(map(str, (r.prefix for r in rib.clear().withdrawn))) == sorted(map(str, items))



def test_routes_in_runs_read_back_each_key_with_its_run_s_path() -> None:
    """LazyRoutes.runs, as apply_all reports UPDATEs installed together: each key with the path
    of its run, the same routes as a part per UPDATE."""
    rib = AdjRibIn(LOCAL_AS)
    ten_nine = IPv4Network("10.9.0.0/16")
    updates = [wire(announce4(P1, P2, next_hop=NH4)), wire(announce4(ten_nine))]
    first, second = (rib.apply(update) for update in updates)
    path1, path2 = (stored_path((), received_field(update), NH4, None) for update in updates)
    keys = [prefix_key(prefix) for prefix in (P1, P2, ten_nine)]
    runs = LazyRoutes.runs(IPV4_UNICAST, cast(list[bytes], keys), [path1, stale_path(path2)],
                           [2, 1])
    assert len(runs) == 3
    assert list(runs)[:2] == list(first.announced)
    assert list(runs)[2].stale and list(runs)[2].fresh() == second.announced[0]
