"""Service addresses from the pools (rule 3 of docs/announcer-allocation.md).

``allocate(config, remembered)`` gives every LoadBalancer service its addresses, or says why it
has none. It is a pure function of its inputs: the node, the clock and the order of documents play
no part, so every node given the same files computes the same addresses.

Where an address comes from, first that applies:

1. the addresses the service requests (``loadBalancerIPs`` / ``loadBalancerIP``): taken as they
   are or the service is pending with the reason;
2. ``status.loadBalancer.ingress``: kept when the address lies in a pool that may serve it;
3. the state file (``remembered``): the same check;
4. a fresh address: the lowest free one of the best pool (see :mod:`.selection`).

Services are handled in tiers so that holders claim what they hold before anybody is given a
fresh address: every requested claim (services sorted by key), then every status claim, then every
remembered one; then the holders that miss a family their pool now has, then fresh services.
Each pool and family has a cursor that only moves forward past claimed addresses, so a fresh
allocation costs no scan from the start of the pool.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bgpwire_announcer.model import AddressPool, Config, IPFamilyPolicy, Service
from bgpwire_announcer.pool_entries import parse_pool_entry
from bgpwire_announcer.selection import (
    namespace_labels,
    namespace_table,
    pool_may_serve,
    pools_for_fresh,
)

IPV4 = "IPv4"
IPV6 = "IPv6"
_OTHER = {IPV4: IPV6, IPV6: IPV4}


@dataclass(frozen=True, slots=True)
class Assignment:
    """What a service held, as the state file keeps it."""

    ips: tuple[str, ...]
    pool: str


@dataclass(frozen=True, slots=True)
class Allocation:
    """The outcome for one service: its addresses and pool, or ``pending`` with the reason.

    ``notes`` say what was not kept and why (a status address outside every eligible pool...).
    """

    ips: tuple[str, ...]
    pool: str | None
    pending: str | None
    notes: tuple[str, ...] = ()


class PoolAddressError(ValueError):
    """A pool entry that cannot be read (validation reports these before allocation runs)."""


# --- addresses as (family, int) --------------------------------------------------------------


def _family(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return IPV4 if address.version == 4 else IPV6


def _text(family: str, value: int) -> str:
    if family == IPV4:
        return str(ipaddress.IPv4Address(value))
    return str(ipaddress.IPv6Address(value))


def _buggy(family: str, value: int) -> bool:
    """An IPv4 address ending in .0 or .255, which some old CPE firmware drops."""
    return family == IPV4 and (value & 0xFF) in (0, 0xFF)


def pool_ranges(pool: AddressPool) -> dict[str, list[tuple[int, int]]]:
    """The pool's entries as sorted inclusive ``(first, last)`` ranges per family.

    Entries are read by :func:`~bgpwire_announcer.validate.parse_pool_entry`, the reader
    ``check`` uses: CIDRs (every address counts, network and broadcast included, as in
    MetalLB) or ``a-b`` ranges.
    """
    ranges: dict[str, list[tuple[int, int]]] = {}
    for text in pool.addresses:
        try:
            entry = parse_pool_entry(text)
        except ValueError as error:
            raise PoolAddressError(
                f"{pool.origin.ref}: spec.addresses={text}: {error}") from None
        family = IPV4 if entry.version == 4 else IPV6
        ranges.setdefault(family, []).append((entry.first, entry.last))
    for spans in ranges.values():
        spans.sort()
    return ranges


class _Cursor:
    """The lowest address of one pool and family that may still be free.

    It only moves forward: an address it passes is claimed for the rest of the allocation, so
    the whole run walks each pool at most once however many services it serves.
    """

    __slots__ = ("_avoid_buggy", "_family", "_index", "_position", "_ranges")

    def __init__(self, family: str, ranges: list[tuple[int, int]], avoid_buggy: bool) -> None:
        self._family = family
        self._ranges = ranges
        self._avoid_buggy = avoid_buggy
        self._index = 0
        self._position = ranges[0][0] if ranges else 0

    def lowest_free(self, used: Mapping[int, object]) -> int | None:
        while self._index < len(self._ranges):
            first, last = self._ranges[self._index]
            value = max(self._position, first)
            while value <= last:
                if value in used or (self._avoid_buggy and _buggy(self._family, value)):
                    value += 1
                    continue
                self._position = value
                return value
            self._index += 1
        return None


@dataclass
class _Pools:
    """Every pool's ranges, a sorted index to find the pool of an address, and the cursors."""

    by_name: dict[str, AddressPool]
    ranges: dict[str, dict[str, list[tuple[int, int]]]]
    starts: dict[str, list[int]] = field(default_factory=dict)
    owners: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    cursors: dict[tuple[str, str], _Cursor] = field(default_factory=dict)

    @classmethod
    def build(cls, pools: Iterable[AddressPool]) -> _Pools:
        by_name = {pool.name: pool for pool in pools}
        made = cls(by_name, {name: pool_ranges(pool) for name, pool in by_name.items()})
        for name in sorted(made.ranges):
            for family, spans in made.ranges[name].items():
                made.owners.setdefault(family, []).extend((a, b, name) for a, b in spans)
        for family, owned in made.owners.items():
            owned.sort()
            made.starts[family] = [first for first, _, _ in owned]
        return made

    def pool_of(self, family: str, value: int) -> str | None:
        spans = self.owners.get(family, [])
        index = bisect_right(self.starts.get(family, []), value) - 1
        if index >= 0 and spans[index][0] <= value <= spans[index][1]:
            return spans[index][2]
        return None

    def families(self, pool: str) -> set[str]:
        return set(self.ranges.get(pool, {}))

    def cursor(self, pool: str, family: str) -> _Cursor:
        key = (pool, family)
        if key not in self.cursors:
            self.cursors[key] = _Cursor(family, self.ranges[pool].get(family, []),
                                        self.by_name[pool].avoid_buggy_ips)
        return self.cursors[key]


# --- what one service wants ------------------------------------------------------------------


def wanted_families(service: Service) -> tuple[str, ...]:
    """The families the service asks addresses for, primary first.

    ``RequireDualStack`` always wants both (the API server gives such a service both families).
    ``PreferDualStack`` wants what its families say: two in a dual-stack cluster, one where the
    cluster gave it one, exactly as the service's clusterIPs read.
    """
    families = tuple(dict.fromkeys(service.families)) or (IPV4,)
    if service.family_policy is IPFamilyPolicy.REQUIRE_DUAL_STACK and len(families) == 1:
        families = (families[0], _OTHER[families[0]])
    return families


def _dual(service: Service) -> bool:
    return len(wanted_families(service)) == 2


@dataclass
class _Claim:
    """Addresses a service holds during the run: family -> int, and their pool."""

    pool: str
    values: dict[str, int]
    source: str


class _Allocator:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.pools = _Pools.build(config.pools)
        self.used: dict[str, dict[int, str | None]] = {IPV4: {}, IPV6: {}}
        """family -> address -> sharing key of its holders (``None``: not shared)."""
        self.holders: dict[tuple[str, int], list[str]] = {}
        self.shared_lowest: dict[tuple[str, str, str], int] = {}
        """(pool, family, sharing key) -> the lowest address the key holds there."""
        self.claims: dict[str, _Claim] = {}
        self.notes: dict[str, list[str]] = {}
        self.pending: dict[str, str] = {}
        self._fresh_pools: dict[tuple[object, ...], list[AddressPool]] = {}
        self._namespaces = namespace_table(config)

    # -- bookkeeping --------------------------------------------------------------------------

    def note(self, service: Service, text: str) -> None:
        self.notes.setdefault(service.key, []).append(text)

    def conflict(self, service: Service, family: str, value: int) -> str | None:
        """Who holds the address in a way that keeps ``service`` off it, if anybody."""
        if value not in self.used[family]:
            return None
        key = self.used[family][value]
        if key is not None and key == service.allow_shared_ip:
            return None
        others = ", ".join(self.holders[(family, value)])
        if key is None or service.allow_shared_ip is None:
            return f"in use by {others}"
        return f"in use by {others} with allow-shared-ip {key!r}, not {service.allow_shared_ip!r}"

    def take(self, service: Service, pool: str, family: str, value: int) -> None:
        self.used[family][value] = service.allow_shared_ip
        self.holders.setdefault((family, value), []).append(service.key)
        if service.allow_shared_ip is not None:
            key = (pool, family, service.allow_shared_ip)
            self.shared_lowest[key] = min(self.shared_lowest.get(key, value), value)

    def candidate(self, service: Service, pool: str, family: str) -> int | None:
        """The lowest address of ``pool`` that ``service`` may take: free, or shared with
        services of its ``allow-shared-ip`` key."""
        if family not in self.pools.ranges[pool]:
            return None
        free = self.pools.cursor(pool, family).lowest_free(self.used[family])
        if service.allow_shared_ip is not None:
            shared = self.shared_lowest.get((pool, family, service.allow_shared_ip))
            if shared is not None and (free is None or shared < free):
                return shared
        return free

    # -- checking addresses a service holds or asks for ---------------------------------------

    def parse(self, text: str) -> tuple[str, int] | None:
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            return None
        return _family(address), int(address)

    def where(self, family: str, value: int) -> tuple[str | None, str | None]:
        """(pool, None) for an address a pool holds, else (None, why not)."""
        pool = self.pools.pool_of(family, value)
        if pool is None:
            return None, "lies in no IPAddressPool"
        if self.pools.by_name[pool].avoid_buggy_ips and _buggy(family, value):
            return None, f"ends in .0 or .255, which pool {pool} avoids (avoidBuggyIPs)"
        return pool, None

    def pool_refusal(self, service: Service, pool: str) -> str | None:
        """Why ``pool`` may not serve ``service``, or ``None``."""
        if service.pool is not None and service.pool != pool:
            return f"lies in pool {pool}, not in pool {service.pool} named by address-pool"
        ns_labels = namespace_labels(self.config, service, self._namespaces)
        if not pool_may_serve(self.pools.by_name[pool], service, ns_labels):
            return f"lies in pool {pool}, whose serviceAllocation does not select this service"
        return None

    # -- tier 1: requested addresses ---------------------------------------------------------

    def claim_requested(self, service: Service) -> None:
        reason = self._check_requested(service)
        if reason is not None:
            self.pending[service.key] = reason

    def _check_requested(self, service: Service) -> str | None:
        wanted = wanted_families(service)
        values: dict[str, int] = {}
        pools: set[str] = set()
        for text in dict.fromkeys(service.requested):
            parsed = self.parse(text)
            if parsed is None:
                return f"requested address {text!r} is not an IP address"
            family, value = parsed
            if family not in wanted:
                return f"requested address {text} is {family}; the service is {'/'.join(wanted)}"
            if family in values:
                return f"requested addresses hold two {family} addresses; one per family"
            pool, why = self.where(family, value)
            if pool is None:
                return f"requested address {text} {why}"
            refusal = self.pool_refusal(service, pool)
            if refusal is not None:
                return f"requested address {text} {refusal}"
            values[family] = value
            pools.add(pool)
        if len(pools) > 1:
            joined = ", ".join(sorted(pools))
            return f"requested addresses lie in pools {joined}; all must come from one"
        if len(values) == 1 and service.family_policy is IPFamilyPolicy.REQUIRE_DUAL_STACK:
            return "RequireDualStack with one requested address: request one of each family"
        for family, value in values.items():
            why = self.conflict(service, family, value)
            if why is not None:
                return f"requested address {_text(family, value)} is {why}"
        (pool,) = pools
        for family, value in values.items():
            self.take(service, pool, family, value)
        self.claims[service.key] = _Claim(pool, values, "requested")
        return None

    # -- tiers 2 and 3: status and the state file --------------------------------------------

    def claim_held(self, service: Service, texts: Iterable[str], pool_hint: str | None,
                   source: str) -> bool:
        """Keep what the service holds (from ``source``) where it may: every address that lies
        in a pool that may serve it, one per wanted family, all in one pool; notes for the rest.
        ``True`` when something was kept."""
        wanted = wanted_families(service)
        kept: dict[str, int] = {}
        kept_pool: str | None = None
        for text in texts:
            parsed = self.parse(text)
            if parsed is None:
                self.note(service, f"{source} address {text!r} is not an IP address; ignored")
                continue
            family, value = parsed
            shown = _text(family, value)
            if family not in wanted:
                self.note(service, f"{source} address {shown} is {family}; the service is "
                                   f"{'/'.join(wanted)}: dropped")
                continue
            if family in kept:
                self.note(service, f"{source} address {shown}: a second {family} address; dropped")
                continue
            pool, why = self.where(family, value)
            refusal = why if pool is None else self.pool_refusal(service, pool)
            if refusal is None and kept_pool is not None and pool != kept_pool:
                refusal = f"lies in pool {pool}, not in pool {kept_pool} with its other address"
            if refusal is None:
                refusal = self.conflict(service, family, value)
            if refusal is not None:
                self.note(service, f"{source} address {shown} {refusal}: replaced")
                continue
            kept[family] = value
            kept_pool = pool
        if kept_pool is None:
            return False
        if pool_hint is not None and pool_hint != kept_pool:
            namer = "ip-allocated-from-pool" if source == "status" else source
            self.note(service, f"{namer} names pool {pool_hint}; the {source} addresses lie "
                               f"in pool {kept_pool}")
        missing = [family for family in wanted if family not in kept]
        if (missing and service.family_policy is IPFamilyPolicy.REQUIRE_DUAL_STACK
                and not set(missing) <= self.pools.families(kept_pool)):
            self.note(service, f"{source} addresses lie in pool {kept_pool}, which holds no "
                               f"{missing[0]} for RequireDualStack: replaced")
            return False
        for family, value in kept.items():
            self.take(service, kept_pool, family, value)
        self.claims[service.key] = _Claim(kept_pool, kept, source)
        return True

    # -- tier 4: the missing family of a holder, then fresh services --------------------------

    def complete(self, service: Service) -> None:
        """A dual-stack holder whose pool now holds the family it lacks gains it there."""
        claim = self.claims[service.key]
        for family in wanted_families(service):
            if family in claim.values or family not in self.pools.families(claim.pool):
                continue
            value = self.candidate(service, claim.pool, family)
            if value is not None:
                self.take(service, claim.pool, family, value)
                claim.values[family] = value
            elif service.family_policy is IPFamilyPolicy.REQUIRE_DUAL_STACK:
                self.pending[service.key] = (
                    f"RequireDualStack: pool {claim.pool} has no free {family} address")

    def pools_for_fresh(self, service: Service) -> list[AddressPool]:
        """:func:`.selection.pools_for_fresh`, asked once per distinct set of the facts it
        reads (thousands of services share a handful of namespaces and label sets)."""
        facts = (service.origin.namespace, service.namespace_labels, service.labels, service.pool)
        if facts not in self._fresh_pools:
            self._fresh_pools[facts] = pools_for_fresh(self.config, service)
        return self._fresh_pools[facts]

    def fresh(self, service: Service) -> None:
        pools = self.pools_for_fresh(service)
        if not pools:
            self.pending[service.key] = self._no_pool_reason(service)
            return
        wanted = wanted_families(service)
        primary: tuple[str, dict[str, int]] | None = None
        secondary: tuple[str, dict[str, int]] | None = None
        for pool in pools:
            found = {family: value for family in wanted
                     if (value := self.candidate(service, pool.name, family)) is not None}
            if len(found) == len(wanted):
                self._grant(service, pool.name, found)
                return
            if service.family_policy is not IPFamilyPolicy.PREFER_DUAL_STACK or len(wanted) < 2:
                continue
            if wanted[0] in found and primary is None:
                primary = (pool.name, {wanted[0]: found[wanted[0]]})
            if wanted[1] in found and secondary is None:
                secondary = (pool.name, {wanted[1]: found[wanted[1]]})
        fallback = primary or secondary
        if fallback is not None:
            self._grant(service, *fallback)
            return
        names = ", ".join(pool.name for pool in pools)
        if len(wanted) == 2:
            self.pending[service.key] = (
                f"{service.family_policy.value}: no pool holds free IPv4 and IPv6 addresses "
                f"for it (tried {names})")
        else:
            self.pending[service.key] = f"no free {wanted[0]} address in pools {names}"

    def _grant(self, service: Service, pool: str, values: dict[str, int]) -> None:
        for family, value in values.items():
            self.take(service, pool, family, value)
        self.claims[service.key] = _Claim(pool, dict(values), "fresh")

    def _no_pool_reason(self, service: Service) -> str:
        if service.pool is not None:
            if service.pool not in self.pools.by_name:
                return f"address-pool names pool {service.pool}, which does not exist"
            return (f"address-pool names pool {service.pool}, whose serviceAllocation does not "
                    f"select this service")
        return ("no pool may serve it: none with autoAssign whose serviceAllocation selects it")

    # -- the result ---------------------------------------------------------------------------

    def result(self, service: Service) -> Allocation:
        notes = tuple(self.notes.get(service.key, ()))
        pending = self.pending.get(service.key)
        claim = self.claims.get(service.key)
        if pending is not None or claim is None:
            return Allocation((), None, pending or "no address", notes)
        ips = tuple(_text(family, claim.values[family])
                    for family in wanted_families(service) if family in claim.values)
        return Allocation(ips, claim.pool, None, notes)


def allocate(config: Config, remembered: Mapping[str, Assignment]) -> dict[str, Allocation]:
    """Every service's addresses (``namespace/name`` -> :class:`Allocation`); see the module
    docstring for the order of sources and tiers."""
    allocator = _Allocator(config)
    services = sorted({service.key: service for service in config.services}.values(),
                      key=lambda service: service.key)
    ours: list[Service] = []
    for service in services:
        if service.load_balancer_class is not None:
            allocator.pending[service.key] = (
                f"loadBalancerClass {service.load_balancer_class} is not this announcer's; "
                "ignored")
        else:
            ours.append(service)
    for service in ours:
        if service.requested:
            allocator.claim_requested(service)
    by_status = [service for service in ours if not service.requested and service.status_ips]
    for service in by_status:
        allocator.claim_held(service, service.status_ips, service.allocated_from_pool, "status")
    for service in ours:
        memory = remembered.get(service.key)
        if service.requested or service.key in allocator.claims or memory is None:
            continue
        allocator.claim_held(service, memory.ips, memory.pool, "state file")
    for service in ours:
        claim = allocator.claims.get(service.key)
        if claim is not None and claim.source != "requested" and _dual(service):
            allocator.complete(service)
    for service in ours:
        if service.key not in allocator.claims and service.key not in allocator.pending:
            allocator.fresh(service)
    return {service.key: allocator.result(service) for service in services}


def assignments(allocations: Mapping[str, Allocation]) -> dict[str, Assignment]:
    """What the state file keeps: every service that has addresses."""
    return {
        key: Assignment(allocation.ips, allocation.pool)
        for key, allocation in sorted(allocations.items())
        if allocation.pool is not None and allocation.ips
    }
