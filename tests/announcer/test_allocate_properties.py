"""Allocation invariants over generated pools and services (Hypothesis)."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace

from bgpwire_announcer.allocate import Allocation, allocate, assignments, pool_ranges
from bgpwire_announcer.model import AddressPool, Config, IPFamilyPolicy, Service
from hypothesis import given, settings
from hypothesis import strategies as st

from .alloc_builders import pool, service

POOL_ENTRIES = {
    "a": ("10.0.0.0/29",),
    "b": ("10.1.0.254-10.1.1.2", "2001:db8:1::/126"),
    "c": ("2001:db8:2::/125",),
    "d": ("10.3.0.0/30", "2001:db8:3::/127"),
}
FAMILIES = [("IPv4",), ("IPv6",), ("IPv4", "IPv6"), ("IPv6", "IPv4")]


@st.composite
def configs(draw: st.DrawFn) -> Config:
    names = draw(st.sets(st.sampled_from(sorted(POOL_ENTRIES)), min_size=1))
    pools = tuple(
        pool(name, *POOL_ENTRIES[name], auto_assign=draw(st.booleans()) or name == "a",
             avoid_buggy=draw(st.booleans()))
        for name in sorted(names))
    services = []
    for index in range(draw(st.integers(0, 14))):
        services.append(service(
            f"s{index}", draw(st.sampled_from(["x", "y"])),
            families=draw(st.sampled_from(FAMILIES)),
            policy=draw(st.sampled_from(list(IPFamilyPolicy))),
            pool_name=draw(st.sampled_from([None, None, *sorted(POOL_ENTRIES)])),
            shared=draw(st.sampled_from([None, None, "k1", "k2"]))))
    return Config(pools=pools, services=tuple(services))


def _in_pool(address: str, pool_value: AddressPool) -> bool:
    parsed = ipaddress.ip_address(address)
    family = "IPv4" if parsed.version == 4 else "IPv6"
    return any(first <= int(parsed) <= last
               for first, last in pool_ranges(pool_value).get(family, []))


def _check_invariants(config: Config, result: dict[str, Allocation]) -> None:
    services = {svc.key: svc for svc in config.services}
    pools = {p.name: p for p in config.pools}
    holders: dict[str, list[Service]] = {}
    for key, allocation in result.items():
        svc = services[key]
        if allocation.pending is not None:
            assert allocation.ips == () and allocation.pool is None
            continue
        assert allocation.pool is not None and allocation.ips
        assert all(_in_pool(ip, pools[allocation.pool]) for ip in allocation.ips)
        versions = [ipaddress.ip_address(ip).version for ip in allocation.ips]
        assert len(set(versions)) == len(versions)
        if len(set(svc.families)) == 1 and svc.family_policy is not \
                IPFamilyPolicy.REQUIRE_DUAL_STACK:
            assert len(allocation.ips) == 1
        if svc.family_policy is IPFamilyPolicy.REQUIRE_DUAL_STACK:
            assert len(allocation.ips) == 2
        if svc.pool is not None:
            assert allocation.pool == svc.pool
        for ip in allocation.ips:
            holders.setdefault(ip, []).append(svc)
    for ip, sharing in holders.items():
        if len(sharing) > 1:
            keys = {svc.allow_shared_ip for svc in sharing}
            assert len(keys) == 1 and None not in keys, ip


@settings(max_examples=80, deadline=None)
@given(configs(), st.randoms(use_true_random=False))
def test_invariants_determinism_and_stability(config: Config, shuffler: random.Random) -> None:
    result = allocate(config, {})
    _check_invariants(config, result)

    services = list(config.services)
    shuffler.shuffle(services)
    assert allocate(replace(config, services=tuple(services)), {}) == result

    # The next reconcile (status written back) and a restart (state file only) change nothing
    # for any service that has addresses.
    with_status = replace(config, services=tuple(
        replace(svc, status_ips=result[svc.key].ips) for svc in config.services))
    for again in (allocate(with_status, {}), allocate(config, assignments(result))):
        _check_invariants(config, again)
        for key, allocation in result.items():
            if allocation.ips:
                assert again[key].ips == allocation.ips, key
