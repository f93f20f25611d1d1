"""The configurable keepalive interval (PeerConfig.keepalive_time) and how sessions use it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bgpwire.errors import LocalProtocolError
from bgpwire.fsm import State, Timer
from bgpwire.messages import Keepalive
from tests.fsm_helpers import SessionPair, config, mirror, state


@pytest.mark.parametrize(("hold_time", "keepalive_time", "fragment"), [
    (90, 91, "exceeds hold_time 90"),
    (90, 0.5, "at least 1 s"),
    (90, 0, "at least 1 s"),
    (0, 10, "exceeds hold_time 0"),
    (0, -1, "must not be negative"),
    (90, "30", "is not a number"),
    (90, True, "is not a number"),
])
def test_refused_keepalive_times_name_field_and_value(
        hold_time: int, keepalive_time: Any, fragment: str) -> None:
    with pytest.raises(LocalProtocolError, match=fragment) as raised:
        config(hold_time=hold_time, keepalive_time=keepalive_time)
    assert f"PeerConfig.keepalive_time = {keepalive_time!r}" in str(raised.value)


def test_default_is_a_third_of_the_negotiated_hold_time() -> None:
    cfg = config(hold_time=90)
    assert cfg.keepalive_time is None
    assert (cfg.keepalive_for(90), cfg.keepalive_for(9), cfg.keepalive_for(0)) == (30, 3, 0)


def test_configured_value_is_used_while_below_a_third() -> None:
    cfg = config(hold_time=90, keepalive_time=10)
    assert cfg.keepalive_for(90) == 10
    assert cfg.keepalive_for(15) == 5  # the peer asked for a shorter hold time
    assert cfg.keepalive_for(0) == 0
    assert replace(cfg, hold_time=0, keepalive_time=0).keepalive_for(0) == 0


def test_value_above_a_third_but_within_hold_time_is_capped() -> None:
    assert config(hold_time=90, keepalive_time=60).keepalive_for(90) == 30


def test_session_arms_the_configured_keepalive_and_sends_on_it() -> None:
    pair = SessionPair(config(hold_time=90, keepalive_time=7, jitter=False),
                       mirror(config(), hold_time=90))
    pair.establish()
    negotiation = pair.a.session.negotiation
    assert negotiation is not None and negotiation.keepalive_time == 7
    assert pair.a.session.timers[Timer.KEEPALIVE] == pair.now + 7
    other = pair.b.session.negotiation
    assert other is not None and other.keepalive_time == 30  # the peer keeps its default
    before = sum(isinstance(m, Keepalive) for m in pair.a.messages())
    pair.advance(7)
    assert sum(isinstance(m, Keepalive) for m in pair.a.messages()) == before + 1
    assert state(pair.a.session) is State.ESTABLISHED


def test_zero_hold_time_runs_no_keepalive_even_if_configured() -> None:
    pair = SessionPair(config(hold_time=0, keepalive_time=0), mirror(config(), hold_time=90))
    pair.establish()
    assert Timer.KEEPALIVE not in pair.a.session.timers
    negotiation = pair.a.session.negotiation
    assert negotiation is not None and negotiation.keepalive_time == 0
