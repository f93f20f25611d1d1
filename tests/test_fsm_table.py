"""The transition table as a whole, robustness against any input, collisions, and sans-IO."""

from __future__ import annotations

import ast
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bgpwire.fsm
from bgpwire.constants import CeaseSubcode, ErrorCode, FSMErrorSubcode
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import (
    TRANSITIONS,
    Action,
    Initiator,
    Input,
    NotificationReceived,
    NotificationSent,
    Session,
    SessionDown,
    State,
    collision_winner,
    resolve_collision,
)
from bgpwire.fsm.table import FSM_ERROR_SUBCODE, MESSAGE_INPUTS
from bgpwire.messages import Keepalive, Message, Notification, Open, RouteRefresh, Update, decode
from tests.fsm_helpers import A_ID, B_ID, SessionPair, config, mirror, raw_message, state

NOW = 1000.0
MESSAGES: dict[Input, Message] = {
    Input.BGP_OPEN: Open.build(asn=65002, hold_time=90, bgp_identifier=B_ID),
    Input.KEEPALIVE_MSG: Keepalive(),
    Input.UPDATE_MSG: Update(),
    Input.NOTIF_MSG: Notification(ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_RESET),
    Input.ROUTE_REFRESH_MSG: RouteRefresh(IPV4_UNICAST),
}


def session_in(target: State, *, delay_open: bool = False) -> Session:
    """A session driven to ``target`` through the public API, with its outputs drained.

    ``delay_open`` gives Connect and Active a live connection waiting on the DelayOpenTimer.
    """
    delay_open = delay_open and target in (State.CONNECT, State.ACTIVE)
    a_config = config(delay_open_time=5 if delay_open else 0)
    pair = SessionPair(a_config, mirror(config()), now=NOW)
    a = pair.a.session
    if target is State.ESTABLISHED:
        pair.establish()
    elif target in (State.OPEN_SENT, State.OPEN_CONFIRM):
        pair.connect()
        if target is State.OPEN_CONFIRM:
            pair.a.collect()
            a.receive_data(pair.b.collect(), NOW)
    elif target is not State.IDLE:
        a.start(NOW, passive=target is State.ACTIVE)
        if delay_open:
            a.connection_made(NOW)
    assert a.state is target, (target, a.state)
    a.data_to_send()
    a.next_events()
    return a


def test_the_table_is_total_and_errors_go_to_idle() -> None:
    assert set(TRANSITIONS) == {(s, i) for s in State for i in Input}
    for (from_state, inp), transition in TRANSITIONS.items():
        assert transition.targets, (from_state, inp)
        if transition.action is Action.FSM_ERROR:
            assert transition.targets == (State.IDLE,)
        if from_state is State.IDLE:
            assert transition.action in (Action.IGNORE, Action.START, Action.REFUSE_CONNECTION)


def test_every_message_is_an_fsm_error_or_handled_in_every_connected_state() -> None:
    for from_state in (State.OPEN_SENT, State.OPEN_CONFIRM, State.ESTABLISHED):
        for inp in MESSAGE_INPUTS:
            assert TRANSITIONS[(from_state, inp)].action is not Action.IGNORE


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(State)), st.sampled_from(list(Input)), st.booleans())
def test_every_state_and_input(from_state: State, inp: Input, delay_open: bool) -> None:
    """h2's check: each pair is a legal transition, or an FSM Error that ends in Idle."""
    session = session_in(from_state, delay_open=delay_open)
    connected = session.connected
    transition = TRANSITIONS[(from_state, inp)]
    session.fire(inp, NOW, MESSAGES.get(inp))
    events = session.next_events()
    sent = [e.notification for e in events if isinstance(e, NotificationSent)]
    if transition.action is Action.FSM_ERROR:
        assert state(session) is State.IDLE
        if connected:
            expected = FSM_ERROR_SUBCODE.get(from_state, FSMErrorSubcode.UNSPECIFIED)
            assert [(n.code, n.subcode) for n in sent] == [(ErrorCode.FSM_ERROR, expected)]
            assert decode(session.data_to_send()[-21:]) == sent[0]
        else:
            assert not sent
    elif session.state not in transition.targets:
        # An error while carrying out the action: a clean fall to Idle.
        assert state(session) is State.IDLE
        assert any(isinstance(e, SessionDown) for e in events)
    if transition.action is Action.IGNORE:
        assert state(session) is from_state and not events
        assert session.data_to_send() == b""


def test_fire_refuses_a_message_input_without_its_message() -> None:
    session = session_in(State.ESTABLISHED)
    with pytest.raises(LocalProtocolError):
        session.fire(Input.UPDATE_MSG, NOW)
    with pytest.raises(LocalProtocolError):
        session.fire(Input.UPDATE_MSG, NOW, Keepalive())


# --- any bytes at all ------------------------------------------------------------

_framed = st.builds(
    raw_message,
    st.integers(0, 7),
    st.binary(max_size=80),
)
_valid = st.sampled_from([m.encode() for m in MESSAGES.values()])
_chunks = st.lists(st.one_of(st.binary(max_size=64), _framed, _valid), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([State.OPEN_SENT, State.OPEN_CONFIRM, State.ESTABLISHED]), _chunks,
       st.booleans())
def test_random_bytes_never_raise(from_state: State, chunks: list[bytes], bytewise: bool) -> None:
    session = session_in(from_state)
    data = b"".join(chunks)
    pieces = [data[i:i + 1] for i in range(len(data))] if bytewise else chunks
    for piece in pieces:
        session.receive_data(piece, NOW)
    events = session.next_events()
    if state(session) is State.IDLE:
        sent = [e for e in events if isinstance(e, NotificationSent)]
        received = [e for e in events if isinstance(e, NotificationReceived)]
        assert sent or received
        if sent:
            out = session.data_to_send()
            encoded = sent[-1].notification.encode()
            assert out.endswith(encoded)
    else:
        assert state(session) in (State.OPEN_SENT, State.OPEN_CONFIRM, State.ESTABLISHED)
        assert not any(isinstance(e, NotificationSent) for e in events)


# --- collisions (RFC 4271 §6.8) ------------------------------------------------------------


@pytest.mark.parametrize(("local_id", "remote_id", "local_as", "remote_as", "winner"), [
    ("10.0.0.1", "10.0.0.2", 1, 2, Initiator.REMOTE),
    ("10.0.0.2", "10.0.0.1", 1, 2, Initiator.LOCAL),
    ("128.0.0.1", "10.0.0.1", 1, 2, Initiator.LOCAL),  # compared as unsigned integers
    ("10.0.0.1", "10.0.0.1", 65001, 65002, Initiator.REMOTE),  # RFC 6286 §2.3
    ("10.0.0.1", "10.0.0.1", 65003, 65002, Initiator.LOCAL),
])
def test_resolve_collision(local_id: str, remote_id: str, local_as: int, remote_as: int,
                           winner: Initiator) -> None:
    assert resolve_collision(IPv4Address(local_id), IPv4Address(remote_id),
                             local_as, remote_as) is winner


def _collide(a_id: IPv4Address) -> tuple[SessionPair, SessionPair]:
    """a connects to b, and b to a; both of a's sessions have b's OPEN."""
    a_cfg = config(router_id=a_id)
    b_cfg = mirror(a_cfg, router_id=B_ID)
    outgoing, incoming = SessionPair(a_cfg, b_cfg), SessionPair(b_cfg, a_cfg)
    for pair, a_side, b_side in ((outgoing, outgoing.a, outgoing.b),
                                 (incoming, incoming.b, incoming.a)):
        pair.connect()
        a_side.collect()
        a_side.session.receive_data(b_side.collect(), pair.now)
        a_side.collect()
        assert a_side.session.state is State.OPEN_CONFIRM
    return outgoing, incoming


@pytest.mark.parametrize(("a_id", "keep"), [(A_ID, "incoming"), (IPv4Address("10.0.0.9"),
                                                                 "existing")])
def test_collision_keeps_the_connection_of_the_higher_identifier(
    a_id: IPv4Address, keep: str
) -> None:
    outgoing, incoming = _collide(a_id)
    existing_session, incoming_session = outgoing.a.session, incoming.b.session
    assert existing_session.outbound and not incoming_session.outbound
    winner = collision_winner(existing_session, incoming_session)
    expected = incoming_session if keep == "incoming" else existing_session
    assert winner is expected
    loser_side = outgoing.a if keep == "incoming" else incoming.b
    loser_side.session.close_collision(outgoing.now)
    loser_side.collect()
    notification = [m for m in loser_side.messages() if isinstance(m, Notification)][-1]
    assert (notification.code, notification.subcode) == (
        ErrorCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION)
    assert state(loser_side.session) is State.IDLE
    assert winner.state is State.OPEN_CONFIRM


def test_an_established_session_wins_and_an_unopened_one_cannot_be_judged() -> None:
    established = SessionPair()
    established.establish()
    outgoing, incoming = _collide(A_ID)
    assert collision_winner(established.a.session, incoming.b.session) is established.a.session
    fresh = Session(config(), now=NOW)
    with pytest.raises(LocalProtocolError):
        collision_winner(outgoing.a.session, fresh)
    idle = Session(config(), now=NOW)
    assert collision_winner(idle, incoming.b.session) is incoming.b.session


# --- sans-IO ----------------------------------------------------------------------

_FORBIDDEN = {"asyncio", "socket", "time", "threading", "selectors", "select", "trio"}


def test_fsm_imports_no_io_clock_or_threads() -> None:
    package = Path(bgpwire.fsm.__file__).parent
    files = sorted(package.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in _FORBIDDEN, (path.name, name)
