"""``connectTime`` bounds the wait between connection attempts, also after failures.

bgpwire doubles the wait after each failed attempt (IdleHold); a router that refuses
connections while it restarts fails every attempt, so uncapped the waits grew to minutes
and the announcer came back long after the router did (issue 5: recovery without manual
action). The announcer caps them at the BGPPeer's ``connectTime``.
"""

from __future__ import annotations

import pytest
from bgpwire_announcer.model import BGPPeer
from bgpwire_announcer.model import Origin as ModelOrigin
from bgpwire_announcer.speakers import (
    DEFAULT_CONNECT_TIME,
    FIRST_RETRY_TIME,
    NodeSettings,
    peer_spec,
)

NODE = NodeSettings("node-1")


def spec_config(connect_time: int | None) -> tuple[float, float, float]:
    """(ConnectRetry, first IdleHold, IdleHold after 20 failures) of a BGPPeer's session."""
    peer = BGPPeer(origin=ModelOrigin("BGPPeer", "metallb-system", "p"), my_asn=64500,
                   peer_asn=64501, peer_address="10.0.0.1", source_address="10.0.0.2",
                   connect_time=connect_time)
    config = peer_spec(peer, NODE, lambda _: None).config
    return config.connect_retry_time, config.idle_hold_delay(1), config.idle_hold_delay(20)


@pytest.mark.parametrize(("connect_time", "expected"), [
    (1, (1.0, 1.0, 1.0)),
    (None, (DEFAULT_CONNECT_TIME, FIRST_RETRY_TIME, DEFAULT_CONNECT_TIME)),
    (120, (120.0, FIRST_RETRY_TIME, 120.0)),
])
def test_failed_attempts_wait_at_most_connect_time(
        connect_time: int | None, expected: tuple[float, float, float]) -> None:
    assert spec_config(connect_time) == expected
