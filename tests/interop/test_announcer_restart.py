"""Graceful restart (RFC 4724): the routes never leave the router while the announcer restarts.

The announcer runs with ``enableGracefulRestart``, ``--state`` and ``--on-stop graceful``. It is
stopped (SIGTERM, or SIGKILL as a crash) while a thread reads the router's table from that
session as fast as its CLI answers; meanwhile the files change (one service removed); the
announcer starts again with the same state file. Every snapshot must hold every route of the
services that stay (stale is fine); after the return they are fresh, the removed service's
routes are gone (End-of-RIB) and never come back, and the services kept their addresses. The
restart runs against FRR, GoBGP and BIRD, each acting as the graceful-restart helper. A last
test (FRR) stops with ``--on-stop withdraw`` instead: FRR must then drop the routes at once,
never holding them as stale.

How each router shows "stale": FRR and GoBGP flag each path (``stale`` in their JSON). BIRD
2.0.12 shows no per-route mark for routes kept through a regular graceful restart, so a BIRD
snapshot counts every route as stale while the protocol reports ``Neighbor graceful restart
active``: from the session's loss until the restarted announcer's End-of-RIB. BIRD waits the
restart time the announcer advertised (120 s), and long-lived graceful restart plays no part
(the announcer does not offer it). BIRD's default, ``graceful restart aware``, already makes
it a helper; the fixture says ``on``. With ``off`` these tests fail (every route lost in the
first snapshot), as they do with GoBGP's graceful-restart configuration left out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
from tests.interop.bird import BIRD
from tests.interop.daemons import Daemon, Neighbor, started
from tests.interop.frr import FRR
from tests.interop.gobgp import GoBGP

pytestmark = pytest.mark.interop

ROUTER_HOSTS = {"frr": 21, "gobgp": 22, "bird": 23}
SOURCES = {("frr", "sigterm"): 161, ("frr", "sigkill"): 162, ("frr", "withdraw"): 163,
           ("gobgp", "sigkill"): 165, ("bird", "sigterm"): 166, ("bird", "sigkill"): 167}
"""Each test has its own session (source address): the stale routes one test leaves behind
in a router at its end cannot meet another. GoBGP runs the SIGKILL case only: it closes the
connections it accepts for about 5 s after a graceful-restart session loss (seen with
``idle-hold-time-after-reset = 1``), so each GoBGP case costs some 6 s, and a SIGTERM with
``--on-stop graceful`` looks to the router like the crash (the TCP connection ends, no
NOTIFICATION)."""
ROUTER_CLASSES: dict[str, type[Daemon]] = {
    "frr": FRR, "gobgp": GoBGP, "bird": BIRD}


lab = lab_fixture("g", sorted(SOURCES.values()), sorted(ROUTER_HOSTS.values()))


def _router(name: str, lab: AnnouncerLab, workdir: Path) -> Iterator[Daemon]:
    """One graceful-restart helper with a passive neighbor per test session against it."""
    require_daemon(name)
    neighbors = [Neighbor(lab.addresses.v4(host), EBGP_AS)
                 for (router, _), host in sorted(SOURCES.items()) if router == name]
    host = ROUTER_HOSTS[name]
    router = ROUTER_CLASSES[name](lab.router_ns, workdir, lab.addresses.v4(host),
                                  lab.addresses.v6(host), neighbors, graceful_restart=True)
    with started(router):
        yield router


@pytest.fixture(scope="module")
def frr(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    yield from _router("frr", lab, tmp_path_factory.mktemp("restart-frr"))


@pytest.fixture(scope="module")
def gobgp(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    yield from _router("gobgp", lab, tmp_path_factory.mktemp("restart-gobgp"))


@pytest.fixture(scope="module")
def bird(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    yield from _router("bird", lab, tmp_path_factory.mktemp("restart-bird"))


def manifests(router: Daemon, lab: AnnouncerLab, source_host: int,
              services: list[str]) -> list[dict[str, Any]]:
    """Services get fresh addresses from the pool: after the restart only the state file
    (and determinism) can give them the same ones. ``connectTime`` 1 s: GoBGP closes the
    connection the restarted announcer opens at once (it idles a moment after a session
    loss), and the default 10 s retry would only make the test slower."""
    return [
        node(),
        pool("dual", "192.0.2.64/26", "2001:db8:64::/112"),
        advertisement("all", ["dual"]),
        bgp_peer(router.name, my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=router.address4,
                 source_address=lab.addresses.v4(source_host), graceful_restart=True,
                 connect_time="1s"),
        *(service(name) for name in services),
    ]


Snapshot = dict[str, bool]
"""Prefix to "stale" for every route the router holds from the announcer."""


def snapshot(router: Daemon, neighbor: str) -> Snapshot:
    """The router's whole table from ``neighbor``, stale or not (see the module doc)."""
    if isinstance(router, FRR):
        return {prefix: bool(path.get("stale", False))
                for afi in ("ipv4", "ipv6")
                for prefix, path in router.paths_from(afi, neighbor).items()}
    if isinstance(router, GoBGP):
        # The global table, not ``neighbor X adj-in``: the CLI answers an empty adj-in of a
        # session that is not up with an error instead of an empty table.
        result = {}
        for afi in ("ipv4", "ipv6"):
            for prefix, paths in (router.cli("global", "rib", "-a", afi) or {}).items():
                for path in paths:
                    if path.get("neighbor-ip") == neighbor:
                        result[prefix] = bool(path.get("stale", False))
        return result
    if isinstance(router, BIRD):
        info = router.birdc("show", "protocols", "all", router.protocol_for(neighbor))
        restarting = "Neighbor graceful restart active" in info
        return dict.fromkeys(router.all_announced(neighbor), restarting)
    raise TypeError(f"router {router.name}: no way to read its table")


def sessions_lost(router: Daemon, neighbor: str) -> int | None:
    """How many times the session with ``neighbor`` went down, where the router counts it."""
    if isinstance(router, FRR):
        return int(router.neighbor_info(neighbor).get("connectionsDropped", 0))
    return None


@dataclass
class Watcher:
    """A thread reading the router's table from one neighbor as fast as its CLI answers."""

    router: Daemon
    neighbor: str
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def read(self) -> Snapshot:
        return snapshot(self.router, self.neighbor)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                self.snapshots.append(self.read())
            except Exception as error:  # reported by the test at its end
                self.errors.append(repr(error))

    def stop(self) -> list[Snapshot]:
        self.done.set()
        if self.thread is not None:
            self.thread.join()
        assert not self.errors, f"reading {self.router.name}'s table failed: {self.errors[:3]}"
        self.snapshots.append(self.read())  # the end state, after the last wait succeeded
        return self.snapshots


def _service_prefixes(announcer: Announcer) -> dict[str, set[str]]:
    """Each service's host routes (/32, /128) by service name, from the status."""
    found = {}
    for name, entry in announcer.services().items():
        found[name] = {f"{ip}/{128 if ':' in ip else 32}" for ip in entry["ips"]}
    return found


def _fresh(watcher: Watcher, want: set[str]) -> bool:
    taken = watcher.read()
    return set(taken) == want and not any(taken.values())


def _restart_keeps_routes(router: Daemon, lab: AnnouncerLab, tmp_path: Path, *,
                          source_host: int, stop: Callable[[Announcer], None],
                          before: list[str], after: list[str]) -> None:
    who = router.name
    neighbor = lab.addresses.v4(source_host)
    config = tmp_path / "metallb.yaml"
    state = tmp_path / "state.json"
    write_manifests(config, manifests(router, lab, source_host, before))
    first = Announcer(lab.announcer_ns, tmp_path / "first", [config], state=state,
                      on_stop="graceful")
    watcher = Watcher(router, neighbor)
    with running(first):
        first.start()
        wait_until("the announcer has addresses for every service",
                   lambda: len(first.services()) == len(before), [first, router])
        prefixes = _service_prefixes(first)
        everything = set().union(*prefixes.values())
        wait_until(f"{who} holds every route, fresh", partial(_fresh, watcher, everything),
                   [first, router])
        lost_before = sessions_lost(router, neighbor)
        watcher.start()
        stop(first)

    write_manifests(config, manifests(router, lab, source_host, after))
    second = Announcer(lab.announcer_ns, tmp_path / "second", [config], state=state,
                       on_stop="graceful")
    with running(second):
        second.start()
        wait_until("the announcer is back with the edited files",
                   lambda: sorted(second.services()) == sorted(f"default/{n}" for n in after),
                   [second, router])
        later = _service_prefixes(second)
        kept = {name: ips for name, ips in later.items() if name in prefixes}
        assert kept == {name: prefixes[name] for name in kept}, "addresses changed"
        final = set().union(*later.values())
        wait_until(f"{who} holds exactly the new routes, fresh",
                   partial(_fresh, watcher, final), [second, router])
        snapshots = watcher.stop()

    if lost_before is not None:
        lost_after = sessions_lost(router, neighbor)
        assert lost_after is not None and lost_after > lost_before, "the session never dropped"
    stayed = set().union(*(prefixes[name] for name in kept))
    removed = everything - final
    assert removed, "the scenario removes a service"
    assert len(snapshots) > 5, f"only {len(snapshots)} snapshots of {who}'s table"
    for number, taken in enumerate(snapshots):
        missing = stayed - set(taken)
        assert not missing, f"snapshot {number}/{len(snapshots)}: {who} lost {sorted(missing)}"
    assert any(any(taken.values()) for taken in snapshots), \
        f"{who} never marked the routes stale: the session did not go through a restart"
    gone_at = next(i for i, taken in enumerate(snapshots) if not removed & set(taken))
    back = [i for i, taken in enumerate(snapshots[gone_at:], gone_at) if removed & set(taken)]
    assert not back, f"removed routes came back in snapshots {back}"


def _sigterm(announcer: Announcer) -> None:
    assert announcer.stop() == 0, announcer.log_tail()


STOPS: dict[str, Callable[[Announcer], None]] = {"sigterm": _sigterm, "sigkill": Announcer.kill}
"""SIGTERM with ``--on-stop graceful`` (no NOTIFICATION), and SIGKILL (a crash)."""


@pytest.mark.parametrize(("router_name", "stop"),
                         sorted(case for case in SOURCES if case[1] in STOPS))
def test_graceful_restart_keeps_routes(
    lab: AnnouncerLab, router_name: str, stop: str, request: pytest.FixtureRequest,
    tmp_path: Path
) -> None:
    router = request.getfixturevalue(router_name)
    after = ["web", "api"] if stop == "sigterm" else ["web", "db"]
    _restart_keeps_routes(router, lab, tmp_path, source_host=SOURCES[router_name, stop],
                          stop=STOPS[stop], before=["web", "api", "db"], after=after)


def test_sigterm_with_withdraw_removes_routes_at_once(
    lab: AnnouncerLab, frr: Daemon, tmp_path: Path
) -> None:
    """``--on-stop withdraw`` on a graceful-restart session: FRR must not keep the routes
    as stale ones (MetalLB users choose this to move traffic away before a node goes)."""
    source = SOURCES["frr", "withdraw"]
    neighbor = lab.addresses.v4(source)
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(frr, lab, source, ["web", "api"]))
    announcer = Announcer(lab.announcer_ns, tmp_path, [config], on_stop="withdraw")
    watcher = Watcher(frr, neighbor)
    with running(announcer):
        announcer.start()
        wait_until("FRR holds the 4 routes, fresh", partial(_fresh_count, watcher, 4),
                   [announcer, frr])
        watcher.start()
        assert announcer.stop() == 0, announcer.log_tail()
        wait_until("FRR holds nothing from the announcer", lambda: not watcher.read(), [frr])
        snapshots = watcher.stop()
    stale = [taken for taken in snapshots if any(taken.values())]
    assert not stale, f"FRR kept routes as stale after a withdrawing stop: {stale[0]}"


def _fresh_count(watcher: Watcher, count: int) -> bool:
    taken = watcher.read()
    return len(taken) == count and not any(taken.values())
