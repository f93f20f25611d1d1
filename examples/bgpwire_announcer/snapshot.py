"""The status report's parts that come from the running speaker and the current outcome.

:meth:`Announcer.report <bgpwire_announcer.runtime.Announcer.report>` calls these; they only
read, so a status request never changes what the announcer does.
"""

from __future__ import annotations

from dataclasses import replace

from bgpwire.fsm import State
from bgpwire.speaker import PeerSpec, PeerStatus
from bgpwire_announcer.allocate import pool_ranges
from bgpwire_announcer.diff import RouteTable
from bgpwire_announcer.model import BGPPeer
from bgpwire_announcer.pipeline import Outcome
from bgpwire_announcer.report import NotSent, PoolReport, SessionReport
from bgpwire_announcer.sessions import capability_names


def session_report(peer: BGPPeer, spec: PeerSpec | None, problem: str | None,
                   table: RouteTable, status: PeerStatus | None) -> SessionReport:
    """One BGPPeer of this node: ``table`` is what the plan gives it, ``status`` what the
    speaker says about its session (``None``: not started, ``problem`` says why)."""
    router_id = str(spec.config.router_id) if spec is not None else peer.router_id or ""
    waiting = problem or "not started"
    report = SessionReport(
        name=peer.name, address=peer.peer_address, port=peer.peer_port,
        source_address=peer.source_address, local_asn=peer.my_asn, peer_asn=peer.peer_asn,
        router_id=router_id, passive=peer.passive, state="not started", problem=problem,
        uptime=None, last_error=None, capabilities=(), routes_planned=len(table),
        routes_sent=0, updates_sent=0,
        not_sent=tuple(NotSent(prefix, waiting) for prefix in sorted(table)),
        graceful_restart=peer.enable_graceful_restart, md5=bool(peer.password))
    if status is None:
        return report
    state = status.state.value
    if status.state is State.ESTABLISHED:
        not_sent = tuple(sorted((NotSent(str(prefix), reason)
                                 for (_, prefix), reason in status.unsent.items()),
                                key=lambda missing: missing.prefix))
    else:
        not_sent = tuple(NotSent(prefix, f"session {state}") for prefix in sorted(table))
    return replace(
        report, state=state, uptime=status.uptime, last_error=status.last_error or None,
        capabilities=capability_names(status.capabilities) if status.capabilities else (),
        routes_sent=status.advertised, updates_sent=status.updates_sent, not_sent=not_sent)


def pool_reports(outcome: Outcome) -> tuple[PoolReport, ...]:
    """Each pool's size and the addresses assigned from it (MetalLB's allocator metrics)."""
    in_use: dict[str, int] = {}
    for allocation in outcome.allocations.values():
        if allocation.pool is not None:
            in_use[allocation.pool] = in_use.get(allocation.pool, 0) + len(allocation.ips)
    reports = []
    for pool in outcome.config.pools:
        size = sum(last - first + 1 for spans in pool_ranges(pool).values()
                   for first, last in spans)
        reports.append(PoolReport(pool.name, size, in_use.get(pool.name, 0)))
    return tuple(reports)
