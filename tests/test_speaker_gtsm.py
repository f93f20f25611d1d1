"""GTSM (RFC 5082) towards a Speaker: its listener's SYN-ACK must arrive with TTL 255."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bgpwire.aio import TransportOptions
from bgpwire.fsm import State
from tests.test_speaker import A_ADDR, B_ADDR, B_AS, a_spec_for, b_spec, speakers
from tests.waiting import wait_for


@pytest.mark.asyncio
async def test_a_peer_using_gtsm_connects_to_the_speakers_listener() -> None:
    async with speakers() as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS,
                                            options=TransportOptions(gtsm_hops=1)))
        spec = b_spec(a.speaker)
        options = TransportOptions(local_address=B_ADDR, remote_port=a.speaker.listen_ports[0],
                                   gtsm_hops=1)
        await b.speaker.add_peer(replace(spec, options=options))
        await wait_for(lambda: (session := b.speaker.session(A_ADDR)) is not None
                       and session.state is State.ESTABLISHED)
        assert a.speaker.peer_status(B_ADDR).state is State.ESTABLISHED
