"""Graceful restart (RFC 4724) with FRR: the routes never leave FRR while the announcer restarts.

The announcer runs with ``enableGracefulRestart``, ``--state`` and ``--on-stop graceful``. It is
stopped (SIGTERM, then in the second test SIGKILL, a crash) while a thread reads FRR's whole
table several times a second; meanwhile the files change (one service removed); the announcer
starts again with the same state file. Every snapshot must
hold every route of the services that stay (stale is fine); after the return they are fresh,
the removed service's routes are gone (End-of-RIB) and never come back, and the services kept
their addresses. A third test stops with ``--on-stop withdraw`` instead: FRR must then drop
the routes at once, never holding them as stale.
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
    FRRRouter,
    Neighbor,
    advertisement,
    announcer_lab,
    bgp_peer,
    missing_binaries,
    node,
    pool,
    running,
    service,
    wait_until,
    write_manifests,
)
from tests.interop.netns import unavailable_reason

pytestmark = pytest.mark.interop

FRR_HOST = 21
SIGTERM_SOURCE, SIGKILL_SOURCE, WITHDRAW_SOURCE = 161, 162, 163
"""Each test has its own session (source address): the stale routes the other test leaves
behind in FRR at its end cannot meet it."""


@pytest.fixture(scope="module")
def lab() -> Iterator[AnnouncerLab]:
    reason = unavailable_reason()
    if reason is not None:
        print(f"\nannouncer interop tests skipped: {reason}")
        pytest.skip(reason)
    sources = [SIGTERM_SOURCE, SIGKILL_SOURCE, WITHDRAW_SOURCE]
    with announcer_lab("g", sources, [FRR_HOST]) as made:
        yield made


@pytest.fixture(scope="module")
def frr(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FRRRouter]:
    if missing_binaries("frr"):
        pytest.fail(f"FRR is not installed (missing {', '.join(missing_binaries('frr'))})")
    neighbors = [Neighbor(lab.addresses.v4(host), EBGP_AS)
                 for host in (SIGTERM_SOURCE, SIGKILL_SOURCE, WITHDRAW_SOURCE)]
    router = FRRRouter(lab.router_ns, tmp_path_factory.mktemp("restart-frr"),
                       lab.addresses.v4(FRR_HOST), lab.addresses.v6(FRR_HOST), neighbors,
                       graceful_restart=True)
    with running(router):
        router.start()
        router.wait_ready()
        yield router


def manifests(frr: FRRRouter, lab: AnnouncerLab, source_host: int,
              services: list[str]) -> list[dict[str, Any]]:
    """Services get fresh addresses from the pool: after the restart only the state file
    (and determinism) can give them the same ones."""
    return [
        node(),
        pool("dual", "192.0.2.64/26", "2001:db8:64::/112"),
        advertisement("all", ["dual"]),
        bgp_peer("frr", my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=frr.address4,
                 source_address=lab.addresses.v4(source_host), graceful_restart=True),
        *(service(name) for name in services),
    ]


Snapshot = dict[str, bool]
"""Prefix to "stale" for every route FRR holds from the announcer."""


@dataclass
class Watcher:
    """A thread reading FRR's table from one neighbor as fast as vtysh answers."""

    frr: FRRRouter
    neighbor: str
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def read(self) -> Snapshot:
        return {prefix: bool(path.get("stale", False))
                for afi in ("ipv4", "ipv6")
                for prefix, path in self.frr.paths_from(afi, self.neighbor).items()}

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
        assert not self.errors, f"reading FRR's table failed: {self.errors[:3]}"
        self.snapshots.append(self.read())  # the end state, after the last wait succeeded
        return self.snapshots


def _service_prefixes(announcer: Announcer) -> dict[str, set[str]]:
    """Each service's host routes (/32, /128) by service name, from the status."""
    found = {}
    for name, entry in announcer.services().items():
        found[name] = {f"{ip}/{128 if ':' in ip else 32}" for ip in entry["ips"]}
    return found


def _fresh(watcher: Watcher, want: set[str]) -> bool:
    snapshot = watcher.read()
    return set(snapshot) == want and not any(snapshot.values())


def _restart_keeps_routes(frr: FRRRouter, lab: AnnouncerLab, tmp_path: Path, *,
                          source_host: int, stop: Callable[[Announcer], None],
                          before: list[str], after: list[str]) -> None:
    neighbor = lab.addresses.v4(source_host)
    config = tmp_path / "metallb.yaml"
    state = tmp_path / "state.json"
    write_manifests(config, manifests(frr, lab, source_host, before))
    first = Announcer(lab.announcer_ns, tmp_path / "first", [config], state=state,
                      on_stop="graceful")
    watcher = Watcher(frr, neighbor)
    with running(first):
        first.start()
        wait_until("the announcer has addresses for every service",
                   lambda: len(first.services()) == len(before), [first, frr])
        prefixes = _service_prefixes(first)
        everything = set().union(*prefixes.values())
        wait_until("FRR holds every route, fresh", partial(_fresh, watcher, everything),
                   [first, frr])
        dropped_before = int(frr.neighbor_info(neighbor).get("connectionsDropped", 0))
        watcher.start()
        stop(first)

    write_manifests(config, manifests(frr, lab, source_host, after))
    second = Announcer(lab.announcer_ns, tmp_path / "second", [config], state=state,
                       on_stop="graceful")
    with running(second):
        second.start()
        wait_until("the announcer is back with the edited files",
                   lambda: sorted(second.services()) == sorted(f"default/{n}" for n in after),
                   [second, frr])
        later = _service_prefixes(second)
        kept = {name: ips for name, ips in later.items() if name in prefixes}
        assert kept == {name: prefixes[name] for name in kept}, "addresses changed"
        final = set().union(*later.values())
        wait_until("FRR holds exactly the new routes, fresh", partial(_fresh, watcher, final),
                   [second, frr])
        snapshots = watcher.stop()

    assert int(frr.neighbor_info(neighbor).get("connectionsDropped", 0)) > dropped_before
    stayed = set().union(*(prefixes[name] for name in kept))
    removed = everything - final
    assert removed, "the scenario removes a service"
    assert len(snapshots) > 5, f"only {len(snapshots)} snapshots of FRR's table"
    for number, snapshot in enumerate(snapshots):
        missing = stayed - set(snapshot)
        assert not missing, f"snapshot {number}/{len(snapshots)}: FRR lost {sorted(missing)}"
    assert any(any(snapshot.values()) for snapshot in snapshots), \
        "FRR never marked the routes stale: the session did not go through a restart"
    gone_at = next(i for i, snapshot in enumerate(snapshots) if not removed & set(snapshot))
    back = [i for i, snapshot in enumerate(snapshots[gone_at:], gone_at)
            if removed & set(snapshot)]
    assert not back, f"removed routes came back in snapshots {back}"


def test_sigterm_graceful_restart_keeps_routes(
    lab: AnnouncerLab, frr: FRRRouter, tmp_path: Path
) -> None:
    def sigterm(announcer: Announcer) -> None:
        assert announcer.stop() == 0, announcer.log_tail()

    _restart_keeps_routes(frr, lab, tmp_path, source_host=SIGTERM_SOURCE, stop=sigterm,
                          before=["web", "api", "db"], after=["web", "api"])


def test_sigkill_graceful_restart_keeps_routes(
    lab: AnnouncerLab, frr: FRRRouter, tmp_path: Path
) -> None:
    _restart_keeps_routes(frr, lab, tmp_path, source_host=SIGKILL_SOURCE,
                          stop=Announcer.kill,
                          before=["web", "api", "db"], after=["web", "db"])


def test_sigterm_with_withdraw_removes_routes_at_once(
    lab: AnnouncerLab, frr: FRRRouter, tmp_path: Path
) -> None:
    """``--on-stop withdraw`` on a graceful-restart session: FRR must not keep the routes
    as stale ones (MetalLB users choose this to move traffic away before a node goes)."""
    neighbor = lab.addresses.v4(WITHDRAW_SOURCE)
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(frr, lab, WITHDRAW_SOURCE, ["web", "api"]))
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
    stale = [snapshot for snapshot in snapshots if any(snapshot.values())]
    assert not stale, f"FRR kept routes as stale after a withdrawing stop: {stale[0]}"


def _fresh_count(watcher: Watcher, count: int) -> bool:
    snapshot = watcher.read()
    return len(snapshot) == count and not any(snapshot.values())
