"""bgpwire's asyncio speaker against each daemon: sessions, routes both ways, withdrawals."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from tests.interop import speaker
from tests.interop.daemons import RECEIVE_SLOT, SEND_SLOT, LabDaemon
from tests.interop.netns import Topology, run_in
from tests.interop.procs import RibEntry, await_for
from tests.interop.speaker import ROUTES4, ROUTES6, established, session_with

pytestmark = pytest.mark.interop


def ours(routes: dict[str, RibEntry], prefixes: Iterable[str]) -> dict[str, RibEntry]:
    wanted = set(prefixes)
    return {prefix: entry for prefix, entry in routes.items() if prefix in wanted}


def all_of(routes: dict[str, RibEntry], prefixes: Iterable[str]) -> dict[str, RibEntry] | None:
    """The routes for ``prefixes`` once every one of them is there."""
    found = ours(routes, prefixes)
    return found if set(found) == set(prefixes) else None


def rib_has(daemon: LabDaemon, afi: str, neighbor: str, prefixes: Iterable[str]) -> Callable[
        [], dict[str, RibEntry] | None]:
    return lambda: all_of(daemon.routes(afi, neighbor), prefixes)


def rib_lacks(daemon: LabDaemon, afi: str, neighbor: str, prefixes: Iterable[str]) -> Callable[
        [], bool]:
    return lambda: not ours(daemon.routes(afi, neighbor), prefixes)


@pytest.mark.parametrize("transport", ["ipv4", "ipv6"])
def test_session_comes_up_from_the_bound_address(
    daemon: LabDaemon, topology: Topology, transport: str
) -> None:
    """The daemon only knows bgpwire at its exact address: Established proves the bind."""
    remote, local = ((daemon.address4, daemon.peer4) if transport == "ipv4"
                     else (daemon.address6, daemon.peer6))

    async def main() -> None:
        async with session_with(daemon, remote=remote, local=local) as (_session, recorder):
            up = await recorder.wait("SessionEstablished", established)
            assert up.negotiation.remote.asn == daemon.plan.asn
            await await_for(f"{daemon.name} sees {local} Established",
                            lambda: daemon.established(local), daemon.process)

    run_in(topology.side_a, main)


def test_routes_sent_appear_in_the_daemon_rib_and_withdrawals_remove_them(
    daemon: LabDaemon, topology: Topology
) -> None:
    local = daemon.slot4(SEND_SLOT)
    want4 = {p: speaker.expected(p, local) for p in ROUTES4}
    want6 = {p: speaker.expected(p, daemon.peer6) for p in ROUTES6}

    async def main() -> None:
        async with session_with(daemon, local=local) as (session, recorder):
            up = await recorder.wait("SessionEstablished", established)
            ctx = up.negotiation.send_ctx
            session.send_updates(speaker.announcements(local, daemon.peer6, ctx))
            for afi, want in (("ipv4", want4), ("ipv6", want6)):
                got = await await_for(f"{daemon.name} has bgpwire's {afi} routes",
                                      rib_has(daemon, afi, local, want), daemon.process)
                assert got == want
            session.send_updates(speaker.withdrawals(ctx))
            for afi, prefixes in (("ipv4", ROUTES4), ("ipv6", ROUTES6)):
                await await_for(f"{daemon.name} drops bgpwire's {afi} routes",
                                rib_lacks(daemon, afi, local, prefixes), daemon.process)

    run_in(topology.side_a, main)


def test_routes_the_daemon_originates_arrive_with_their_attributes(
    daemon: LabDaemon, topology: Topology
) -> None:
    want = {
        daemon.originated4: daemon.expected_from_daemon("ipv4"),
        daemon.originated6: daemon.expected_from_daemon("ipv6"),
    }

    async def main() -> None:
        async with session_with(daemon, local=daemon.slot4(RECEIVE_SLOT)) as (_, recorder):
            await recorder.wait("SessionEstablished", established)
            got = await recorder.wait(f"{daemon.name}'s routes",
                                      lambda _: all_of(recorder.routes(), want))
            assert got == want

    run_in(topology.side_a, main)
