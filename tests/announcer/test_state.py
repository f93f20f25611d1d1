"""The state file: round trip, refusals with clear messages, and atomic replacement."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from bgpwire_announcer.allocate import Assignment
from bgpwire_announcer.state import FORMAT, VERSION, StateError, StateFile

SAMPLE = {
    "default/web": Assignment(("10.0.0.1", "2001:db8::1"), "dual"),
    "prod/db": Assignment(("10.0.0.2",), "v4"),
}


def test_missing_file_is_an_empty_state(tmp_path: Path) -> None:
    assert StateFile(tmp_path / "absent.json").load() == {}


def test_round_trip_and_the_format_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    StateFile(path).save(SAMPLE)
    assert StateFile(path).load() == SAMPLE
    on_disk = json.loads(path.read_text())
    assert on_disk["format"] == FORMAT and on_disk["version"] == VERSION
    assert on_disk["services"]["prod/db"] == {"ips": ["10.0.0.2"], "pool": "v4"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_save_replaces_its_own_file(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.save(SAMPLE)
    state.save({})
    assert state.load() == {}
    StateFile(tmp_path / "state.json").save(SAMPLE)
    assert state.load() == SAMPLE


BAD_FILES = [
    (b'{"format": "bgpwire-announcer-state", "version": 1, "serv', "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[1, 2]", "top level is a JSON list, expected an object"),
    (b'{"format": "other", "version": 1, "services": {}}',
     "format='other': expected 'bgpwire-announcer-state'"),
    (b'{"format": "bgpwire-announcer-state", "version": "1", "services": {}}',
     "version='1': expected an integer"),
    (b'{"format": "bgpwire-announcer-state", "version": 2, "services": {}}',
     "version=2: newer than version 1"),
    (b'{"format": "bgpwire-announcer-state", "version": 0, "services": {}}',
     "version=0: older than version 1"),
    (b'{"format": "bgpwire-announcer-state", "version": 1, "services": []}',
     "services=[]: expected an object of services"),
    (b'{"format": "bgpwire-announcer-state", "version": 1, "services": {"web": '
     b'{"ips": ["10.0.0.1"], "pool": "p"}}}', "services key 'web': expected namespace/name"),
    (b'{"format": "bgpwire-announcer-state", "version": 1, "services": {"a/b": '
     b'{"ips": ["10.0.0.x"], "pool": "p"}}}', "services['a/b'].ips: '10.0.0.x' is not an IP"),
    (b'{"format": "bgpwire-announcer-state", "version": 1, "services": {"a/b": '
     b'{"ips": [167772161], "pool": "p"}}}', "services['a/b'].ips: 167772161 is not an IP"),
    (b'{"format": "bgpwire-announcer-state", "version": 1, "services": {"a/b": '
     b'{"ips": ["10.0.0.1"]}}}', "services['a/b'].pool=None: expected a pool name"),
    (b'{"format": "bgpwire-announcer-state", "version": 1, "services": {"a/b": '
     b'{"ips": [], "pool": "p"}}}', "services['a/b'].ips=[]: expected a list of addresses"),
]


@pytest.mark.parametrize(("content", "reason"), BAD_FILES)
def test_unusable_files_are_refused_naming_the_file_and_reason(
        tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    state = StateFile(path)
    with pytest.raises(StateError) as raised:
        state.load()
    assert str(raised.value).startswith(f"state file {path}: ")
    assert reason in str(raised.value)
    with pytest.raises(StateError, match="not overwritten"):
        state.save(SAMPLE)
    assert path.read_bytes() == content
    state.save(SAMPLE, force=True)
    assert state.load() == SAMPLE


def test_a_file_broken_behind_our_back_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.save(SAMPLE)
    path.write_text('{"format": "bgpwire-announcer-state", "version": 9, "services": {}}')
    with pytest.raises(StateError, match="version=9: newer"):
        state.save({})
    assert "9" in path.read_text()


_WRITER = """
import sys
from bgpwire_announcer.allocate import Assignment
from bgpwire_announcer.state import StateFile

state = StateFile(sys.argv[1])
generation = 0
while True:
    generation += 1
    state.save({f"ns/s{i:05d}": Assignment((f"10.{generation % 250}.{i // 250}.{i % 250}",), "p")
                for i in range(20000)})
    print(generation, flush=True)
"""


def test_sigterm_during_writes_leaves_a_whole_previous_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)],
                              stdout=subprocess.PIPE, text=True, env={**os.environ})
    assert writer.stdout is not None
    done = [int(writer.stdout.readline()) for _ in range(3)]
    writer.send_signal(signal.SIGTERM)
    remaining = writer.stdout.read().split()
    assert writer.wait() == -signal.SIGTERM
    last = int(remaining[-1]) if remaining else done[-1]
    loaded = StateFile(path).load()
    assert len(loaded) == 20000
    generation_seen = {assignment.ips[0].split(".")[1] for assignment in loaded.values()}
    # One generation only, and one that finished (the last printed, or the one after it when
    # the signal fell between its rename and its print).
    assert len(generation_seen) == 1
    assert int(generation_seen.pop()) in (last % 250, (last + 1) % 250)


_STUCK_WRITER = """
import os, sys, time
from bgpwire_announcer.allocate import Assignment
from bgpwire_announcer.state import StateFile

real_fsync = os.fsync
def fsync_then_hang(fd: int) -> None:
    real_fsync(fd)
    if generation == 3 and os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
        print("inside", flush=True)
        time.sleep(3600)
os.fsync = fsync_then_hang

state = StateFile(sys.argv[1])
for generation in (1, 2, 3):
    state.save({"ns/web": Assignment((f"10.0.0.{generation}",), "p")})
    print(generation, flush=True)
"""


def test_sigterm_between_write_and_rename_keeps_the_previous_file(tmp_path: Path) -> None:
    """The writer is held inside its third save, after the new data is written and fsynced but
    before the rename; SIGTERM there must leave the second state whole."""
    path = tmp_path / "state.json"
    writer = subprocess.Popen([sys.executable, "-c", _STUCK_WRITER, str(path)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert [writer.stdout.readline().strip() for _ in range(3)] == ["1", "2", "inside"]
    writer.send_signal(signal.SIGTERM)
    assert writer.wait() == -signal.SIGTERM
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "state.json"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")
    assert StateFile(path).load() == {"ns/web": Assignment(("10.0.0.2",), "p")}
    StateFile(path).save({})
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
