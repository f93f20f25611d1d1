"""Daemons that connect to bgpwire: a passive PeerSession behind a Listener on port 179."""

from __future__ import annotations

import pytest

from bgpwire.aio import Listener, PeerSession, TransportOptions
from tests.interop.bird import LabBIRD
from tests.interop.frr import LabFRR
from tests.interop.netns import Topology, run_in
from tests.interop.procs import await_for
from tests.interop.speaker import Recorder, established, peer_config

pytestmark = pytest.mark.interop

CONNECT_TIMEOUT = 15.0
"""Both daemons retry every second (FRR `timers connect 1`, BIRD `connect retry time 1`)."""


@pytest.mark.parametrize("fixture", ["frr_daemon", "bird_daemon"])
def test_daemon_connects_to_the_listener(
    fixture: str, request: pytest.FixtureRequest, topology: Topology
) -> None:
    daemon = request.getfixturevalue(fixture)
    assert isinstance(daemon, LabFRR | LabBIRD)
    local = daemon.active_peer

    async def main() -> None:
        session = PeerSession(peer_config(daemon, passive=True), daemon.address4,
                              TransportOptions(local_address=local))
        listener = Listener({daemon.address4: session}, host=local)
        recorder = Recorder(session)
        recorder.start()
        await listener.start()
        await session.start()
        try:
            await recorder.wait("SessionEstablished", established, CONNECT_TIMEOUT)
            assert session.local_address == (local, 179)
            assert session.remote_address is not None
            assert session.remote_address[0] == daemon.address4
            await await_for(f"{daemon.name} sees {local} Established",
                            lambda: daemon.established(local), daemon.process)
            want = daemon.expected_from_daemon("ipv4")
            got = await recorder.wait(f"{daemon.name}'s route",
                                      lambda _: recorder.routes().get(want.prefix))
            assert got == want
        finally:
            await session.stop("test done")
            await listener.close()
            await recorder.stop()

    run_in(topology.side_a, main)
