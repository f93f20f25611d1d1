"""passwordSecret: Secrets read from the inputs, checked against MetalLB's rules, and their
password given to the peer as if ``password`` had been written; an inline ``password`` checked by
the same rules on the key itself; no message shows a password."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from bgpwire_announcer.cli import main
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.pipeline import Refused, load_valid

from .validate_support import check, load, peer, secret, write

PEER = "BGPPeer/metallb-system/p"
SECRET = "Secret/metallb-system/auth"
KEY = "Zq8-tor-md5-key"
DUALSTACK = Path(__file__).parent / "manifests" / "dualstack"
DUALSTACK_KEY = "tor-zone-a-md5"
"""The password of the sample's Secret ``tor-password``."""


def with_secret(**spec: Any) -> dict[str, Any]:
    return peer("p", **{"passwordSecret": {"name": "auth"}, **spec})


def passwords(tmp_path: Path, documents: list[dict[str, Any]]) -> dict[str, str | None]:
    """Each peer's password once the configuration is valid."""
    config, _ = load_valid([str(write(tmp_path / "config.yaml", documents))], None)
    assert config.secrets == ()
    return {p.name: p.password for p in config.peers}


# --- loading -------------------------------------------------------------------------------


def test_a_secret_is_read_with_its_password_only(tmp_path: Path) -> None:
    document = secret("auth", KEY)
    document["data"]["username"] = base64.b64encode(b"admin-user").decode()
    loaded = load(tmp_path, [document])
    assert loaded.problems == () and loaded.notes == ()
    (read,) = loaded.config.secrets
    assert (read.origin.ref, read.type, read.password) == (SECRET, "kubernetes.io/basic-auth", KEY)
    assert read.password_field == "data.password"
    assert KEY not in repr(loaded.config) and "admin-user" not in repr(loaded.config)


def test_string_data_wins_over_data_as_on_apply(tmp_path: Path) -> None:
    document = secret("auth", "from-data", stringData={"password": KEY})
    (read,) = load(tmp_path, [document]).config.secrets
    assert (read.password, read.password_field) == (KEY, "stringData.password")


def test_a_secret_without_type_is_opaque(tmp_path: Path) -> None:
    document = secret("auth", KEY)
    del document["type"]
    (read,) = load(tmp_path, [document]).config.secrets
    assert read.type == "Opaque"


@pytest.mark.parametrize(("fields", "line"), [
    ({"data": {"password": "not base64!"}},
     f"{SECRET}: data.password=(hidden): is not valid base64"),
    ({"data": {"password": "dG9y"[:3]}}, f"{SECRET}: data.password=(hidden): is not valid base64"),
    ({"data": {"password": base64.b64encode(b"\xff\xfe").decode()}},
     f"{SECRET}: data.password=(hidden): does not decode to UTF-8 text, which a TCP-MD5 key is "
     "given as here"),
    ({"data": {"password": 1234}},
     f"{SECRET}: data.password=(hidden): must be a base64 string, not an integer"),
    ({"data": "password=Zq8"}, f"{SECRET}: data=(hidden): must be a mapping, not a string"),
    ({"stringData": {"password": 1234}},
     f"{SECRET}: stringData.password=(hidden): must be a string, not an integer"),
])
def test_a_malformed_password_is_a_problem_that_hides_the_value(
        tmp_path: Path, fields: dict[str, Any], line: str) -> None:
    loaded = load(tmp_path, [secret("auth", **fields)])
    assert [str(problem) for problem in loaded.problems] == [line]
    assert loaded.config.secrets == ()
    assert "Zq8" not in line and "1234" not in line


def test_a_peer_password_of_the_wrong_type_is_not_shown(tmp_path: Path) -> None:
    loaded = load(tmp_path, [peer("p", password=987654)])
    assert [str(problem) for problem in loaded.problems] == [
        f"{PEER}: spec.password=(hidden): must be a string, not an integer"]


def test_the_reference_keeps_its_namespace(tmp_path: Path) -> None:
    loaded = load(tmp_path, [with_secret(passwordSecret={"name": "auth", "namespace": "x"})])
    (read,) = loaded.config.peers
    assert (read.password_secret, read.password_secret_namespace) == ("auth", "x")


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("documents", [
    [with_secret(), secret("auth", KEY)],
    [with_secret(), secret("auth", stringData={"password": KEY})],
    [peer("p", passwordSecret="auth"), secret("auth", KEY)],
    [with_secret(passwordSecret={"name": "auth", "namespace": "metallb-system"}),
     secret("auth", KEY)],
    [with_secret(), secret("auth", "k" * 80)],
])
def test_a_resolving_secret_is_valid(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    assert check(tmp_path, documents) == []


@pytest.mark.parametrize(("documents", "line"), [
    ([with_secret()], f"{PEER}: spec.passwordSecret=auth: no {SECRET} among the inputs"),
    ([with_secret(), secret("auth", KEY, namespace="default")],
     f"{PEER}: spec.passwordSecret=auth: no {SECRET} among the inputs"),
    ([with_secret(passwordSecret={"name": "auth", "namespace": "default"}),
      secret("auth", KEY, namespace="default")],
     f"{PEER}: spec.passwordSecret.namespace=default: the Secret must be in the BGPPeer's "
     "namespace (metallb-system): MetalLB reads Secrets only from the namespace it runs in"),
    ([with_secret(), secret("auth", KEY, type_="Opaque")],
     f"{PEER}, {SECRET}: type=Opaque: passwordSecret needs a Secret of type "
     "kubernetes.io/basic-auth"),
    ([with_secret(), secret("auth", stringData={"username": "admin"})],
     f"{PEER}, {SECRET}: data.password=: missing: passwordSecret reads the TCP-MD5 password "
     "from this key"),
    ([with_secret(), secret("auth", "")], f"{PEER}, {SECRET}: data.password=: is empty"),
    ([with_secret(), secret("auth", stringData={"password": ""})],
     f"{PEER}, {SECRET}: stringData.password=: is empty"),
    ([with_secret(), secret("auth", KEY + "\n")],
     f"{PEER}, {SECRET}: data.password=(hidden): contains a line break (often the newline of "
     "echo before base64)"),
    ([with_secret(), secret("auth", "k" * 81)],
     f"{PEER}, {SECRET}: data.password=81 octets: a TCP-MD5 key is at most 80 octets"),
    ([with_secret(), secret("auth", "é" * 41)],  # 41 characters, 82 octets
     f"{PEER}, {SECRET}: data.password=82 octets: a TCP-MD5 key is at most 80 octets"),
    ([with_secret(), secret("auth", KEY), secret("auth", KEY)],
     f"{SECRET}: metadata.name=auth: defined 2 times"),
])
def test_a_secret_that_does_not_resolve_is_one_line(
        tmp_path: Path, documents: list[dict[str, Any]], line: str) -> None:
    lines = check(tmp_path, documents)
    assert lines == [line]
    assert not any(KEY in text or "k" * 20 in text or "é" * 20 in text for text in lines)


def test_password_and_password_secret_stay_mutually_exclusive(tmp_path: Path) -> None:
    lines = check(tmp_path, [with_secret(password=KEY), secret("auth", "other-key")])
    assert lines == [f"{PEER}: spec.passwordSecret=auth: password and passwordSecret are "
                     "mutually exclusive"]


def test_secrets_no_peer_names_are_not_checked(tmp_path: Path) -> None:
    documents = [peer("p"), secret("tls", type_="kubernetes.io/tls"), secret("empty", "")]
    assert check(tmp_path, documents) == []


# --- an inline spec.password, by the same rules ----------------------------------------------


@pytest.mark.parametrize("password", [
    "k" * 80,
    "é" * 40,  # 40 characters, 80 octets
    "k" * 78 + "é",  # 79 characters, 80 octets
    KEY,
], ids=["80-octets", "40-characters-80-octets", "79-characters-80-octets", "short"])
def test_an_inline_password_a_tcp_md5_key_can_hold_is_valid(
        tmp_path: Path, password: str) -> None:
    assert check(tmp_path, [peer("p", password=password)]) == []


def test_an_empty_inline_password_means_none(tmp_path: Path) -> None:
    assert check(tmp_path, [peer("p", password="")]) == []
    assert passwords(tmp_path, [peer("p", password="")]) == {"p": None}


@pytest.mark.parametrize(("password", "value", "reason"), [
    ("k" * 81, "81 octets", "a TCP-MD5 key is at most 80 octets"),
    ("k" * 79 + "é", "81 octets", "a TCP-MD5 key is at most 80 octets"),  # 80 characters
    ("é" * 80, "160 octets", "a TCP-MD5 key is at most 80 octets"),  # 80 characters
    (KEY + "\n", "(hidden)", "contains a line break (often the newline of echo before base64)"),
    ("Zq8\r\ntor", "(hidden)", "contains a line break (often the newline of echo before base64)"),
    ("k" * 80 + "\n", "(hidden)", "contains a line break (often the newline of echo before "
                                  "base64)"),
], ids=["81-octets", "80-characters-81-octets", "80-characters-160-octets", "trailing-newline",
        "crlf-inside", "80-octets-and-newline"])
def test_an_inline_password_no_tcp_md5_key_can_be_is_one_line_without_it(
        tmp_path: Path, password: str, value: str, reason: str) -> None:
    lines = check(tmp_path, [peer("p", password=password)])
    assert lines == [f"{PEER}: spec.password={value}: {reason}"]
    assert not any(password.strip() in line or "k" * 20 in line or "é" * 20 in line
                   for line in lines)


def test_each_peer_with_a_bad_inline_password_has_its_line(tmp_path: Path) -> None:
    documents = [peer("p", password="k" * 81), peer("q", "192.0.2.2", password=KEY + "\n"),
                 peer("r", "192.0.2.3", password=KEY),
                 peer("s", "192.0.2.4", password="k" * 90, passwordSecret="auth"),
                 secret("auth", KEY)]
    assert check(tmp_path, documents) == [
        f"{PEER}: spec.password=81 octets: a TCP-MD5 key is at most 80 octets",
        "BGPPeer/metallb-system/q: spec.password=(hidden): contains a line break (often the "
        "newline of echo before base64)",
        "BGPPeer/metallb-system/s: spec.password=90 octets: a TCP-MD5 key is at most 80 octets",
        "BGPPeer/metallb-system/s: spec.passwordSecret=auth: password and passwordSecret are "
        "mutually exclusive",
    ]


def test_check_refuses_a_bad_inline_password_without_printing_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long_key = "Zq8-" + "x" * 77  # 81 octets
    file = write(tmp_path / "config.yaml", [peer("p", password=long_key),
                                            peer("q", "192.0.2.2", password=KEY + "\n")])
    assert main(["check", "-f", str(file)]) == 1
    printed = capsys.readouterr()
    assert "spec.password=81 octets" in printed.err
    assert "spec.password=(hidden)" in printed.err
    assert long_key not in printed.out + printed.err and "x" * 20 not in printed.out + printed.err
    assert KEY not in printed.out + printed.err


# --- the password reaches the peer ---------------------------------------------------------


def test_the_secret_password_becomes_the_peer_password(tmp_path: Path) -> None:
    documents = [with_secret(), peer("q", "192.0.2.2", password="plain-key"),
                 peer("r", "192.0.2.3"), secret("auth", KEY)]
    assert passwords(tmp_path, documents) == {"p": KEY, "q": "plain-key", "r": None}


def test_secret_and_peer_in_any_order_and_file(tmp_path: Path) -> None:
    peer_file = write(tmp_path / "a-peer.yaml", [with_secret()])
    secret_file = write(tmp_path / "z-secret.yaml", [secret("auth", KEY)])
    separate = [load_valid([str(peer_file), str(secret_file)], None)[0],
                load_valid([str(secret_file), str(peer_file)], None)[0]]
    together = [load_valid([str(write(tmp_path / f"{order}.yaml", documents))], None)[0]
                for order, documents in (("before", [secret("auth", KEY), with_secret()]),
                                         ("after", [with_secret(), secret("auth", KEY)]))]
    assert {config.peers[0].password for config in separate + together} == {KEY}


def test_a_refused_secret_refuses_the_configuration_without_its_password(
        tmp_path: Path) -> None:
    file = write(tmp_path / "config.yaml", [with_secret(), secret("auth", KEY * 6)])
    with pytest.raises(Refused) as refused:
        load_valid([str(file)], None)
    assert refused.value.problems == (
        f"{PEER}, {SECRET}: data.password=90 octets: a TCP-MD5 key is at most 80 octets",)


# --- outputs -------------------------------------------------------------------------------


def test_the_sample_peer_reads_its_secret() -> None:
    assert load_paths([DUALSTACK]).problems == ()
    config, _ = load_valid([str(DUALSTACK)], None)
    peers = {p.name: p for p in config.peers}
    assert peers["tor-zone-a"].password == DUALSTACK_KEY
    assert peers["tor-zone-b"].password is None


def test_check_and_plan_never_print_the_secret_password(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-f", str(DUALSTACK)]) == 0
    assert main(["plan", "-f", str(DUALSTACK), "--node", "node-a1"]) == 0
    assert main(["plan", "-f", str(DUALSTACK), "--node", "node-a1", "--json"]) == 0
    printed = capsys.readouterr()
    assert "tor-zone-a" in printed.out  # the plan names the peer that uses the Secret
    assert DUALSTACK_KEY not in printed.out + printed.err
    encoded = base64.b64encode(DUALSTACK_KEY.encode()).decode()
    assert encoded not in printed.out + printed.err


def test_check_of_a_bad_secret_never_prints_its_password(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write(tmp_path / "config.yaml", [with_secret(), secret("auth", KEY + "\n"),
                                            secret("other", data={"password": KEY})])
    assert main(["check", "-f", str(file)]) == 1
    printed = capsys.readouterr()
    assert "data.password=(hidden)" in printed.err
    assert KEY not in printed.out + printed.err
