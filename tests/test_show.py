"""The canonical JSON form and the ``python -m bgpwire decode`` command."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from bgpwire import (
    ASPath,
    Communities,
    Keepalive,
    NextHop,
    Notification,
    Origin,
    OriginCode,
    PathPrefix,
    UnknownAttribute,
    Update,
    WellKnownCommunity,
)
from bgpwire.__main__ import main
from bgpwire.show import to_json

CAPTURES = Path(__file__).parent / "vectors" / "captured"


def test_update_json_names_types_and_writes_values_as_text() -> None:
    update = Update(
        attributes=(Origin(OriginCode.IGP), ASPath.from_asns([65001, 4200000000]),
                    NextHop(IPv4Address("192.0.2.1")),
                    Communities((65001 << 16 | 100, WellKnownCommunity.NO_EXPORT)),
                    UnknownAttribute(code=99, value=b"\x01", flags=0xE0)),
        nlri=(IPv4Network("198.51.100.0/24"),),
    )
    assert to_json(update) == {
        "type": "UPDATE",
        "withdrawn": [],
        "attributes": [
            {"type": "ORIGIN", "value": "IGP"},
            {"type": "AS_PATH", "segments": [{"type": "AS_SEQUENCE", "asns": [65001, 4200000000]}]},
            {"type": "NEXT_HOP", "address": "192.0.2.1"},
            {"type": "COMMUNITIES", "values": ["65001:100", "no-export"]},
            {"type": "ATTRIBUTE_99", "code": 99, "value": "01", "flags": "0xe0"},
        ],
        "nlri": ["198.51.100.0/24"],
    }


def test_path_prefix_and_notification_json() -> None:
    update = Update(withdrawn=(PathPrefix(7, IPv4Network("10.0.0.0/8")),))
    assert to_json(update)["withdrawn"] == [{"prefix": "10.0.0.0/8", "path_id": 7}]
    shutdown = to_json(Notification.shutdown("maintenance"))
    assert shutdown == {"type": "NOTIFICATION", "code": 6, "subcode": 2,
                        "error": "CEASE/ADMINISTRATIVE_SHUTDOWN",
                        "data": "0b" + b"maintenance".hex(),
                        "shutdown_communication": "maintenance"}
    assert to_json(Notification(99, 7, b""))["error"] == "99/7"
    assert to_json(Keepalive()) == {"type": "KEEPALIVE"}


def test_decode_command_prints_one_json_object_per_message(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "-f", str(CAPTURES / "gobgp-ebgp.bin")]) == 0
    lines = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in lines]
    assert objects[0]["type"] == "OPEN" and objects[0]["my_as"] == 65002
    assert {o["type"] for o in objects} == {"OPEN", "KEEPALIVE", "UPDATE"}


def test_decode_command_reads_hex_and_the_bundled_sample(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "ffffffffffffffffffffffffffffffff:0013:04"]) == 0
    assert json.loads(capsys.readouterr().out) == {"type": "KEEPALIVE"}
    assert main(["decode", "--sample"]) == 0
    assert len(capsys.readouterr().out.splitlines()) > 5


def test_decode_command_shows_the_notification_a_bad_message_earns(
        capsys: pytest.CaptureFixture[str]) -> None:
    bad_marker = "fe" + "ff" * 15 + "001304"
    assert main(["decode", bad_marker]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "MESSAGE_HEADER_ERROR/CONNECTION_NOT_SYNCHRONIZED"
    assert "marker" in captured.err


def test_decode_command_uses_add_path_when_told(capsys: pytest.CaptureFixture[str]) -> None:
    update = "ffffffffffffffffffffffffffffffff 001f 02 0000 0000 00000007 18 c63364"
    assert main(["decode", "--add-path", "ipv4-unicast", update]) == 0
    assert json.loads(capsys.readouterr().out)["nlri"] == [
        {"prefix": "198.51.100.0/24", "path_id": 7}]
    with pytest.raises(SystemExit):
        main(["decode", "--add-path", "ipv9-unicast", update])
