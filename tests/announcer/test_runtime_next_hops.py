"""Host addresses that change while the announcer runs: loopback sessions take the new next hop
at the next periodic check, without waiting for a reload."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest

from tests.announcer.runtime_support import (
    EBGP_SOURCE,
    IBGP_SOURCE,
    NEXT_HOP4,
    close_router,
    config_yaml,
    make_announcer,
    session_of,
    start_router,
    wait_for,
)

WEB4 = "198.51.100.1/32"
MOVED = IPv4Address("192.0.2.77")


@pytest.mark.asyncio
async def test_a_host_address_that_appears_or_changes_reaches_loopback_sessions(
        tmp_path: Path) -> None:
    router = await start_router()
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router))
    host: list[IPv4Address | None] = [None]  # no global IPv4 address at start
    announcer = make_announcer(config, set(), None, ipv4_next_hop=lambda: host[0])

    def next_hops(source: str) -> set[object]:
        return {route.next_hop for prefix, route in router.routes(source).items()
                if "." in prefix}

    try:
        await announcer.start()
        ebgp = session_of(announcer, "ebgp")
        assert ebgp.state == "not started" and ebgp.problem is not None
        assert "no IPv4 next hop" in ebgp.problem
        await announcer.recheck()  # nothing changed: still not started
        assert session_of(announcer, "ebgp").problem == ebgp.problem

        host[0] = NEXT_HOP4  # the address appears
        await announcer.recheck()
        assert session_of(announcer, "ebgp").problem is None
        await wait_for(lambda: WEB4 in router.routes(EBGP_SOURCE)
                       and WEB4 in router.routes(IBGP_SOURCE))
        assert next_hops(EBGP_SOURCE) == next_hops(IBGP_SOURCE) == {NEXT_HOP4}

        host[0] = MOVED  # the lowest address changes: the routes follow
        await announcer.recheck()
        await wait_for(lambda: next_hops(EBGP_SOURCE) == next_hops(IBGP_SOURCE) == {MOVED})

        host[0] = None  # and goes away: the sessions stop, saying why
        await announcer.recheck()
        for name in ("ebgp", "ibgp"):
            session = session_of(announcer, name)
            assert session.state == "not started" and session.problem is not None
            assert "no IPv4 next hop" in session.problem
        assert announcer.reloads == 0 and announcer.failed_reloads == 0
    finally:
        await announcer.stop("withdraw")
        await close_router(router)
