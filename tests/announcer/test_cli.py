"""``bgpwire-announcer``: exit codes and messages of each command, and ``run`` as a process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from bgpwire_announcer.cli import UsageError, build_parser, main, parse_endpoint

from tests.announcer.runtime_support import BASE, peer_yaml, service_yaml

MANIFESTS = Path(__file__).parent / "manifests" / "dualstack"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def small_config(tmp_path: Path, *, hold: str = "30s", port: int = 1) -> Path:
    """A valid configuration whose one peer (127.0.0.1:``port``) never answers."""
    text = BASE.format(local_pref=100) + peer_yaml(
        "router", my_asn=64500, address="127.0.0.1", port=port, source="127.0.0.1")
    text = text.replace("holdTime: 30s", f"holdTime: {hold}")
    path = tmp_path / "config.yaml"
    path.write_text(text + service_yaml("web"))
    return path


def test_check_valid_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-f", str(MANIFESTS)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("valid: 3 pools, 4 advertisements, 3 peers")
    assert "note: L2Advertisement" in err


def test_check_invalid_names_object_field_value_and_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = small_config(tmp_path, hold="2s")
    assert main(["check", "-f", str(config)]) == 1
    _, err = capsys.readouterr()
    lines = err.splitlines()
    problem = next(line for line in lines if "holdTime" in line)
    assert "BGPPeer/metallb-system/router" in problem and "=2" in problem
    assert lines[-1] == "bgpwire-announcer: invalid: 1 problem"


def test_check_reports_a_typo_and_the_other_problems_together(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = small_config(tmp_path, hold="2s")  # a problem validation finds
    text = config.read_text()
    head, _, tail = text.partition("---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer")
    # The loader refuses this value; the holdTime problem must still be reported.
    (tmp_path / "a.yaml").write_text(head.replace("  addresses: [198",
                                                  "  autoAssign: maybe\n  addresses: [198"))
    (tmp_path / "b.yaml").write_text("---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer" + tail)
    config.unlink()
    outputs = []
    for order in (["a.yaml", "b.yaml"], ["b.yaml", "a.yaml"]):
        files = [arg for name in order for arg in ("-f", str(tmp_path / name))]
        assert main(["check", *files]) == 1
        outputs.append(capsys.readouterr().err.splitlines())
    problems = outputs[0][:-1]
    assert any("autoAssign=maybe" in line for line in problems)
    assert any("holdTime=2s" in line for line in problems)
    assert problems == sorted(problems)
    assert outputs[0] == outputs[1]  # the order of the files changes nothing


@pytest.mark.parametrize("command", [["check"], ["plan", "--node", "node-a1", "--json"]])
def test_several_paths_after_one_f_equal_repeated_f(
        command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    cluster, metallb = (str(MANIFESTS / name) for name in ("cluster.yaml", "metallb.yaml"))
    outputs = []
    for files in (["-f", cluster, metallb], ["-f", cluster, "-f", metallb]):
        assert main([*command, *files]) == 0, capsys.readouterr().err
        outputs.append(capsys.readouterr())
    # Both forms read both files: the same as the directory holding just these two.
    assert main([*command, "-f", str(MANIFESTS)]) == 0
    assert outputs == [capsys.readouterr()] * 2
    assert "3 peers" in outputs[0].out or '"node-a1"' in outputs[0].out


def test_run_takes_several_paths_after_one_f() -> None:
    args = build_parser().parse_args(["run", "-f", "a.yaml", "b.yaml", "-f", "c", "--node", "n"])
    assert args.files == ["a.yaml", "b.yaml", "c"]
    assert args.node == "n"


def test_plan_json_has_the_spec_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "-f", str(MANIFESTS), "--node", "node-a1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) >= {"node", "services", "routes", "peers"}
    assert document["node"] == "node-a1"
    services = {s["name"]: s for s in document["services"]}
    assert services["web/api"]["pool"] == "dual"
    assert {p["name"] for p in document["peers"]} == {"tor-zone-a", "route-reflector-v6"}


def test_plan_into_a_closed_pipe_ends_quietly() -> None:
    # The reader is gone before the plan is written (as `plan --json | head -1` once head has
    # its line): every write fails with EPIPE.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bgpwire_announcer", "plan", "-f", str(MANIFESTS),
             "--node", "node-a1", "--json"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 141  # as a shell shows a program ended by SIGPIPE


def test_plan_refuses_an_unreadable_state_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    assert main(["plan", "-f", str(MANIFESTS), "--node", "node-a1", "--state",
                 str(state)]) == 1
    assert str(state) in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    ([], "required: COMMAND"),
    (["check"], "-f/--file"),
    (["plan", "-f", "x.yaml"], "--node"),
    (["run", "-f", "x.yaml", "--node", "n", "--on-stop", "never"], "invalid choice"),
    (["run", "-f", "x.yaml", "--node", "n", "--router-id", "1.2.3"], "not an IPv4 address"),
    (["run", "-f", "x.yaml", "--node", "n", "--next-hop-ipv6", "fe80::1"],
     "not a global IPv6 address"),
    (["run", "-f", "x.yaml", "--node", "n", "--http", "localhost:80"], "not an IP address"),
    (["run", "-f", "x.yaml", "--node", "n", "--http", "127.0.0.1:99999"], "1..65535"),
    (["status", "--http", "7473"], "expected ADDR:PORT"),
    (["demo", "--duration", "-1"], "more than 0 seconds"),
])
def test_bad_arguments_exit_2_with_a_reason(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: bgpwire-announcer")
    assert message in err
    assert "Traceback" not in err


def test_endpoints_in_every_spelling() -> None:
    assert parse_endpoint("127.0.0.1:7473", what="--http") == ("127.0.0.1", 7473)
    assert parse_endpoint("[::1]:179", what="--listen") == ("::1", 179)
    assert parse_endpoint(":179", what="--listen", default_host="0.0.0.0") == ("0.0.0.0", 179)
    with pytest.raises(UsageError, match="in brackets"):
        parse_endpoint("::1:179", what="--listen")
    with pytest.raises(UsageError, match="is not an IP address"):
        parse_endpoint("[host]:179", what="--listen")


def test_run_with_an_invalid_config_does_not_start(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = small_config(tmp_path, hold="2s")
    assert main(["run", "-f", str(config), "--node", "node-1", "--http",
                 f"127.0.0.1:{free_port()}"]) == 1
    err = capsys.readouterr().err
    assert "holdTime" in err and "not started" in err


def test_status_without_a_running_announcer(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    assert main(["status", "--http", f"127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "bgpwire-announcer run" in err


def _wait_for_status(http: str, process: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        answer = subprocess.run([sys.executable, "-m", "bgpwire_announcer.cli", "status",
                                 "--json", "--http", http], capture_output=True, text=True,
                                check=False)
        if answer.returncode == 0:
            document: dict[str, Any] = json.loads(answer.stdout)
            if document["phase"] == "running":  # while starting, the lists are still empty
                return document
        time.sleep(0.2)
    raise AssertionError("the status endpoint never answered")


def test_run_serves_status_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = small_config(tmp_path, port=free_port())
    state = tmp_path / "state.json"
    http = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bgpwire_announcer.cli", "run", "-f", str(config), "--node",
         "node-1", "--state", str(state), "--http", http],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        document = _wait_for_status(http, process)
        assert document["node"] == "node-1"
        assert document["services"][0]["ips"] == ["198.51.100.0", "2001:db8:100::"]
        assert json.loads(state.read_text())["services"]["default/web"]["pool"] == "dual"
        config.write_text(config.read_text().replace("holdTime: 30s", "holdTime: 2s"))
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while _wait_for_status(http, process)["config"]["valid"]:
            assert time.monotonic() < deadline, "the SIGHUP reload never showed in status"
            time.sleep(0.1)
        verdict = _wait_for_status(http, process)["config"]
        # The file watcher may notice the edit too: one refusal or two, never an apply.
        assert "holdTime" in verdict["last_error"] and verdict["failed_reloads"] >= 1
        assert verdict["reloads"] == 0
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "reload refused" in err


def test_run_with_a_taken_port_says_which_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = small_config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["run", "-f", str(config), "--node", "node-1", "--http",
                     f"127.0.0.1:{port}"]) == 1
        assert f"--http 127.0.0.1:{port}" in capsys.readouterr().err
        assert main(["run", "-f", str(config), "--node", "node-1", "--http",
                     f"127.0.0.1:{free_port()}", "--listen", f"127.0.0.1:{port}"]) == 1
        err = capsys.readouterr().err
        assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
