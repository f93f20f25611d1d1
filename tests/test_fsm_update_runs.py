"""A session with ``update_runs`` tells table UPDATEs received together as one event.

Whatever the peer sends, and however it is cut into reads, such a session must do exactly
what one without the option does (the same bytes out, the same states, timers and held-back
messages), its events differing only in that :class:`UpdateRunReceived` stands for the
:class:`UpdateReceived` of each UPDATE it holds.
"""

from __future__ import annotations

from ipaddress import IPv6Network

from hypothesis import given, settings
from hypothesis import strategies as st

from bgpwire.constants import ErrorCode, UpdateMessageSubcode
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import (
    Event,
    NotificationSent,
    State,
    Timer,
    UpdateReceived,
    UpdateRunReceived,
)
from bgpwire.messages import Keepalive, Notification, RouteRefresh, Update, decode
from tests.fsm_helpers import (
    AS_PATH_B,
    NEXT_HOP_B,
    ORIGIN_IGP,
    SessionPair,
    raw_update,
    state,
)
from tests.test_fsm_session import last_notification, updates_for
from tests.test_rib_in import announce6


def flattened(events: list[Event]) -> list[Event]:
    """``events`` with each UpdateRunReceived replaced by the UpdateReceived it stands for."""
    flat: list[Event] = []
    for event in events:
        if isinstance(event, UpdateRunReceived):
            flat.extend(UpdateReceived(update) for update in event.updates)
        else:
            flat.append(event)
    return flat


def established(update_runs: bool) -> SessionPair:
    pair = SessionPair()
    pair.a.session.update_runs = update_runs
    pair.establish()
    pair.a.collect()
    pair.a.events.clear()
    return pair


IPV6_UPDATE = announce6(IPv6Network("2001:db8::/48")).encode()
WITHDRAWAL = raw_update(b"", withdrawn=bytes((24, 10, 9, 9)))


def test_table_updates_read_together_come_as_one_event_in_their_place() -> None:
    pair = established(update_runs=True)
    first, second = updates_for(5), updates_for(8)[5:]
    stream = [*first, Keepalive().encode(), *second, IPV6_UPDATE, WITHDRAWAL, *updates_for(1)]
    pair.a.session.receive_data(b"".join(stream), pair.now)
    pair.a.collect()
    kinds = [type(event) for event in pair.a.events]
    assert kinds == [UpdateRunReceived, UpdateRunReceived, UpdateReceived, UpdateReceived,
                     UpdateRunReceived]
    runs = pair.a.of(UpdateRunReceived)
    assert list(runs[0].updates) == [decode(raw) for raw in first]
    assert list(runs[1].updates) == [decode(raw) for raw in second]
    assert runs[0].updates.prefix_count == 5
    assert state(pair.a.session) is State.ESTABLISHED


def test_without_the_option_every_update_is_an_event_of_its_own() -> None:
    pair = established(update_runs=False)
    pair.a.session.receive_data(b"".join(updates_for(4)), pair.now)
    pair.a.collect()
    assert [type(event) for event in pair.a.events] == [UpdateReceived] * 4


def test_a_malformed_update_after_a_run_ends_the_session_after_the_run() -> None:
    pair = established(update_runs=True)
    bad_origin = bytes.fromhex("40010105")  # ORIGIN 5: RFC 7606 treat-as-withdraw ...
    bad_nlri = raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, bytes((33, 10, 0, 0, 0, 0)))
    stream = [*updates_for(3), raw_update(bad_origin + AS_PATH_B + NEXT_HOP_B,
                                          bytes((24, 10, 1, 1))), bad_nlri, *updates_for(2)]
    pair.a.session.receive_data(b"".join(stream), pair.now)
    pair.a.collect()
    run, treated, sent = (event for event in pair.a.events
                          if isinstance(event, UpdateRunReceived | UpdateReceived
                                        | NotificationSent))
    assert isinstance(run, UpdateRunReceived) and len(run.updates) == 3
    assert isinstance(treated, UpdateReceived) and treated.update.treat_as_withdraw  # ... alone
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (
        ErrorCode.UPDATE_MESSAGE_ERROR, UpdateMessageSubcode.INVALID_NETWORK_FIELD)
    assert isinstance(sent, NotificationSent)
    assert state(pair.a.session) is State.IDLE


def test_max_messages_caps_a_run_and_the_rest_waits() -> None:
    pair = established(update_runs=True)
    raws = updates_for(5)
    pair.a.session.receive_data(b"".join(raws), pair.now, max_messages=2)
    pair.a.collect()
    (run,) = pair.a.of(UpdateRunReceived)
    assert len(run.updates) == 2 and pair.a.session.waiting_messages == 3
    pair.a.session.receive_data(b"", pair.now)
    pair.a.collect()
    assert [u for e in pair.a.of(UpdateRunReceived) for u in e.updates] == [
        decode(raw) for raw in raws]


def test_a_run_restarts_the_hold_timer() -> None:
    pair = established(update_runs=True)
    session = pair.a.session
    before = session.timers[Timer.HOLD]
    pair.now += 5
    session.receive_data(b"".join(updates_for(3)), pair.now)
    assert session.timers[Timer.HOLD] == before + 5


def test_an_update_shorter_than_23_octets_ends_the_session_as_without_runs() -> None:
    """RFC 4271 §6.1: Bad Message Length. The test for a message that may start a run must
    not read past such a message's end."""
    for size in (19, 20, 21, 22):
        short = b"\xff" * 16 + size.to_bytes(2, "big") + b"\x02" + bytes(size - 19)
        results = []
        for update_runs in (False, True):
            pair = established(update_runs)
            pair.a.session.receive_data(b"".join(updates_for(2)) + short, pair.now)
            pair.a.collect()
            results.append((flattened(pair.a.events), bytes(pair.a.sent)))
            notification = last_notification(pair.a.messages())
            assert (notification.code, notification.subcode) == (
                ErrorCode.MESSAGE_HEADER_ERROR, 2), size
        assert results[0] == results[1]


def test_table_updates_before_established_are_an_fsm_error_as_without_runs() -> None:
    results = []
    for update_runs in (False, True):
        pair = SessionPair()
        pair.a.session.update_runs = update_runs
        pair.connect()
        pair.a.collect()
        pair.a.session.receive_data(pair.b.collect() + b"".join(updates_for(3)), pair.now)
        pair.a.collect()
        results.append((flattened(pair.a.events), bytes(pair.a.sent)))
        assert not pair.a.of(UpdateRunReceived)
    assert results[0] == results[1]


PIECES = {
    "table": b"".join(updates_for(3)),
    "table2": b"".join(updates_for(7)[3:]),
    "keepalive": Keepalive().encode(),
    "ipv6": IPV6_UPDATE,
    "withdrawal": WITHDRAWAL,
    "end-of-rib": Update().encode(),
    "refresh": RouteRefresh(IPV4_UNICAST).encode(),
    "treat-as-withdraw": raw_update(bytes.fromhex("40010105") + AS_PATH_B + NEXT_HOP_B,
                                    bytes((24, 10, 1, 1))),
    "bad nlri": raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, bytes((24, 10, 1))),
    "bad header": b"\xff" * 16 + (5).to_bytes(2, "big") + b"\x02",
    "short update": b"\xff" * 16 + (21).to_bytes(2, "big") + b"\x02\x00\x00",
    "header-only update": b"\xff" * 16 + (19).to_bytes(2, "big") + b"\x02",
    "notification": Notification(ErrorCode.CEASE, 2).encode(),
}


@settings(max_examples=200)
@given(st.lists(st.sampled_from(sorted(PIECES)), min_size=1, max_size=8), st.data())
def test_a_session_with_runs_does_what_one_without_does(pieces: list[str],
                                                        data: st.DataObject) -> None:
    stream = b"".join(PIECES[name] for name in pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    caps = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=len(chunks),
                              max_size=len(chunks)))
    with_runs, without = established(update_runs=True), established(update_runs=False)
    for chunk, cap in [*zip(chunks, caps, strict=True), (b"", None)]:
        for pair in (with_runs, without):
            pair.a.session.receive_data(chunk, pair.now, max_messages=cap)
            pair.a.collect()
        assert flattened(with_runs.a.events) == without.a.events
        assert with_runs.a.sent == without.a.sent
        a, b = with_runs.a.session, without.a.session
        assert (state(a), a.timers, a.waiting_messages) == (
            state(b), b.timers, b.waiting_messages)
