"""``bgpwire-announcer demo``: runs on loopback with nothing installed and prints routes."""

from __future__ import annotations

import io

import pytest
from bgpwire_announcer.cli import main
from bgpwire_announcer.demo import run_demo


def test_demo_runs_two_seconds_and_prints_the_routes_it_receives() -> None:
    out = io.StringIO()
    assert run_demo(2.0, out) == 0
    lines = out.getvalue().splitlines()
    received = [line for line in lines if line.startswith("router: + ")]
    per_service = [line for line in received if "/32 " in line]
    assert per_service, lines
    first = per_service[0]
    next_hop4 = lines[0].split("next hops ")[1].split()[0]  # the host's address, or 192.0.2.1
    assert "next hop 127." not in first  # the session runs over loopback: no martian next hop
    assert f"next hop {next_hop4} " in first and "LOCAL_PREF 100" in first
    assert "communities 65000:100" in first and "AS path [] (iBGP)" in first
    aggregate = next(line for line in received if "198.51.100.0/27" in line)
    assert "large 64512:27:120" in aggregate
    assert any(":/128" in line or "::/128" in line for line in received)  # IPv6, MP_REACH
    assert any(line.startswith("router: session with the announcer up") for line in lines)
    assert lines[-1].startswith(f"demo: the router received {len(received)} routes")
    assert any("router: session down" in line and "stopping" in line for line in lines)


def test_demo_edit_withdraws_the_removed_service() -> None:
    out = io.StringIO()
    assert run_demo(6.0, out, edit_after=0.1) == 0
    text = out.getvalue()
    assert "demo: removing Service default/dns from the file..." in text
    before_stop = text.split("demo: stopping")[0]
    assert "router: - 198.51.100.0/32 withdrawn" in before_stop


def test_demo_through_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--duration", "1.5"]) == 0
    assert "router: + 198.51.100.1/32" in capsys.readouterr().out
