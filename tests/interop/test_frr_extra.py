"""FRR only, on dedicated bgpd instances: a frozen peer (hold timer), Graceful Restart, iBGP.

These tests stop bgpd with SIGSTOP or leave stale routes behind, so they do not use the shared
FRR of the ``lab``: this module starts two bgpd processes of its own, on addresses of their own
in the same namespaces, and stops them at its end.

| instance | AS | daemon side | bgpwire side |
|---|---|---|---|
| eBGP | 65005 | ``.25`` | ``.15`` frozen peer (``timers 1 3``), ``.65`` Graceful Restart |
| iBGP | 65010 | ``.26`` | ``.16`` |
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bgpwire import (
    IPV6_UNICAST,
    ASPath,
    ErrorCode,
    LocalPref,
    MPReachNLRI,
    NextHop,
    Origin,
    OriginCode,
    Update,
    pack_announcements,
)
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import Event, GracefulRestartConfig, SessionDown, State, UpdateReceived
from bgpwire.messages.restart_capabilities import GracefulRestartCapability
from bgpwire.rib import end_of_rib
from tests.interop import speaker
from tests.interop.daemons import BGPWIRE_AS, Plan, started
from tests.interop.frr import LabFRR
from tests.interop.netns import Topology, extra_hosts, run_in
from tests.interop.procs import await_for
from tests.interop.speaker import ROUTES4, ROUTES6, down, established, peer_config, session_with

pytestmark = pytest.mark.interop

FROZEN_PEER_HOST = 15
GR_PEER_HOST = 65
IBGP_PEER_HOST = 16
HOLD_TIME = 3
GR_RESTART_TIME = 60
DOWNTIME_WATCH = 2.0
"""How long FRR's RIB is watched while bgpwire is "restarting"."""
BGPWIRE_LOCAL_PREF = 300
FRR_LOCAL_PREF = 250


class ExtraFRR(LabFRR):
    """A bgpd of this module's own, configured by :meth:`neighbor_lines`."""

    def config(self) -> list[str]:
        return [*self.header(*self.route_maps()), *self.neighbor_lines()]

    def route_maps(self) -> list[str]:
        return []

    def neighbor_lines(self) -> list[str]:
        raise NotImplementedError


class EbgpFRR(ExtraFRR):
    name: ClassVar[str] = "frr-ebgp"
    plan: ClassVar[Plan] = Plan(asn=65005, daemon_host=25, peer_host=FROZEN_PEER_HOST, index=5)

    @property
    def frozen_peer(self) -> str:
        return self.host4(FROZEN_PEER_HOST)

    @property
    def gr_peer(self) -> str:
        return self.host4(GR_PEER_HOST)

    def neighbor_lines(self) -> list[str]:
        frozen, gr = self.frozen_peer, self.gr_peer
        return [
            *self.passive_neighbor(frozen, f"timers 1 {HOLD_TIME}"),
            *self.passive_neighbor(gr),
            " address-family ipv4 unicast",
            f"  neighbor {frozen} activate",
            f"  neighbor {gr} activate",
            " exit-address-family",
            " address-family ipv6 unicast",
            f"  neighbor {gr} activate",
            " exit-address-family",
        ]


class IbgpFRR(ExtraFRR):
    name: ClassVar[str] = "frr-ibgp"
    plan: ClassVar[Plan] = Plan(asn=BGPWIRE_AS, daemon_host=26, peer_host=IBGP_PEER_HOST,
                                index=6)

    def route_maps(self) -> list[str]:
        return ["route-map ORIGINATE permit 10", f" set local-preference {FRR_LOCAL_PREF}",
                "exit", "!"]

    def neighbor_lines(self) -> list[str]:
        peer = self.peer4
        return [
            *self.passive_neighbor(peer),
            " address-family ipv4 unicast",
            f"  network {self.originated4} route-map ORIGINATE",
            f"  neighbor {peer} activate",
            " exit-address-family",
        ]


@pytest.fixture(scope="module")
def extra_frr(topology: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[EbgpFRR, IbgpFRR]]:
    work = tmp_path_factory.mktemp("interop-frr-extra")
    work.chmod(0o755)
    side_a = [FROZEN_PEER_HOST, GR_PEER_HOST, IBGP_PEER_HOST]
    side_b = [EbgpFRR.plan.daemon_host, IbgpFRR.plan.daemon_host]
    with extra_hosts(topology, side_a, side_b):
        daemons = (EbgpFRR(topology, Path(work) / "ebgp"), IbgpFRR(topology, Path(work) / "ibgp"))
        with started(*daemons):
            try:
                yield daemons
            finally:
                for daemon in daemons:
                    if daemon.process.alive():
                        os.kill(daemon.process.pid, signal.SIGCONT)  # a test may leave it stopped


@pytest.fixture
def ebgp_frr(extra_frr: tuple[EbgpFRR, IbgpFRR]) -> EbgpFRR:
    return extra_frr[0]


@pytest.fixture
def ibgp_frr(extra_frr: tuple[EbgpFRR, IbgpFRR]) -> IbgpFRR:
    return extra_frr[1]


# --- a frozen peer ------------------------------------------------------------------------------


def test_hold_timer_expires_when_frr_is_frozen(ebgp_frr: EbgpFRR, topology: Topology) -> None:
    """bgpd gets SIGSTOP: its keepalives stop, bgpwire's 3 s hold timer sends 4/0 and goes down."""
    frr = ebgp_frr
    local = frr.frozen_peer
    config = peer_config(frr, hold_time=HOLD_TIME, auto_restart=False)

    async def main() -> None:
        async with session_with(frr, local=local, config=config) as (session, recorder):
            up = await recorder.wait("SessionEstablished", established)
            assert up.negotiation.hold_time == HOLD_TIME
            await await_for("FRR sees the session Established",
                            lambda: frr.established(local), frr.process)
            # A keepalive or two from FRR keep the session up past one hold time first.
            await asyncio.sleep(HOLD_TIME + 0.5)
            assert down(recorder.events) is None, recorder.events
            stopped_at = time.monotonic()
            os.kill(frr.process.pid, signal.SIGSTOP)
            try:
                gone = await recorder.wait("SessionDown (hold timer)", down, 3 * HOLD_TIME)
                elapsed = time.monotonic() - stopped_at
            finally:
                os.kill(frr.process.pid, signal.SIGCONT)
            sent = gone.notification_sent
            assert sent is not None, gone
            assert sent.code == ErrorCode.HOLD_TIMER_EXPIRED
            assert gone.notification_received is None
            # FRR sent its last KEEPALIVE at most 1 s before it froze.
            assert HOLD_TIME - 1.5 <= elapsed <= HOLD_TIME + 1.5, elapsed
            assert session.state is State.IDLE
            # Thawed, FRR notices the session is gone.
            await await_for("FRR sees the session down",
                            lambda: frr.neighbor_state(local) not in ("Established", "?"),
                            frr.process)

        # FRR is usable again: a new session from the same address comes up.
        async with session_with(frr, local=local,
                                config=peer_config(frr, hold_time=HOLD_TIME)) as (_, recorder):
            await recorder.wait("SessionEstablished again", established, 20.0)
            await await_for("FRR sees the new session Established",
                            lambda: frr.established(local), frr.process)

    run_in(topology.side_a, main)


# --- Graceful Restart -----------------------------------------------------------------------


def _gr(restarting: bool) -> GracefulRestartConfig:
    return GracefulRestartConfig(restart_time=GR_RESTART_TIME, restarting=restarting,
                                 forwarding_state=frozenset({IPV4_UNICAST, IPV6_UNICAST}))


def _announce(local4: str, local6: str, prefixes4: tuple[str, ...], prefixes6: tuple[str, ...],
              ctx: Any) -> list[Any]:
    updates = pack_announcements(speaker.attributes(local4),
                                 [IPv4Network(p) for p in prefixes4], ctx)
    reach = MPReachNLRI(IPV6_UNICAST, (IPv6Address(local6),), ())
    updates += pack_announcements((*speaker.attributes(), reach),
                                  [IPv6Network(p) for p in prefixes6], ctx)
    return updates


ALL_ROUTES = [("ipv4", p) for p in ROUTES4] + [("ipv6", p) for p in ROUTES6]
KEPT = [("ipv4", ROUTES4[0]), ("ipv6", ROUTES6[0])]
"""Re-announced after the restart; the other two are not, so End-of-RIB removes them."""
DROPPED = [route for route in ALL_ROUTES if route not in KEPT]


def _staleness(frr: EbgpFRR, neighbor: str,
               routes: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Whether each route FRR has from ``neighbor`` is stale; routes it lacks are left out."""
    result = {}
    for afi, prefix in routes:
        paths = frr.paths(afi, prefix, neighbor)
        if paths:
            result[(afi, prefix)] = bool(paths[0].get("stale", False))
    return result


def test_graceful_restart_keeps_routes_stale_until_end_of_rib(
    ebgp_frr: EbgpFRR, topology: Topology
) -> None:
    frr = ebgp_frr
    local4, local6 = frr.gr_peer, topology.addresses.v6(GR_PEER_HOST)

    def all_fresh() -> bool:
        state = _staleness(frr, local4, ALL_ROUTES)
        return len(state) == len(ALL_ROUTES) and not any(state.values())

    async def main() -> None:
        before = peer_config(frr, auto_restart=False, graceful_restart=_gr(restarting=False))
        async with session_with(frr, local=local4, config=before) as (session, recorder):
            up = await recorder.wait("SessionEstablished", established)
            assert up.negotiation.graceful_restart is not None, "FRR sent no GR capability"
            ctx = up.negotiation.send_ctx
            session.send_updates([*_announce(local4, local6, ROUTES4, ROUTES6, ctx),
                                  end_of_rib(IPV4_UNICAST), end_of_rib(IPV6_UNICAST)])
            await await_for("FRR has the 4 routes", all_fresh, frr.process)

            # The "crash": the connection goes away without a NOTIFICATION.
            session.abort()
            gone = await recorder.wait("SessionDown", down)
            assert gone.notification_sent is None and gone.notification_received is None
        assert not any(e.notification_sent for e in recorder.events
                       if isinstance(e, SessionDown))

        await await_for("FRR sees the session down",
                        lambda: frr.neighbor_state(local4) not in ("Established", "?"),
                        frr.process)
        # Down time: FRR keeps every route, marked stale, the whole time.
        deadline = time.monotonic() + DOWNTIME_WATCH
        while time.monotonic() < deadline:
            state = await asyncio.to_thread(_staleness, frr, local4, ALL_ROUTES)
            assert set(state) == set(ALL_ROUTES), f"FRR dropped routes while down: {state}"
            assert all(state.values()), f"routes not stale while down: {state}"
            await asyncio.sleep(0.2)

        after = peer_config(frr, auto_restart=False, graceful_restart=_gr(restarting=True))
        async with session_with(frr, local=local4, config=after) as (session, recorder):
            up = await recorder.wait("SessionEstablished after the restart", established, 20.0)
            sent = up.negotiation.local.capability(GracefulRestartCapability)
            assert sent is not None and sent.restart_state
            assert {(e.family, e.forwarding_state) for e in sent.families} == {
                (IPV4_UNICAST, True), (IPV6_UNICAST, True)}
            # Up again, nothing sent yet: still all there, still stale.
            state = await asyncio.to_thread(_staleness, frr, local4, ALL_ROUTES)
            assert state == dict.fromkeys(ALL_ROUTES, True), state

            ctx = up.negotiation.send_ctx
            session.send_updates(_announce(local4, local6, (ROUTES4[0],), (ROUTES6[0],), ctx))
            await await_for(
                "re-announced routes no longer stale",
                lambda: _staleness(frr, local4, KEPT) == dict.fromkeys(KEPT, False),
                frr.process)
            state = await asyncio.to_thread(_staleness, frr, local4, DROPPED)
            assert state == dict.fromkeys(DROPPED, True), state

            session.send_updates([end_of_rib(IPV4_UNICAST), end_of_rib(IPV6_UNICAST)])
            await await_for("End-of-RIB removes the routes not re-announced",
                            lambda: not _staleness(frr, local4, DROPPED), frr.process)
            state = await asyncio.to_thread(_staleness, frr, local4, ALL_ROUTES)
            assert state == dict.fromkeys(KEPT, False), state
            want = {prefix: speaker.expected(prefix, local4 if afi == "ipv4" else local6)
                    for afi, prefix in KEPT}
            got = {**frr.routes("ipv4", local4), **frr.routes("ipv6", local4)}
            assert got == want

    run_in(topology.side_a, main)


# --- iBGP -----------------------------------------------------------------------------------


def test_ibgp_local_pref_both_ways(ibgp_frr: IbgpFRR, topology: Topology) -> None:
    frr = ibgp_frr
    local = frr.peer4
    prefix = ROUTES4[0]

    async def main() -> None:
        async with session_with(frr, local=local, config=peer_config(frr)) as (session, recorder):
            up = await recorder.wait("SessionEstablished", established)
            assert up.negotiation.internal
            # iBGP: an empty AS_PATH (RFC 4271 §5.1.2 a) and a LOCAL_PREF (§5.1.5).
            ctx = up.negotiation.send_ctx
            session.send_updates(pack_announcements(
                _ibgp_attributes(local), [IPv4Network(prefix)], ctx))

            def frr_path() -> dict[str, Any] | None:
                paths = frr.paths("ipv4", prefix, local)
                return paths[0] if paths else None

            path = await await_for("FRR has bgpwire's iBGP route", frr_path, frr.process)
            assert path.get("locPrf") == BGPWIRE_LOCAL_PREF, path
            assert path.get("peer", {}).get("type") == "internal", path

            def frr_route(events: list[Event]) -> Update | None:
                return next((e.update for e in events if isinstance(e, UpdateReceived)
                             and any(str(item) == frr.originated4
                                     for _, item in e.update.announced())), None)

            update = await recorder.wait("FRR's iBGP route", frr_route)
            local_pref = update.attr(LocalPref)
            assert local_pref is not None and local_pref.value == FRR_LOCAL_PREF

    run_in(topology.side_a, main)


def _ibgp_attributes(next_hop: str) -> tuple[Any, ...]:
    return (Origin(OriginCode.IGP), ASPath.from_asns([]), NextHop(IPv4Address(next_hop)),
            LocalPref(BGPWIRE_LOCAL_PREF))
