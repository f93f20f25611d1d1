"""Fixtures for the interop tests: one namespace pair per test session, the daemons inside one.

Not root, or no ``ip netns``: every interop test skips, saying why. As root a missing daemon
is a failure, not a skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interop import bird, frr
from tests.interop.bird import LabBIRD
from tests.interop.daemons import (
    PRIMARY_HOST,
    RECEIVE_SLOT,
    SEND_SLOT,
    SESSION_SLOT,
    SLOT_STRIDE,
    LabDaemon,
    started,
)
from tests.interop.exabgp import ExaBGP
from tests.interop.frr import LabFRR
from tests.interop.gobgp import LabGoBGP
from tests.interop.netns import Topology, unavailable_reason

DAEMONS: dict[str, type[LabDaemon]] = {
    "frr": LabFRR, "gobgp": LabGoBGP, "bird": LabBIRD, "exabgp": ExaBGP}

SIDE_A_HOSTS = [
    PRIMARY_HOST,
    *(cls.plan.peer_host + SLOT_STRIDE * slot for cls in DAEMONS.values()
      for slot in (SESSION_SLOT, SEND_SLOT, RECEIVE_SLOT)),
    frr.MD5_PEER_HOST,
    frr.BAD_AS_PEER_HOST,
    frr.WRONG_AS_PEER_HOST,
    frr.ACTIVE_PEER_HOST,
    bird.ACTIVE_PEER_HOST,
]
SIDE_B_HOSTS = [cls.plan.daemon_host for cls in DAEMONS.values()]


def _missing(name: str) -> list[str]:
    return DAEMONS[name].missing_binaries()


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    reason = unavailable_reason()
    if reason is not None:
        print(f"\ninterop tests skipped: {reason}")
        pytest.skip(reason)
    topo = Topology.for_pid()
    try:
        topo.create(SIDE_A_HOSTS, SIDE_B_HOSTS)
        yield topo
    finally:
        topo.destroy()


@pytest.fixture(scope="session")
def lab(topology: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        dict[str, LabDaemon]]:
    """Every installed daemon, started together in the daemon namespace, stopped at the end."""
    work = tmp_path_factory.mktemp("interop")
    work.chmod(0o755)
    installed = {name: cls(topology, work / name) for name, cls in DAEMONS.items()
                 if not _missing(name)}
    with started(*installed.values()):
        yield installed


def _daemon(lab: dict[str, LabDaemon], name: str) -> LabDaemon:
    if name not in lab:
        pytest.fail(f"{name} is not installed (missing {', '.join(_missing(name))}); "
                    "scripts/test installs it: apt-get install frr gobgpd bird2 exabgp")
    return lab[name]


@pytest.fixture(params=list(DAEMONS))
def daemon(request: pytest.FixtureRequest, lab: dict[str, LabDaemon]) -> LabDaemon:
    """Each daemon in turn."""
    return _daemon(lab, str(request.param))


@pytest.fixture
def frr_daemon(lab: dict[str, LabDaemon]) -> LabFRR:
    found = _daemon(lab, "frr")
    assert isinstance(found, LabFRR)
    return found


@pytest.fixture
def bird_daemon(lab: dict[str, LabDaemon]) -> LabBIRD:
    found = _daemon(lab, "bird")
    assert isinstance(found, LabBIRD)
    return found
