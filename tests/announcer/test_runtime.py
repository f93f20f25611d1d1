"""The announcer's runtime over loopback, with a bgpwire Speaker as the router (no root)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from bgpwire_announcer import validate_peers
from bgpwire_announcer.report import report_json, report_metrics
from bgpwire_announcer.runtime import Announcer, StartError
from bgpwire_announcer.speakers import NodeSettings

from bgpwire.attributes import ASPath, Communities, LargeCommunities, LocalPref
from bgpwire.attributes.communities import LargeCommunity
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.speaker import PeerDown, PeerUp, RoutesReceived
from tests.announcer.runtime_support import (
    ANNOUNCER_AS,
    EBGP_SOURCE,
    IBGP_SOURCE,
    LATE_SOURCE,
    NEXT_HOP4,
    NEXT_HOP6,
    close_router,
    config_yaml,
    lab,
    make_announcer,
    md5_router,
    session_of,
    signed_peer_config,
    start_router,
    wait_for,
)

# With the pool 198.51.100.0/28 + 2001:db8:100::/124 and services dns and web (allocated in
# name order, lowest free address first):
DNS4, DNS6 = "198.51.100.0/32", "2001:db8:100::/128"
WEB4, WEB6 = "198.51.100.1/32", "2001:db8:100::1/128"
ALL = {DNS4, DNS6, WEB4, WEB6}


@pytest.mark.asyncio
async def test_routes_arrive_with_the_attributes_of_each_session(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router = world.router
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE, IBGP_SOURCE))
        ebgp, ibgp = router.routes(EBGP_SOURCE), router.routes(IBGP_SOURCE)
        for table in (ebgp, ibgp):
            route = table[WEB4]
            communities = route.attr(Communities)
            large = route.attr(LargeCommunities)
            assert communities is not None and str(communities) == "65000:100"
            assert large is not None and large.values == (LargeCommunity(64500, 1, 2),)
        # eBGP: our AS prepended, no LOCAL_PREF (RFC 4271 §5.1.5), and the host's own IPv4
        # address as next hop: the session's 127.0.0.2 would be dropped as martian.
        assert ebgp[WEB4].attr(LocalPref) is None
        path = ebgp[WEB4].attr(ASPath)
        assert path is not None and path.asns == (ANNOUNCER_AS,)
        assert ebgp[WEB4].next_hop == NEXT_HOP4 and ibgp[WEB4].next_hop == NEXT_HOP4
        # iBGP: the advertisement's LOCAL_PREF, empty AS path.
        local_pref = ibgp[WEB4].attr(LocalPref)
        assert local_pref is not None and local_pref.value == 150
        ibgp_path = ibgp[WEB4].attr(ASPath)
        assert ibgp_path is not None and ibgp_path.asns == ()
        # IPv6 over an IPv4 session: MP_REACH_NLRI with the configured global next hop.
        assert ebgp[WEB6].family == IPV6_UNICAST and ebgp[WEB6].next_hop == NEXT_HOP6
        assert ibgp[WEB6].next_hop == NEXT_HOP6
        assert ebgp[WEB4].family == IPV4_UNICAST


@pytest.mark.asyncio
async def test_deleting_a_service_withdraws_both_families(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router = world.router
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE))
        mark = len(router.events)
        world.write(services=("web",))
        result = await world.announcer.reload()
        assert result.applied and result.withdrawn == 4 and result.announced == 0
        await wait_for(lambda: router.holds({WEB4, WEB6}, EBGP_SOURCE, IBGP_SOURCE))
        withdrawn = {str(route.prefix) for event in router.received(EBGP_SOURCE, mark)
                     for route in event.withdrawn}
        assert withdrawn == {DNS4, DNS6}
        assert not any(event.announced for event in router.received(EBGP_SOURCE, mark))


@pytest.mark.asyncio
async def test_an_edit_sends_only_the_routes_it_changes(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router = world.router
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE, IBGP_SOURCE))
        mark = len(router.events)
        world.write(services=("web", "dns", "mail"))  # one more service
        result = await world.announcer.reload()
        assert result.announced == 4  # its two routes, to each of the two peers
        new = {"198.51.100.2/32", "2001:db8:100::2/128"}
        await wait_for(lambda: new <= set(router.routes(IBGP_SOURCE))
                       and new <= set(router.routes(EBGP_SOURCE)))
        for source in (EBGP_SOURCE, IBGP_SOURCE):
            assert sorted(router.announced(source, mark)) == sorted(new)  # nothing else
        # No session was reset by it.
        assert not [e for e in router.events[mark:] if isinstance(e, PeerDown | PeerUp)]


@pytest.mark.asyncio
async def test_a_local_pref_edit_reaches_only_the_ibgp_session(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router = world.router
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE, IBGP_SOURCE))
        mark = len(router.events)

        def ebgp_updates() -> int:
            return world.session("ebgp").updates_sent

        ebgp_before = ebgp_updates()
        world.write(local_pref=300)
        await world.announcer.reload()

        def ibgp_updated() -> bool:
            routes = router.routes(IBGP_SOURCE).values()
            return all(r.attr(LocalPref) == LocalPref(300) for r in routes)

        await wait_for(ibgp_updated)
        # Each route once, with its new LOCAL_PREF.
        assert sorted(router.announced(IBGP_SOURCE, mark)) == sorted(ALL)
        # The eBGP session never carries LOCAL_PREF: what it would get again is identical to
        # what it has, and the speaker's Adj-RIB-Out sends no UPDATE for that (its changes
        # were offered before the iBGP session's, whose UPDATEs have arrived).
        assert ebgp_updates() == ebgp_before
        assert router.received(EBGP_SOURCE, mark) == []
        assert not [e for e in router.events[mark:] if isinstance(e, PeerDown | PeerUp)]


@pytest.mark.asyncio
async def test_a_refused_reload_changes_nothing_and_status_says_why(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE))
        mark = len(router.events)
        world.config.write_text(world.config.read_text().replace("holdTime: 30s",
                                                                 "holdTime: 2s", 1)
                                .replace("name: dns", "name: dns-renamed"))
        result = await announcer.reload()
        assert not result.applied
        report = announcer.report()
        assert not report.config_valid
        assert report.last_error is not None and "holdTime" in report.last_error
        assert report.failed_reloads == 1
        document = report_json(report)
        assert document["config"]["valid"] is False
        assert any("holdTime" in problem for problem in document["config"]["problems"])
        assert "bgpwire_announcer_config_valid 0" in report_metrics(report).splitlines()
        # Running config, sessions and routes as before.
        assert {s.name: s.state for s in report.sessions} == {"ebgp": "Established",
                                                              "ibgp": "Established"}
        assert [s.name for s in report.services] == ["default/dns", "default/web"]
        assert router.events[mark:] == []
        # A good edit afterwards applies and clears the error.
        world.write()
        assert (await announcer.reload()).applied
        assert announcer.report().config_valid and announcer.report().last_error is None


@pytest.mark.asyncio
async def test_absent_source_address_stops_only_that_peer_until_it_appears(
        tmp_path: Path) -> None:
    async with lab(tmp_path, late_peer=True) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.established(EBGP_SOURCE)
                       and router.established(IBGP_SOURCE))
        world.absent.add(LATE_SOURCE)  # the address "goes away"...
        world.write(late_peer=False)
        await announcer.reload()
        world.write(late_peer=True)  # ...and the peer comes back while it is absent
        await announcer.reload()
        report = {s.name: s for s in announcer.report().sessions}
        assert report["late"].problem == "source address absent"
        assert report["late"].state == "not started"
        assert report["late"].not_sent and report["late"].not_sent[0].reason == \
            "source address absent"
        assert report["ebgp"].problem is None
        metrics = report_metrics(announcer.report()).splitlines()
        assert ('bgpwire_announcer_peer_problem{name="late",peer="127.0.0.6:'
                f'{router.late_port}",problem="source address absent"}} 1') in metrics
        assert any(line.startswith('metallb_bgp_session_up{name="ebgp"')
                   and line.endswith(" 1") for line in metrics)
        assert not router.established(LATE_SOURCE)
        world.absent.discard(LATE_SOURCE)  # the address appears
        await announcer.recheck()
        await wait_for(lambda: router.holds(ALL, LATE_SOURCE))
        late = session_of(announcer, "late")
        assert late.problem is None
        assert router.routes(LATE_SOURCE)[WEB4].next_hop == NEXT_HOP4


@pytest.mark.asyncio
async def test_source_address_absent_at_start_then_present(tmp_path: Path) -> None:
    async with lab(tmp_path, late_peer=True, absent=(LATE_SOURCE,)) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE, IBGP_SOURCE))
        late = session_of(announcer, "late")
        assert late.problem == "source address absent" and late.state == "not started"
        assert router.ups(LATE_SOURCE) == 0  # no connection from any other address
        world.absent.clear()
        await announcer.recheck()
        await wait_for(lambda: router.holds(ALL, LATE_SOURCE))


@pytest.mark.asyncio
async def test_a_source_address_that_goes_away_is_reported(tmp_path: Path) -> None:
    async with lab(tmp_path, late_peer=True) as world:
        await wait_for(lambda: world.router.established(LATE_SOURCE))
        world.absent.add(LATE_SOURCE)
        await world.announcer.recheck()
        late = world.session("late")
        assert late.problem == "source address absent"
        world.absent.clear()  # back again: the running session was never stopped
        await world.announcer.recheck()
        late = world.session("late")
        assert late.problem is None and late.state == "Established"
        assert world.router.ups(LATE_SOURCE) == 1


@pytest.mark.asyncio
async def test_a_changed_peer_resets_only_its_own_session(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.established(EBGP_SOURCE)
                       and router.established(IBGP_SOURCE))
        ebgp_ups, ibgp_ups = router.ups(EBGP_SOURCE), router.ups(IBGP_SOURCE)
        world.write(ibgp_extra="  keepaliveTime: 5s\n")
        result = await announcer.reload()
        assert result.peers_reset == ["ibgp"] and result.announced == 0
        await wait_for(lambda: router.ups(IBGP_SOURCE) == ibgp_ups + 1)
        await wait_for(lambda: router.holds(ALL, IBGP_SOURCE))
        assert router.ups(EBGP_SOURCE) == ebgp_ups
        assert not [e for e in router.events if isinstance(e, PeerDown)
                    and e.address == EBGP_SOURCE]


@pytest.mark.asyncio
async def test_peers_removed_and_added_by_reload(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.holds(ALL, IBGP_SOURCE))
        config = world.config.read_text()
        start = config.index("---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\n"
                             "metadata: {name: ibgp")
        end = config.index("---", start + 3)
        world.config.write_text(config[:start] + config[end:])
        result = await announcer.reload()
        assert result.peers_removed == ["ibgp"]

        def downs() -> list[PeerDown]:
            return [e for e in router.events
                    if isinstance(e, PeerDown) and e.address == IBGP_SOURCE]

        await wait_for(lambda: bool(downs()))
        assert "ibgp removed" in str(downs()[-1].notification)
        assert [s.name for s in announcer.report().sessions] == ["ebgp"]
        world.write()
        result = await announcer.reload()
        assert result.peers_added == ["ibgp"]
        await wait_for(lambda: router.holds(ALL, IBGP_SOURCE))


@pytest.mark.asyncio
async def test_status_of_a_running_announcer(tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE, IBGP_SOURCE))
        await wait_for(lambda: all(s.routes_sent == 4 for s in announcer.report().sessions))
        document = report_json(announcer.report())
        sessions = {s["name"]: s for s in document["sessions"]}
        ebgp = sessions["ebgp"]
        assert ebgp["state"] == "Established" and ebgp["problem"] is None
        assert ebgp["uptime"] is not None and ebgp["uptime"] >= 0
        assert {"ipv4-unicast", "ipv6-unicast"} <= set(ebgp["capabilities"])
        assert ebgp["routes_planned"] == 4 and ebgp["not_sent"] == []
        assert ebgp["updates_sent"] >= 1 and ebgp["last_error"] is None
        assert ebgp["source_address"] == EBGP_SOURCE and ebgp["local_asn"] == ANNOUNCER_AS
        services = {s["name"]: s for s in document["services"]}
        assert services["default/web"]["ips"] == ["198.51.100.1", "2001:db8:100::1"]
        assert services["default/web"]["pool"] == "dual"
        assert document["pools"] == [{"name": "dual", "addresses": 32, "in_use": 4}]
        metrics = report_metrics(announcer.report()).splitlines()
        assert any(line.startswith('metallb_bgp_announced_prefixes_total{name="ibgp"')
                   and line.endswith(" 4") for line in metrics)
        assert 'metallb_allocator_addresses_in_use_total{pool="dual"} 4' in metrics


@pytest.mark.asyncio
async def test_ipv6_routes_without_a_next_hop_are_reported_not_sent(tmp_path: Path) -> None:
    async with lab(tmp_path, next_hop6=None) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.holds({DNS4, WEB4}, EBGP_SOURCE))

        def missing() -> dict[str, str]:
            ebgp = session_of(announcer, "ebgp")
            return {entry.prefix: entry.reason for entry in ebgp.not_sent}

        await wait_for(lambda: set(missing()) == {DNS6, WEB6})
        assert "next hop" in missing()[WEB6]


@pytest.mark.asyncio
async def test_status_says_starting_then_running_then_stopping(tmp_path: Path) -> None:
    router = await start_router()
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router))
    announcer = make_announcer(config, set(), None)
    try:
        assert announcer.report().phase == "starting"
        starting = asyncio.create_task(announcer.start())
        await asyncio.sleep(0)  # the start is now reading the files in a worker thread
        early = report_json(announcer.report())
        assert early["phase"] == "starting" and early["sessions"] == []
        await starting
        running = report_json(announcer.report())
        assert running["phase"] == "running"
        assert {s["name"] for s in running["sessions"]} == {"ebgp", "ibgp"}
    finally:
        await announcer.stop("withdraw")
        await close_router(router)
    assert announcer.report().phase == "stopping"


@pytest.mark.asyncio
async def test_loopback_sessions_without_a_host_ipv4_address_are_reported(
        tmp_path: Path) -> None:
    async with lab(tmp_path, next_hop4=None) as world:
        ebgp = session_of(world.announcer, "ebgp")
        assert ebgp.state == "not started"
        assert ebgp.problem is not None and "loopback (127.0.0.2)" in ebgp.problem
        assert "--next-hop-ipv4" in ebgp.problem
        assert {entry.reason for entry in ebgp.not_sent} == {ebgp.problem}
        assert not world.router.established(EBGP_SOURCE)


@pytest.mark.asyncio
async def test_the_file_watcher_reloads_on_its_own(tmp_path: Path) -> None:
    router = await start_router()
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router))
    announcer = make_announcer(config, set(), None, poll_interval=0.05)
    try:
        await announcer.start()
        await wait_for(lambda: router.holds(ALL, IBGP_SOURCE))
        config.write_text(config_yaml(router, services=("web",)))
        await wait_for(lambda: router.holds({WEB4, WEB6}, IBGP_SOURCE))
        assert announcer.reloads == 1
    finally:
        await announcer.stop("withdraw")
        await close_router(router)


GR = "  enableGracefulRestart: true\n"


@pytest.mark.asyncio
async def test_restart_under_graceful_restart_keeps_the_routes_at_the_router(
        tmp_path: Path) -> None:
    router = await start_router(graceful_restart=True)
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router, ebgp_extra=GR, ibgp_extra=GR))
    state = tmp_path / "state.json"
    first = make_announcer(config, set(), state)
    second = make_announcer(config, set(), state)
    try:
        await first.start()
        assert not first.restarting
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE, IBGP_SOURCE))
        await wait_for(lambda: all("graceful-restart" in s.capabilities
                                   for s in first.report().sessions))
        mark = len(router.events)
        await first.stop()  # default: graceful where the router agreed to it
        await wait_for(lambda: not router.established(EBGP_SOURCE))
        for source in (EBGP_SOURCE, IBGP_SOURCE):
            routes = router.routes(source)
            assert set(routes) == ALL and all(route.stale for route in routes.values())
        await second.start()
        assert second.restarting  # the state file says we ran before
        await wait_for(lambda: all(
            set(router.routes(source)) == ALL
            and not any(route.stale for route in router.routes(source).values())
            for source in (EBGP_SOURCE, IBGP_SOURCE)))
        withdrawn = [route for event in router.events[mark:]
                     if isinstance(event, RoutesReceived) for route in event.withdrawn]
        assert withdrawn == []  # never left the router's table
        web = {s.name: s for s in second.report().services}["default/web"]
        assert web.ips == ("198.51.100.1", "2001:db8:100::1")  # same addresses
    finally:
        await second.stop("withdraw")
        await close_router(router)


@pytest.mark.asyncio
async def test_withdraw_stop_ends_sessions_with_a_shutdown_communication(
        tmp_path: Path) -> None:
    router = await start_router(graceful_restart=True)
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router, ebgp_extra=GR))
    announcer = make_announcer(config, set(), None)
    try:
        await announcer.start()
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE))
        await announcer.stop("withdraw", "maintenance window")
        await wait_for(lambda: not router.routes(EBGP_SOURCE))
        notices = [e.notification for e in router.events if isinstance(e, PeerDown)
                   and e.address == EBGP_SOURCE and e.notification is not None]
        assert notices and notices[0].shutdown_communication == "maintenance window"
    finally:
        await close_router(router)


@pytest.mark.asyncio
async def test_a_peer_bgpwire_refuses_is_a_problem_of_that_peer_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Validation refuses this password; with its rule switched off, the key stands for any
    # value validation might let through and bgpwire refuses when the session is made.
    monkeypatch.setattr(validate_peers, "password_problem", lambda password: None)
    long_password = "  password: " + "x" * 100 + "\n"  # TCP-MD5 keys stop at 80 octets
    async with lab(tmp_path, ibgp_extra=long_password) as world:
        await wait_for(lambda: world.router.holds(ALL, EBGP_SOURCE))
        sessions = {s.name: s for s in world.announcer.report().sessions}
        problem = sessions["ibgp"].problem
        assert problem is not None and "md5_password" in problem and "1..80" in problem
        assert "x" * 20 not in problem  # the password itself is never shown
        assert sessions["ibgp"].state == "not started" and sessions["ibgp"].md5
        document = report_json(world.announcer.report())
        assert "x" * 20 not in str(document)


@pytest.mark.asyncio
async def test_a_state_file_that_cannot_be_written_stops_the_start(tmp_path: Path) -> None:
    router = await start_router()
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(router))
    announcer = make_announcer(config, set(), tmp_path / "missing-dir" / "state.json")
    try:
        with pytest.raises(StartError, match="state file not saved"):
            await announcer.start()
        assert router.ups(EBGP_SOURCE) == 0
    finally:
        await close_router(router)


@pytest.mark.asyncio
async def test_the_state_file_follows_allocation_changes(tmp_path: Path) -> None:
    async with lab(tmp_path, state=True) as world:
        state = tmp_path / "state.json"
        saved = json.loads(state.read_text())["services"]
        assert saved["default/web"] == {"ips": ["198.51.100.1", "2001:db8:100::1"],
                                        "pool": "dual"}
        world.write(services=("web",))
        await world.announcer.reload()
        assert set(json.loads(state.read_text())["services"]) == {"default/web"}


@pytest.mark.asyncio
async def test_a_running_peer_moved_to_an_absent_source_stops_then_starts_there(
        tmp_path: Path) -> None:
    async with lab(tmp_path) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.holds(ALL, EBGP_SOURCE))
        world.absent.add(LATE_SOURCE)
        world.config.write_text(world.config.read_text().replace(
            f"sourceAddress: {EBGP_SOURCE}", f"sourceAddress: {LATE_SOURCE}"))
        result = await announcer.reload()
        assert result.peers_reset == ["ebgp"]
        ebgp = session_of(announcer, "ebgp")
        assert ebgp.problem == "source address absent" and ebgp.state == "not started"
        await wait_for(lambda: not router.routes(EBGP_SOURCE))  # the old session is gone
        world.absent.clear()
        await announcer.recheck()
        await wait_for(lambda: router.holds(ALL, LATE_SOURCE))  # from the new source
        assert router.routes(LATE_SOURCE)[WEB4].next_hop == NEXT_HOP4


@pytest.mark.asyncio
async def test_a_reload_that_crashes_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with lab(tmp_path) as world:
        await wait_for(lambda: world.router.holds(ALL, EBGP_SOURCE))

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("reader bug")

        monkeypatch.setattr("bgpwire_announcer.runtime.compute", broken)
        result = await world.announcer.reload()
        assert not result.applied
        report = world.announcer.report()
        assert not report.config_valid
        assert report.last_error is not None and "reader bug" in report.last_error
        assert {s.name: s.state for s in report.sessions} == {"ebgp": "Established",
                                                              "ibgp": "Established"}


@pytest.mark.asyncio
async def test_a_state_file_among_the_manifests_is_refused(tmp_path: Path) -> None:
    router = await start_router()
    (tmp_path / "config.yaml").write_text(config_yaml(router))
    announcer = Announcer([str(tmp_path)], NodeSettings("node-1"),
                          state_path=str(tmp_path / "state.json"))
    try:
        with pytest.raises(StartError, match="keep the state file elsewhere"):
            await announcer.start()
    finally:
        await close_router(router)


@pytest.mark.asyncio
async def test_the_password_becomes_tcp_md5(tmp_path: Path) -> None:
    key = "s3cret-key"
    async with md5_router(key) as (router, port):
        config = tmp_path / "config.yaml"
        config.write_text(signed_peer_config(port, f"  password: {key}\n"))
        announcer = make_announcer(config, set(), None)
        try:
            await announcer.start()
            await router.wait_established(15)
            assert session_of(announcer, "ebgp").md5
            assert key not in str(report_json(announcer.report()))
        finally:
            await announcer.stop("withdraw")
