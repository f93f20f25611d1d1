"""FRR only: OPEN errors over a real session, TCP-MD5 (RFC 2385) with right and wrong passwords."""

from __future__ import annotations

import asyncio
import time

import pytest

from bgpwire import ErrorCode
from bgpwire.constants import OpenMessageSubcode
from bgpwire.fsm import Event, NotificationReceived, SessionEstablished, State
from tests.interop import frr
from tests.interop.frr import LabFRR
from tests.interop.netns import Topology, run_in
from tests.interop.procs import await_for
from tests.interop.speaker import down, established, peer_config, session_with

pytestmark = pytest.mark.interop

BAD_PEER_AS = (ErrorCode.OPEN_MESSAGE_ERROR, OpenMessageSubcode.BAD_PEER_AS)
MD5_SILENCE = 3.0
"""How long a session with a wrong TCP-MD5 password is watched for not coming up."""


def test_wrong_peer_as_configured_in_bgpwire_sends_bad_peer_as(
    frr_daemon: LabFRR, topology: Topology
) -> None:
    config = peer_config(frr_daemon, peer_as=frr.WRONG_AS, auto_restart=False)

    async def main() -> None:
        async with session_with(frr_daemon, local=frr_daemon.wrong_as_peer,
                                config=config) as (_, recorder):
            gone = await recorder.wait("SessionDown", down)
            sent = gone.notification_sent
            assert sent is not None, gone
            assert (sent.code, sent.subcode) == BAD_PEER_AS
            assert not any(isinstance(e, SessionEstablished) for e in recorder.events)

    run_in(topology.side_a, main)


def test_daemon_expecting_another_as_answers_bad_peer_as(
    frr_daemon: LabFRR, topology: Topology
) -> None:
    config = peer_config(frr_daemon, auto_restart=False)

    def notification(events: list[Event]) -> NotificationReceived | None:
        return next((e for e in events if isinstance(e, NotificationReceived)), None)

    async def main() -> None:
        async with session_with(frr_daemon, local=frr_daemon.bad_as_peer, config=config) as (
                _, recorder):
            received = (await recorder.wait("NOTIFICATION from FRR", notification)).notification
            assert (received.code, received.subcode) == BAD_PEER_AS
            gone = await recorder.wait("SessionDown", down)
            assert gone.notification_received == received

    run_in(topology.side_a, main)


def test_md5_session_with_a_wrong_password_stays_down(
    frr_daemon: LabFRR, topology: Topology
) -> None:
    async def main() -> None:
        async with session_with(frr_daemon, local=frr_daemon.md5_peer,
                                md5_password="not-" + frr.MD5_PASSWORD) as (session, recorder):
            # Proving an absence: watch both sides for a while, failing as soon as one is up.
            deadline = time.monotonic() + MD5_SILENCE
            while time.monotonic() < deadline:
                assert not any(isinstance(e, SessionEstablished) for e in recorder.events)
                assert session.state != State.ESTABLISHED
                state = await asyncio.to_thread(frr_daemon.neighbor_state, frr_daemon.md5_peer)
                assert state != "Established"
                await asyncio.sleep(0.2)

    run_in(topology.side_a, main)


def test_md5_session_with_the_right_password_comes_up(
    frr_daemon: LabFRR, topology: Topology
) -> None:
    async def main() -> None:
        async with session_with(frr_daemon, local=frr_daemon.md5_peer,
                                md5_password=frr.MD5_PASSWORD) as (_, recorder):
            await recorder.wait("SessionEstablished", established)
            await await_for("FRR sees the MD5 session Established",
                            lambda: frr_daemon.established(frr_daemon.md5_peer),
                            frr_daemon.process)

    run_in(topology.side_a, main)
