"""Checks of :mod:`.validate` on LoadBalancer Services: the addresses they request and the pool
they name."""

from __future__ import annotations

from bgpwire_announcer.model import Config
from bgpwire_announcer.pool_entries import PoolEntry
from bgpwire_announcer.validate_report import FAMILY_NAMES, ProblemReport, ip_or_none


def check_services(config: Config, entries: dict[str, tuple[PoolEntry, ...]],
                    report: ProblemReport) -> None:
    """Requested addresses are IPs, one per family, inside a pool (the named one when the
    service names one); a named pool exists. Services of another loadBalancerClass are not
    ours and are not checked."""
    pools = {pool.name: pool for pool in config.pools}
    for service in config.services:
        if service.load_balancer_class is not None:
            continue
        origin = [service.origin]
        named = pools.get(service.pool) if service.pool is not None else None
        if service.pool is not None and named is None:
            report.add(origin, "metadata.annotations.metallb.io/address-pool", service.pool,
                       "no IPAddressPool of that name")
        seen: dict[int, str] = {}
        for text in service.requested:
            address = ip_or_none(text)
            if address is None:
                report.add(origin, "loadBalancerIPs", text, "not an IP address")
                continue
            if address.version in seen:
                report.add(origin, "loadBalancerIPs", text,
                           f"a second {FAMILY_NAMES[address.version]} address (after "
                           f"{seen[address.version]}); at most one per family")
                continue
            seen[address.version] = text
            value = int(address)
            holders = [name for name, pool_entries_ in entries.items()
                       if any(e.version == address.version and e.first <= value <= e.last
                              for e in pool_entries_)]
            if named is not None:
                if named.name not in holders:
                    report.add([service.origin, named.origin], "loadBalancerIPs", text,
                               f"not in the requested pool {named.name}")
            elif service.pool is None and not holders:
                report.add(origin, "loadBalancerIPs", text, "not in any IPAddressPool")
