"""What a running announcer says about itself: one immutable snapshot, two renderings.

:class:`Report` is taken by :meth:`bgpwire_announcer.runtime.Announcer.report`; the status
endpoint serves it as JSON (:func:`report_json`, ``GET /status``) and as Prometheus text
(:func:`report_metrics`, ``GET /metrics``); ``bgpwire-announcer status`` prints the JSON or a
short text (:func:`report_text`). Nothing here can carry a password: a session's report holds
only whether one is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bgpwire_announcer.model import ServicePlan, WithheldRoute

Phase = Literal["starting", "running", "stopping"]
"""Where the announcer is in its life (see :attr:`Report.phase`)."""

MAX_NOT_SENT_LISTED = 1000
"""``not_sent`` lists at most this many routes per session (``not_sent_total`` counts them
all): a session that is down with 20,000 planned routes must not make the page megabytes."""


@dataclass(frozen=True, slots=True)
class NotSent:
    """A planned route that did not reach a peer, and why."""

    prefix: str
    reason: str


@dataclass(frozen=True, slots=True)
class SessionReport:
    """One BGPPeer selected for this node."""

    name: str
    address: str
    port: int
    source_address: str | None
    local_asn: int
    peer_asn: int
    router_id: str
    passive: bool
    state: str
    """The BGP state (``Established``, ``Active``...), or ``not started``."""
    problem: str | None
    """Why the session is not started or cannot work (``source address absent``...)."""
    uptime: float | None
    """Seconds since it reached Established; ``None`` while it is not."""
    last_error: str | None
    capabilities: tuple[str, ...]
    """What the session negotiated: families and options, as short names."""
    routes_planned: int
    routes_sent: int
    updates_sent: int
    not_sent: tuple[NotSent, ...]
    graceful_restart: bool
    md5: bool
    """Whether TCP-MD5 is configured (the password itself is never reported)."""


@dataclass(frozen=True, slots=True)
class PoolReport:
    name: str
    addresses: int
    in_use: int


@dataclass(frozen=True, slots=True)
class Report:
    node: str
    config_valid: bool
    """Whether the files as they are now on disk are valid (the running config always is)."""
    last_error: str | None
    """Why the last reload was refused (the first problems), ``None`` after a good one."""
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    reloads: int
    failed_reloads: int
    sessions: tuple[SessionReport, ...]
    services: tuple[ServicePlan, ...]
    routes: int
    """Routes in this node's plan."""
    withheld: tuple[WithheldRoute, ...]
    pools: tuple[PoolReport, ...]
    phase: Phase = "running"
    """``starting`` until the first plan is applied (empty lists then mean "not yet", not
    "none"), ``running``, then ``stopping`` once a stop has begun."""


def report_json(report: Report) -> dict[str, Any]:
    """The ``GET /status`` document."""
    return {
        "node": report.node,
        "phase": report.phase,
        "config": {"valid": report.config_valid, "last_error": report.last_error,
                   "problems": list(report.problems), "notes": list(report.notes),
                   "reloads": report.reloads, "failed_reloads": report.failed_reloads},
        "sessions": [_session_json(s) for s in report.sessions],
        "services": [{"name": s.name, "ips": list(s.ips), "pool": s.pool,
                      "pending": s.pending, "notes": list(s.notes)} for s in report.services],
        "routes": report.routes,
        "withheld": [{"prefix": w.prefix, "services": list(w.services), "reason": w.reason}
                     for w in report.withheld],
        "pools": [{"name": p.name, "addresses": p.addresses, "in_use": p.in_use}
                  for p in report.pools],
    }


def _session_json(session: SessionReport) -> dict[str, Any]:
    return {
        "name": session.name, "address": session.address, "port": session.port,
        "source_address": session.source_address, "local_asn": session.local_asn,
        "peer_asn": session.peer_asn, "router_id": session.router_id,
        "passive": session.passive, "state": session.state, "problem": session.problem,
        "uptime": None if session.uptime is None else round(session.uptime, 3),
        "last_error": session.last_error, "capabilities": list(session.capabilities),
        "routes_planned": session.routes_planned, "routes_sent": session.routes_sent,
        "updates_sent": session.updates_sent,
        "not_sent": [{"prefix": n.prefix, "reason": n.reason}
                     for n in session.not_sent[:MAX_NOT_SENT_LISTED]],
        "not_sent_total": len(session.not_sent),
        "graceful_restart": session.graceful_restart, "md5": session.md5,
    }


# --- Prometheus text format ------------------------------------------------------------------


def report_metrics(report: Report) -> str:
    """The ``GET /metrics`` page (Prometheus text format 0.0.4).

    MetalLB's names are used where MetalLB has the metric, with its labels (``peer`` is the
    address, ``pool`` the pool's name), so existing dashboards keep working; the rest are
    ``bgpwire_announcer_*``. The phase is a state set, as kube-state-metrics writes a pod's
    phase: one series per phase, every one present, 1 for the current one and 0 for the others,
    so that ``bgpwire_announcer_phase{phase="running"} == 0`` finds a node that is not running
    without knowing which other phase it is in.
    """
    out: list[str] = []
    sessions = report.sessions
    _family(out, "metallb_bgp_session_up", "gauge", "BGP session state (1 is up, 0 is down)",
            ((_peer(s), int(s.state == "Established")) for s in sessions))
    _family(out, "metallb_bgp_announced_prefixes_total", "gauge",
            "Number of prefixes currently being advertised on the BGP session",
            ((_peer(s), s.routes_sent) for s in sessions))
    _family(out, "metallb_bgp_updates_total", "counter",
            "Number of BGP UPDATE messages sent", ((_peer(s), s.updates_sent) for s in sessions))
    _family(out, "metallb_allocator_addresses_in_use_total", "gauge",
            "Number of IP addresses in use, per pool",
            (({"pool": p.name}, p.in_use) for p in report.pools))
    _family(out, "metallb_allocator_addresses_total", "gauge",
            "Number of usable IP addresses, per pool",
            (({"pool": p.name}, p.addresses) for p in report.pools))
    _family(out, "bgpwire_announcer_phase", "gauge",
            "The announcer's phase (1 for the current one: starting, running or stopping)",
            (({"phase": phase}, int(phase == report.phase)) for phase in get_args(Phase)))
    _family(out, "bgpwire_announcer_config_valid", "gauge",
            "Whether the configuration files are valid (0: the last reload was refused)",
            [({}, int(report.config_valid))])
    _family(out, "bgpwire_announcer_peer_problem", "gauge",
            "A BGPPeer that cannot work on this node, with the reason",
            (({**_peer(s), "problem": s.problem}, 1)
             for s in sessions if s.problem is not None))
    _family(out, "bgpwire_announcer_routes_not_sent", "gauge",
            "Planned routes that could not be sent on a session",
            ((_peer(s), len(s.not_sent)) for s in sessions))
    _family(out, "bgpwire_announcer_services_pending", "gauge",
            "Services waiting for an address",
            [({}, sum(1 for s in report.services if s.pending is not None))])
    _family(out, "bgpwire_announcer_reloads_total", "counter",
            "Configuration reloads, by outcome",
            [({"result": "applied"}, report.reloads),
             ({"result": "refused"}, report.failed_reloads)])
    return "".join(out)


def _peer(session: SessionReport) -> dict[str, str]:
    """MetalLB's ``peer`` label: the address, with the port when it is not 179."""
    address = session.address
    if session.port != 179:
        address = f"[{address}]:{session.port}" if ":" in address else \
            f"{address}:{session.port}"
    return {"peer": address, "name": session.name}


def _family(out: list[str], name: str, kind: str, help_text: str,
            samples: Iterable[tuple[dict[str, str], int | float]]) -> None:
    out.append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")
    for labels, value in samples:
        out.append(f"{name}{_labels(labels)} {value}\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


# --- text for ``status`` ----------------------------------------------------------------------


def status_text(document: dict[str, Any]) -> str:
    """A short human reading of a ``GET /status`` document (what ``status`` prints)."""
    lines: list[str] = []
    config = document.get("config", {})
    verdict = "valid" if config.get("valid") else "INVALID (running the last valid one)"
    phase = document.get("phase", "running")
    lines.append(f"node {document.get('node')} ({phase}): configuration {verdict}")
    if phase == "starting":
        lines.append("  starting: the files are being read and the sessions started; the lists "
                     "below are not complete yet")
    if config.get("last_error"):
        lines.append(f"  last error: {config['last_error']}")
    for note in config.get("notes", []):
        lines.append(f"  note: {note}")
    lines.append("sessions:")
    for s in document.get("sessions", []):
        up = f" up {s['uptime']:.0f}s" if s.get("uptime") is not None else ""
        problem = f" PROBLEM: {s['problem']}" if s.get("problem") else ""
        error = f" last error: {s['last_error']}" if s.get("last_error") else ""
        lines.append(f"  {s['name']} {s['address']} AS{s['peer_asn']}: {s['state']}{up}, "
                     f"{s['routes_sent']}/{s['routes_planned']} routes sent{problem}{error}")
        missing = s.get("not_sent", [])
        reasons = {entry["reason"] for entry in missing}
        if len(missing) > 1 and len(reasons) == 1:
            total = s.get("not_sent_total", len(missing))
            lines.append(f"    {total} routes not sent: {reasons.pop()}")
        else:
            for entry in missing:
                lines.append(f"    not sent {entry['prefix']}: {entry['reason']}")
    lines.append("services:")
    for svc in document.get("services", []):
        where = f" from {svc['pool']}" if svc.get("pool") else ""
        pending = f" pending: {svc['pending']}" if svc.get("pending") else ""
        lines.append(f"  {svc['name']}: {', '.join(svc['ips']) or '-'}{where}{pending}")
    for withheld in document.get("withheld", []):
        lines.append(f"withheld {withheld['prefix']}: {withheld['reason']}")
    pools = ", ".join(f"{pool['name']} {pool['in_use']}/{pool['addresses']}"
                      for pool in document.get("pools", []))
    lines.append(f"{document.get('routes', 0)} routes planned; pools in use: {pools or '-'}")
    return "\n".join(lines) + "\n"
