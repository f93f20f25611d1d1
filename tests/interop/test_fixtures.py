"""The interop fixtures themselves: each daemon runs in its namespace, on its own addresses."""

from __future__ import annotations

import pytest

from tests.interop.daemons import LabDaemon
from tests.interop.netns import Topology
from tests.interop.procs import listening

pytestmark = pytest.mark.interop


def test_daemon_listens_on_its_own_addresses_only(daemon: LabDaemon, topology: Topology) -> None:
    daemon.process.check_alive()
    assert listening(topology.side_b, daemon.address4)
    assert listening(topology.side_b, daemon.address6)
    assert not listening(topology.side_b, "0.0.0.0")
    assert not listening(topology.side_b, "::")
    assert not listening(topology.side_a, daemon.address4)
