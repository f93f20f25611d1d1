"""The announcer recovers from a router restart and from a cleared session on its own.

Issue 5 asks that a peer or router restart needs no manual action. The announcer runs with
short timers (``holdTime`` 9s, ``connectTime`` 1s) towards FRR, its routes in FRR's RIB; then

* FRR's bgpd is killed hard (SIGKILL: no NOTIFICATION, its TCP connection closed by the
  kernel) and started again with the same configuration once the announcer has had a
  connection attempt refused;
* FRR clears the session itself (``clear bgp *``: a Cease NOTIFICATION).

Each time the announcer must come back without a reload or a signal: FRR's RIB holds exactly
the same routes again, and the announcer's status shows the session Established with the
reason it went down as its last error. Nothing is timed: every wait polls with a deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    EBGP_AS,
    ROUTER_AS,
    Announcer,
    AnnouncerLab,
    advertisement,
    bgp_peer,
    lab_fixture,
    node,
    pool,
    require_daemon,
    running,
    service,
    wait_until,
    write_manifests,
)
from tests.interop.daemons import Neighbor
from tests.interop.frr import FRR
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

FRR_HOST = 21
KILL_SOURCE, CLEAR_SOURCE = 171, 172
"""Each test has its own session (source address) and its own FRR."""
PEER = "frr"
RECOVERY_TIMEOUT = 60.0
"""Generous: a reconnection takes a connect retry (1s) or two; a loaded machine takes more."""
SERVICES = {"web": ("198.51.100.10", "2001:db8:100::10"),
            "api": ("198.51.100.20", "2001:db8:100::20")}


lab = lab_fixture("c", [KILL_SOURCE, CLEAR_SOURCE], [FRR_HOST])


def _frr(lab: AnnouncerLab, workdir: Path, source_host: int) -> FRR:
    require_daemon("frr")
    return FRR(lab.router_ns, workdir, lab.addresses.v4(FRR_HOST),
                     lab.addresses.v6(FRR_HOST),
                     [Neighbor(lab.addresses.v4(source_host), EBGP_AS)])


def manifests(frr: FRR, lab: AnnouncerLab, source_host: int) -> list[dict[str, Any]]:
    return [
        node(),
        pool("dual", "198.51.100.0/24", "2001:db8:100::/120"),
        advertisement("hosts", ["dual"]),
        bgp_peer(PEER, my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=frr.address4,
                 source_address=lab.addresses.v4(source_host), hold_time="9s",
                 connect_time="1s"),
        *(service(name, ips) for name, ips in SERVICES.items()),
    ]


def expected(lab: AnnouncerLab, source_host: int) -> dict[str, Route]:
    """Host routes of every service address: IPv4 next hop the session's source, IPv6 next
    hop the node's global IPv6 address (the session is IPv4)."""
    routes = {}
    for v4, v6 in SERVICES.values():
        routes[f"{v4}/32"] = Route(f"{v4}/32", lab.addresses.v4(source_host))
        routes[f"{v6}/128"] = Route(f"{v6}/128", lab.node_v6)
    return routes


def _holds_exactly(frr: FRR, neighbor: str, want: dict[str, Route]) -> bool:
    return frr.all_announced(neighbor) == want


def _established_after_a_loss(announcer: Announcer) -> dict[str, Any] | None:
    """The session entry once it is Established again with a last error recorded."""
    entry = announcer.session(PEER)
    return entry if entry["state"] == "Established" and entry["last_error"] else None


def _recovers(lab: AnnouncerLab, tmp_path: Path, source_host: int,
              disrupt: Callable[[FRR, Announcer], None]) -> dict[str, Any]:
    """Run the announcer towards a fresh FRR until FRR holds every route, ``disrupt``, then
    wait for the same routes and an Established session; the session's status entry."""
    neighbor = lab.addresses.v4(source_host)
    want = expected(lab, source_host)
    frr = _frr(lab, tmp_path / "frr", source_host)
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(frr, lab, source_host))
    announcer = Announcer(lab.announcer_ns, tmp_path / "announcer", [config])
    with running(frr, announcer):
        frr.start()
        frr.wait_ready()
        announcer.start()
        wait_until(f"FRR holds {sorted(want)} from {neighbor}",
                   partial(_holds_exactly, frr, neighbor, want), [announcer, frr])
        before = announcer.session(PEER)
        assert before["state"] == "Established" and not before["last_error"], before

        disrupt(frr, announcer)

        wait_until(f"FRR holds {sorted(want)} from {neighbor} again",
                   partial(_holds_exactly, frr, neighbor, want), [announcer, frr],
                   timeout=RECOVERY_TIMEOUT)
        after = wait_until("the announcer's session Established again, its last error kept",
                           partial(_established_after_a_loss, announcer), [announcer, frr],
                           timeout=RECOVERY_TIMEOUT)
        assert after["routes_sent"] == len(want), after
        assert announcer.alive(), announcer.log_tail()
        return after


def _refused(announcer: Announcer) -> bool:
    entry = announcer.session(PEER)
    return entry["state"] != "Established" and str(entry["last_error"]).startswith(
        "connection failed:")


def _kill_and_restart(frr: FRR, announcer: Announcer) -> None:
    """SIGKILL bgpd (the only FRR daemon here: no zebra); start it on the same files once
    the announcer has seen a connection attempt refused (a router that takes a while to come
    back: each refusal made bgpwire wait longer before the next attempt)."""
    process = frr.process.process
    assert process is not None
    process.kill()
    process.wait()
    wait_until("the announcer tried to reconnect and was refused",
               partial(_refused, announcer), [announcer], timeout=RECOVERY_TIMEOUT)
    frr.start()
    frr.wait_ready()


def _clear_session(frr: FRR, announcer: Announcer, neighbor: str) -> None:
    """``clear bgp *`` and wait until FRR counts the dropped connection (so the wait for
    recovery cannot be satisfied by the session as it was before)."""
    dropped = int(frr.neighbor_info(neighbor).get("connectionsDropped", 0))
    frr.vtysh_text("clear bgp *")
    wait_until("FRR dropped the session",
               lambda: int(frr.neighbor_info(neighbor).get("connectionsDropped", 0)) > dropped,
               [frr], timeout=RECOVERY_TIMEOUT)


def test_recovers_from_frr_killed_and_restarted(lab: AnnouncerLab, tmp_path: Path) -> None:
    after = _recovers(lab, tmp_path, KILL_SOURCE, _kill_and_restart)
    # The kernel closed bgpd's connection: no NOTIFICATION, a lost connection.
    assert "NOTIFICATION" not in after["last_error"], after


def test_recovers_from_session_cleared_by_frr(lab: AnnouncerLab, tmp_path: Path) -> None:
    neighbor = lab.addresses.v4(CLEAR_SOURCE)
    after = _recovers(lab, tmp_path, CLEAR_SOURCE, partial(_clear_session, neighbor=neighbor))
    assert "NOTIFICATION received" in after["last_error"], after
    assert "CEASE" in after["last_error"].upper(), after
