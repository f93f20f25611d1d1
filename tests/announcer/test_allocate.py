"""Rule 3: where each service's addresses come from, and that they never move needlessly."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from bgpwire_announcer.allocate import (
    Allocation,
    Assignment,
    PoolAddressError,
    allocate,
    assignments,
)
from bgpwire_announcer.model import Config, Service, ServiceAllocation
from bgpwire_announcer.state import StateFile

from .alloc_builders import DUAL, PREFER, REQUIRE, pool, selector, service


def with_status(config: Config, result: dict[str, Allocation]) -> Config:
    """The next reconcile in a cluster: every service's status holds what it was given."""
    services = tuple(replace(svc, status_ips=result[svc.key].ips) for svc in config.services)
    return replace(config, services=services)


def ips(result: dict[str, Allocation], key: str) -> tuple[str, ...]:
    return result[key].ips


# --- fresh allocation ------------------------------------------------------------------------


def test_fresh_addresses_are_the_lowest_free_in_key_order() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/30"),),
                    services=(service("b"), service("a"), service("c", "other")))
    result = allocate(config, {})
    assert ips(result, "default/a") == ("10.0.0.0",)
    assert ips(result, "default/b") == ("10.0.0.1",)
    assert ips(result, "other/c") == ("10.0.0.2",)
    assert {alloc.pool for alloc in result.values()} == {"p"}


def test_ranges_are_used_and_exhaustion_leaves_the_rest_pending() -> None:
    config = Config(pools=(pool("p", "10.0.0.5-10.0.0.6"),),
                    services=(service("a"), service("b"), service("c")))
    result = allocate(config, {})
    assert ips(result, "default/a") == ("10.0.0.5",)
    assert ips(result, "default/b") == ("10.0.0.6",)
    assert result["default/c"].ips == ()
    assert result["default/c"].pending == "no free IPv4 address in pools p"


def test_avoid_buggy_ips_skips_dot_zero_and_dot_255() -> None:
    config = Config(pools=(pool("p", "10.0.0.254-10.0.1.1", avoid_buggy=True),),
                    services=(service("a"), service("b"), service("c")))
    result = allocate(config, {})
    assert [ips(result, f"default/{n}") for n in "abc"] == [("10.0.0.254",), ("10.0.1.1",), ()]


def test_avoid_buggy_refuses_a_requested_dot_zero() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24", avoid_buggy=True),),
                    services=(service("a", requested=("10.0.0.0",)),))
    pending = allocate(config, {})["default/a"].pending
    assert pending is not None and "avoidBuggyIPs" in pending


def test_a_bad_pool_entry_names_the_pool_and_the_value() -> None:
    config = Config(pools=(pool("p", "10.0.0.9-10.0.0.1"),), services=(service("a"),))
    with pytest.raises(PoolAddressError, match=r"IPAddressPool/metallb-system/p: "
                                               r"spec.addresses=10.0.0.9-10.0.0.1"):
        allocate(config, {})


# --- families --------------------------------------------------------------------------------


def test_dual_stack_prefers_a_pool_holding_both_families() -> None:
    config = Config(pools=(pool("a-v4", "10.0.0.0/24"),
                           pool("b-dual", "10.1.0.0/24", "2001:db8::/120")),
                    services=(service("s", families=DUAL, policy=PREFER),
                              service("r", families=DUAL, policy=REQUIRE)))
    result = allocate(config, {})
    assert result["default/r"] == Allocation(("10.1.0.0", "2001:db8::"), "b-dual", None)
    assert result["default/s"] == Allocation(("10.1.0.1", "2001:db8::1"), "b-dual", None)


def test_prefer_dual_stack_falls_back_to_its_primary_family() -> None:
    config = Config(pools=(pool("a-v4", "10.0.0.0/24"), pool("b-v6", "2001:db8::/120")),
                    services=(service("v4first", families=DUAL, policy=PREFER),
                              service("v6first", families=("IPv6", "IPv4"), policy=PREFER)))
    result = allocate(config, {})
    assert result["default/v4first"] == Allocation(("10.0.0.0",), "a-v4", None)
    assert result["default/v6first"] == Allocation(("2001:db8::",), "b-v6", None)


def test_prefer_dual_stack_takes_the_other_family_when_its_primary_has_none() -> None:
    config = Config(pools=(pool("only-v4", "10.0.0.0/24"),),
                    services=(service("s", families=("IPv6", "IPv4"), policy=PREFER),))
    assert allocate(config, {})["default/s"] == Allocation(("10.0.0.0",), "only-v4", None)


def test_require_dual_stack_waits_with_the_reason() -> None:
    config = Config(pools=(pool("a-v4", "10.0.0.0/24"), pool("b-v6", "2001:db8::/120")),
                    services=(service("s", families=DUAL, policy=REQUIRE),))
    result = allocate(config, {})["default/s"]
    assert result.ips == () and result.pool is None
    assert result.pending == ("RequireDualStack: no pool holds free IPv4 and IPv6 addresses "
                              "for it (tried a-v4, b-v6)")


def test_require_dual_stack_with_one_family_listed_still_wants_both() -> None:
    config = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"),),
                    services=(service("s", families=("IPv6",), policy=REQUIRE),))
    assert allocate(config, {})["default/s"].ips == ("2001:db8::", "10.0.0.0")


def test_single_family_service_on_a_dual_pool_keeps_exactly_one_address() -> None:
    config = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"),),
                    services=(service("s"), service("t", families=("IPv6",))))
    result = allocate(config, {})
    assert ips(result, "default/s") == ("10.0.0.0",)
    assert ips(result, "default/t") == ("2001:db8::",)
    for _ in range(3):
        config = with_status(config, result)
        result = allocate(config, assignments(result))
        assert ips(result, "default/s") == ("10.0.0.0",)
        assert ips(result, "default/t") == ("2001:db8::",)


def test_a_status_address_of_a_family_the_service_lacks_is_dropped_not_kept() -> None:
    config = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"),),
                    services=(service("s", status=("10.0.0.7", "2001:db8::7")),))
    result = allocate(config, {})["default/s"]
    assert result.ips == ("10.0.0.7",)
    assert result.notes == ("status address 2001:db8::7 is IPv6; the service is IPv4: dropped",)


def test_prefer_dual_stack_gains_the_family_its_own_pool_gains() -> None:
    v4_only = Config(pools=(pool("mine", "10.0.0.0/24"),
                            pool("other", "10.9.0.0/24", "2001:db8:9::/120")),
                     services=(service("s", families=DUAL, policy=PREFER,
                                       pool_name="mine"),))
    first = allocate(v4_only, {})
    assert first["default/s"] == Allocation(("10.0.0.0",), "mine", None)
    grown = replace(with_status(v4_only, first),
                    pools=(pool("mine", "10.0.0.0/24", "2001:db8::/120"), v4_only.pools[1]))
    second = allocate(grown, assignments(first))["default/s"]
    assert second == Allocation(("10.0.0.0", "2001:db8::"), "mine", None)


def test_prefer_dual_stack_holder_is_not_moved_to_a_new_dual_pool() -> None:
    before = Config(pools=(pool("v4", "10.0.0.0/24"),),
                    services=(service("s", families=DUAL, policy=PREFER),))
    first = allocate(before, {})
    after = replace(with_status(before, first),
                    pools=(pool("a-dual", "10.5.0.0/24", "2001:db8::/120"), before.pools[0]))
    assert allocate(after, {})["default/s"] == Allocation(("10.0.0.0",), "v4", None)


def test_require_dual_stack_holder_completes_from_its_own_pool() -> None:
    config = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"),),
                    services=(service("s", families=DUAL, policy=REQUIRE,
                                      status=("10.0.0.9",)),))
    assert allocate(config, {})["default/s"] == Allocation(("10.0.0.9", "2001:db8::"),
                                                           "dual", None)


# --- holders never move ----------------------------------------------------------------------


def test_a_new_pool_never_moves_a_service_that_has_addresses() -> None:
    base = Config(pools=(pool("old", "10.0.0.0/24"),), services=(service("a"), service("b")))
    first = allocate(base, {})
    urgent = ServiceAllocation(priority=1, namespaces=("default",))
    moved = replace(with_status(base, first),
                    pools=(pool("new", "10.9.0.0/24", allocation=urgent), base.pools[0]),
                    services=(*with_status(base, first).services, service("c")))
    second = allocate(moved, {})
    assert ips(second, "default/a") == ips(first, "default/a") == ("10.0.0.0",)
    assert ips(second, "default/b") == ("10.0.0.1",)
    assert second["default/c"] == Allocation(("10.9.0.0",), "new", None)


def test_a_pool_losing_an_address_reallocates_that_service_only() -> None:
    base = Config(pools=(pool("p", "10.0.0.0/29"),),
                  services=(service("a"), service("b"), service("c")))
    first = allocate(base, {})
    assert ips(first, "default/b") == ("10.0.0.1",)
    shrunk = replace(with_status(base, first), pools=(pool("p", "10.0.0.0/32", "10.0.0.2/31"),))
    second = allocate(shrunk, assignments(first))
    assert ips(second, "default/a") == ("10.0.0.0",)
    assert ips(second, "default/c") == ("10.0.0.2",)
    assert ips(second, "default/b") == ("10.0.0.3",)
    assert second["default/b"].notes == (
        "status address 10.0.0.1 lies in no IPAddressPool: replaced",
        "state file address 10.0.0.1 lies in no IPAddressPool: replaced")


def test_restart_from_the_state_file_keeps_every_address() -> None:
    base = Config(pools=(pool("p", "10.0.0.0/24", "2001:db8::/120"),),
                  services=tuple(service(f"s{i}", families=DUAL, policy=PREFER)
                                 for i in range(20)))
    first = allocate(base, {})
    # Half the services go away and come back in another order; a pool with a better rank
    # appears. Only the state file remembers.
    later = replace(base, pools=(pool("a-first", "10.7.0.0/24", "2001:db8:7::/120"),
                                 *base.pools),
                    services=tuple(reversed(base.services)))
    second = allocate(later, assignments(first))
    assert second == first


def test_state_file_entries_of_gone_services_free_nothing_needed() -> None:
    base = Config(pools=(pool("p", "10.0.0.0/30"),), services=(service("a"),))
    remembered = {"default/gone": Assignment(("10.0.0.0",), "p")}
    assert ips(allocate(base, remembered), "default/a") == ("10.0.0.0",)


# --- precedence: requested, status, state file, fresh ------------------------------------------


def test_requested_addresses_win_over_status_and_state() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("a", requested=("10.0.0.50",), status=("10.0.0.7",)),))
    remembered = {"default/a": Assignment(("10.0.0.9",), "p")}
    assert allocate(config, remembered)["default/a"] == Allocation(("10.0.0.50",), "p", None)


def test_status_wins_over_the_state_file() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("a", status=("10.0.0.7",)),))
    remembered = {"default/a": Assignment(("10.0.0.9",), "p")}
    assert ips(allocate(config, remembered), "default/a") == ("10.0.0.7",)


def test_status_from_metallb_is_kept_even_where_a_fresh_allocation_would_differ() -> None:
    config = Config(pools=(pool("a-best", "10.0.0.0/24"), pool("b", "10.1.0.0/24")),
                    services=(service("x", status=("10.1.0.77",)), service("y")))
    result = allocate(config, {})
    assert result["default/x"] == Allocation(("10.1.0.77",), "b", None)
    assert ips(result, "default/y") == ("10.0.0.0",)


def test_status_in_a_pool_that_may_not_serve_it_is_replaced_with_the_reason() -> None:
    only_prod = ServiceAllocation(namespaces=("prod",))
    config = Config(pools=(pool("prod", "10.9.0.0/24", allocation=only_prod),
                           pool("shared", "10.0.0.0/24")),
                    services=(service("x", status=("10.9.0.1",)),
                              service("y", status=("192.0.2.1",)),
                              service("z", status=("10.9.0.2",), pool_name="shared")))
    result = allocate(config, {})
    assert result["default/x"] == Allocation(
        ("10.0.0.0",), "shared", None,
        ("status address 10.9.0.1 lies in pool prod, whose serviceAllocation does not select "
         "this service: replaced",))
    assert result["default/y"].notes == (
        "status address 192.0.2.1 lies in no IPAddressPool: replaced",)
    assert result["default/z"].notes == (
        "status address 10.9.0.2 lies in pool prod, not in pool shared named by address-pool: "
        "replaced",)


def test_status_conflict_first_requested_then_key_order() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("a", status=("10.0.0.5",)),
                              service("b", status=("10.0.0.5",)),
                              service("c", requested=("10.0.0.5",))))
    result = allocate(config, {})
    assert ips(result, "default/c") == ("10.0.0.5",)
    assert ips(result, "default/a") == ("10.0.0.0",)
    assert ips(result, "default/b") == ("10.0.0.1",)
    assert result["default/a"].notes == (
        "status address 10.0.0.5 in use by default/c: replaced",)


def test_requested_address_checks() -> None:
    named = ServiceAllocation(namespaces=("prod",))
    config = Config(
        pools=(pool("p", "10.0.0.0/24"), pool("q", "10.1.0.0/24"),
               pool("prod", "10.9.0.0/24", allocation=named)),
        services=(service("outside", requested=("192.0.2.1",)),
                  service("wrong-pool", requested=("10.0.0.1",), pool_name="q"),
                  service("garbage", requested=("not-an-ip",)),
                  service("two-pools", families=DUAL, policy=REQUIRE,
                          requested=("10.0.0.2", "2001:db8::1")),
                  service("family", requested=("2001:db8::1",)),
                  service("refused", requested=("10.9.0.1",)),
                  service("right-pool", requested=("10.1.0.1",), pool_name="q")))
    result = allocate(config, {})
    reasons = {key: alloc.pending for key, alloc in result.items()}
    assert reasons == {
        "default/outside": "requested address 192.0.2.1 lies in no IPAddressPool",
        "default/wrong-pool": "requested address 10.0.0.1 lies in pool p, not in pool q named "
                              "by address-pool",
        "default/garbage": "requested address 'not-an-ip' is not an IP address",
        "default/two-pools": "requested address 2001:db8::1 lies in no IPAddressPool",
        "default/family": "requested address 2001:db8::1 is IPv6; the service is IPv4",
        "default/refused": "requested address 10.9.0.1 lies in pool prod, whose "
                           "serviceAllocation does not select this service",
        "default/right-pool": None,
    }
    assert ips(result, "default/right-pool") == ("10.1.0.1",)


def test_requested_dual_stack_pair_must_share_one_pool() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"), pool("q", "2001:db8::/120")),
                    services=(service("s", families=DUAL, policy=PREFER,
                                      requested=("10.0.0.1", "2001:db8::1")),))
    assert allocate(config, {})["default/s"].pending == (
        "requested addresses lie in pools p, q; all must come from one")


def test_requested_single_address_on_a_dual_stack_service() -> None:
    """The chosen behaviour: PreferDualStack gets exactly what it asked for (the user pinned its
    addresses; none is invented beside it); RequireDualStack waits for one of each family."""
    config = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"),),
                    services=(service("prefer", families=DUAL, policy=PREFER,
                                      requested=("2001:db8::5",)),
                              service("require", families=DUAL, policy=REQUIRE,
                                      requested=("10.0.0.5",)),
                              service("both", families=DUAL, policy=REQUIRE,
                                      requested=("2001:db8::6", "10.0.0.6"))))
    result = allocate(config, {})
    assert result["default/prefer"] == Allocation(("2001:db8::5",), "dual", None)
    assert result["default/require"].pending == (
        "RequireDualStack with one requested address: request one of each family")
    assert result["default/both"] == Allocation(("10.0.0.6", "2001:db8::6"), "dual", None)
    again = allocate(with_status(config, result), assignments(result))
    assert again["default/prefer"].ips == ("2001:db8::5",)


def test_two_services_requesting_one_address_without_a_shared_key() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("a", requested=("10.0.0.1",)),
                              service("b", requested=("10.0.0.1",))))
    result = allocate(config, {})
    assert ips(result, "default/a") == ("10.0.0.1",)
    assert result["default/b"].pending == "requested address 10.0.0.1 is in use by default/a"


# --- pools: autoAssign, serviceAllocation, annotation ------------------------------------------


def test_auto_assign_false_pools_serve_only_on_request() -> None:
    config = Config(pools=(pool("a-manual", "10.9.0.0/24", auto_assign=False),
                           pool("b-auto", "10.0.0.0/24")),
                    services=(service("plain"), service("named", pool_name="a-manual"),
                              service("asked", requested=("10.9.0.9",))))
    result = allocate(config, {})
    assert result["default/plain"].pool == "b-auto"
    assert result["default/named"] == Allocation(("10.9.0.0",), "a-manual", None)
    assert result["default/asked"] == Allocation(("10.9.0.9",), "a-manual", None)


def test_auto_assign_false_only_leaves_pending_with_reason() -> None:
    config = Config(pools=(pool("manual", "10.9.0.0/24", auto_assign=False),),
                    services=(service("plain"), service("ghost", pool_name="nope")))
    result = allocate(config, {})
    assert result["default/plain"].pending == (
        "no pool may serve it: none with autoAssign whose serviceAllocation selects it")
    assert result["default/ghost"].pending == (
        "address-pool names pool nope, which does not exist")


def test_service_allocation_priority_namespaces_and_selectors_rank_pools() -> None:
    config = Config(
        pools=(pool("a-plain", "10.0.0.0/24"),
               pool("b-low", "10.2.0.0/24", allocation=ServiceAllocation(
                   priority=20, namespaces=("web",))),
               pool("c-high", "10.3.0.0/24", allocation=ServiceAllocation(
                   priority=10, service_selectors=(selector(tier="gold"),))),
               pool("d-unranked", "10.4.0.0/24", allocation=ServiceAllocation(
                   namespaces=("web",)))),
        services=(service("gold", "web", labels=(("tier", "gold"),)),
                  service("plain", "web"), service("elsewhere", "db"),
                  service("gold-elsewhere", "db", labels=(("tier", "gold"),))))
    result = allocate(config, {})
    assert result["web/gold"].pool == "c-high"
    assert result["web/plain"].pool == "b-low"
    assert result["db/elsewhere"].pool == "a-plain"
    assert result["db/gold-elsewhere"].pool == "c-high"


def test_namespace_selectors_read_the_namespace_labels() -> None:
    team = ServiceAllocation(namespace_selectors=(selector(team="blue"),))
    config = Config(pools=(pool("a-blue", "10.1.0.0/24", allocation=team),
                           pool("b-any", "10.0.0.0/24")),
                    services=(service("x", "blue-ns"), service("y", "red-ns")),
                    namespaces=(("blue-ns", (("team", "blue"),)), ("red-ns", ())))
    result = allocate(config, {})
    assert result["blue-ns/x"].pool == "a-blue"
    assert result["red-ns/y"].pool == "b-any"


def test_fallback_to_unpinned_pools_when_pinned_ones_are_full() -> None:
    config = Config(pools=(pool("a-pinned", "10.1.0.0/32", allocation=ServiceAllocation(
                               namespaces=("default",))),
                           pool("b-any", "10.0.0.0/24")),
                    services=(service("x"), service("y")))
    result = allocate(config, {})
    assert result["default/x"].ips == ("10.1.0.0",)
    assert result["default/y"].ips == ("10.0.0.0",)


# --- sharing and classes -----------------------------------------------------------------------


def test_allow_shared_ip_shares_only_within_one_key() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("a", shared="k1"), service("b", shared="k1"),
                              service("c", shared="k2"), service("d"),
                              service("e", shared="k2", requested=("10.0.0.5",)),
                              service("f", shared="k3", requested=("10.0.0.5",))))
    result = allocate(config, {})
    assert ips(result, "default/a") == ips(result, "default/b") == ("10.0.0.0",)
    assert ips(result, "default/e") == ("10.0.0.5",)
    assert result["default/f"].pending == (
        "requested address 10.0.0.5 is in use by default/e with allow-shared-ip 'k2', not 'k3'")
    # Like MetalLB, a fresh address is the lowest one free or held by the same key.
    assert ips(result, "default/c") == ("10.0.0.1",)
    assert ips(result, "default/d") == ("10.0.0.2",)


def test_services_of_one_key_share_a_requested_or_held_address() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("a", shared="k", requested=("10.0.0.9",)),
                              service("b", shared="k", status=("10.0.0.9",)),
                              service("c", shared="k", status=("10.0.0.9",)),
                              service("d", status=("10.0.0.9",))))
    result = allocate(config, {})
    assert {ips(result, f"default/{n}") for n in "abc"} == {("10.0.0.9",)}
    assert ips(result, "default/d") == ("10.0.0.0",)
    assert result["default/d"].notes == (
        "status address 10.0.0.9 in use by default/a, default/b, default/c: replaced",)


def test_load_balancer_class_of_another_controller_is_ignored() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    services=(service("theirs", lb_class="example.com/other",
                                      status=("10.0.0.0",)),
                              service("ours")))
    result = allocate(config, {})
    assert result["default/theirs"].pending == (
        "loadBalancerClass example.com/other is not this announcer's; ignored")
    assert ips(result, "default/ours") == ("10.0.0.0",)


# --- determinism and scale ----------------------------------------------------------------------


def _mixed_config() -> Config:
    pools = (pool("dual", "10.0.0.0/28", "2001:db8::/124"), pool("v4", "10.1.0.0/28"),
             pool("gold", "10.2.0.0/30", allocation=ServiceAllocation(
                 priority=1, service_selectors=(selector(tier="gold"),))))
    services: list[Service] = []
    for i in range(30):
        kind = i % 5
        if kind == 0:
            services.append(service(f"s{i}", f"ns{i % 3}", families=DUAL, policy=PREFER))
        elif kind == 1:
            services.append(service(f"s{i}", f"ns{i % 3}", families=DUAL, policy=REQUIRE))
        elif kind == 2:
            services.append(service(f"s{i}", f"ns{i % 3}", labels=(("tier", "gold"),)))
        elif kind == 3:
            services.append(service(f"s{i}", f"ns{i % 3}", shared="web"))
        else:
            services.append(service(f"s{i}", f"ns{i % 3}", families=("IPv6",)))
    return Config(pools=pools, services=tuple(services))


def test_document_order_never_changes_the_addresses() -> None:
    config = _mixed_config()
    expected = allocate(config, {})
    shuffler = random.Random(7)
    for _ in range(10):
        services = list(config.services)
        pools = list(config.pools)
        shuffler.shuffle(services)
        shuffler.shuffle(pools)
        assert allocate(replace(config, services=tuple(services), pools=tuple(pools)),
                        {}) == expected


def test_ten_thousand_services_get_distinct_addresses_from_a_slash_16() -> None:
    config = Config(pools=(pool("big", "10.0.0.0/16", avoid_buggy=True),),
                    services=tuple(service(f"s{i:05d}") for i in range(10_000)))
    result = allocate(config, {})
    given = [alloc.ips[0] for alloc in result.values()]
    assert len(set(given)) == 10_000
    assert result["default/s09999"].ips == ("10.0.39.94",)
    assert not any(ip.endswith((".0", ".255")) for ip in given)


def test_dual_stack_holder_losing_one_family_refills_it_from_the_same_pool() -> None:
    base = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"),),
                  services=(service("a", families=DUAL, policy=PREFER),
                            service("b", families=DUAL, policy=PREFER)))
    first = allocate(base, {})
    assert ips(first, "default/a") == ("10.0.0.0", "2001:db8::")
    moved = replace(with_status(base, first),
                    pools=(pool("dual", "10.0.0.0/24", "2001:db8:1::/120"),))
    second = allocate(moved, {})
    assert second["default/a"] == Allocation(
        ("10.0.0.0", "2001:db8:1::"), "dual", None,
        ("status address 2001:db8:: lies in no IPAddressPool: replaced",))
    assert ips(second, "default/b") == ("10.0.0.1", "2001:db8:1::1")


def test_require_dual_stack_holder_whose_pool_lost_a_family_moves_whole() -> None:
    base = Config(pools=(pool("a", "10.0.0.0/24", "2001:db8::/120"),
                         pool("b", "10.1.0.0/24", "2001:db8:1::/120")),
                  services=(service("r", families=DUAL, policy=REQUIRE),))
    first = allocate(base, {})
    assert first["default/r"].pool == "a"
    shrunk = replace(with_status(base, first),
                     pools=(pool("a", "10.0.0.0/24"), base.pools[1]))
    second = allocate(shrunk, {})["default/r"]
    assert second.ips == ("10.1.0.0", "2001:db8:1::") and second.pool == "b"
    assert second.notes[-1] == ("status addresses lie in pool a, which holds no IPv6 for "
                                "RequireDualStack: replaced")


def test_restart_through_a_real_state_file(tmp_path: Path) -> None:
    config = _mixed_config()
    first = allocate(config, {})
    StateFile(tmp_path / "state.json").save(assignments(first))
    grown = replace(config, pools=(pool("a-new", "10.8.0.0/24", "2001:db8:8::/120"),
                                   *config.pools))
    remembered = StateFile(tmp_path / "state.json").load()
    second = allocate(grown, remembered)
    held = {key: alloc.ips for key, alloc in first.items() if alloc.ips}
    assert {key: second[key].ips for key in held} == held
    # Services that were pending (the pools ran out) are the only ones the new pool serves.
    gained = {key: alloc.pool for key, alloc in second.items() if key not in held}
    assert gained and set(gained.values()) == {"a-new"}


def test_require_dual_stack_holder_without_a_free_address_of_its_missing_family_waits() -> None:
    config = Config(pools=(pool("dual", "10.0.0.0/24", "2001:db8::/128"),),
                    services=(service("a", families=("IPv6",), status=("2001:db8::",)),
                              service("r", families=DUAL, policy=REQUIRE,
                                      status=("10.0.0.9",)),
                              service("z")))
    result = allocate(config, {})
    assert ips(result, "default/a") == ("2001:db8::",)
    assert result["default/r"] == Allocation(
        (), None, "RequireDualStack: pool dual has no free IPv6 address")
    # Its IPv4 address stays reserved: nobody else is given 10.0.0.9 meanwhile.
    assert ips(result, "default/z") == ("10.0.0.0",)
    crowded = replace(config, services=(*config.services,
                                        *(service(f"q{i}") for i in range(10))))
    assert "10.0.0.9" not in {ip for a in allocate(crowded, {}).values() for ip in a.ips}


def test_a_pool_name_that_disagrees_with_where_the_addresses_lie_is_noted() -> None:
    config = Config(pools=(pool("renamed", "10.0.0.0/24"),),
                    services=(replace(service("a", status=("10.0.0.4",)),
                                      allocated_from_pool="old-name"),
                              service("b")))
    remembered = {"default/b": Assignment(("10.0.0.5",), "old-name")}
    result = allocate(config, remembered)
    assert result["default/a"] == Allocation(
        ("10.0.0.4",), "renamed", None,
        ("ip-allocated-from-pool names pool old-name; the status addresses lie in pool "
         "renamed",))
    assert result["default/b"].notes == (
        "state file names pool old-name; the state file addresses lie in pool renamed",)
    assert ips(result, "default/b") == ("10.0.0.5",)
