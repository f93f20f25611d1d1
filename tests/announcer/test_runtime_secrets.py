"""passwordSecret at run time, on loopback: the Secret's password signs the session (TCP-MD5),
a changed Secret restarts only the sessions of the peers that name it, and neither the status
nor the state file shows the password."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from bgpwire_announcer.report import report_json
from bgpwire_announcer.runtime import Announcer

from tests.announcer.runtime_support import (
    EBGP_ROUTER,
    IBGP_ROUTER,
    IBGP_SOURCE,
    Lab,
    lab,
    make_announcer,
    md5_router,
    session_of,
    signed_peer_config,
    wait_for,
)

USES_SECRET = "  passwordSecret: {name: ebgp-auth, namespace: metallb-system}\n"


def secret_yaml(name: str, password: str) -> str:
    encoded = base64.b64encode(password.encode()).decode()
    return f"""---
apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: metallb-system}}
type: kubernetes.io/basic-auth
data: {{password: {encoded}}}
"""


def md5_of(announcer: Announcer, address: str) -> str | None:
    """The TCP-MD5 key of the announcer's current session to ``address``."""
    session = announcer.speaker.session(address)
    assert session is not None
    return session.options.md5_password


@pytest.mark.asyncio
async def test_the_secret_password_becomes_tcp_md5(tmp_path: Path) -> None:
    # Only a connection signed with the Secret's password gets through to the router.
    key = "from-a-secret"
    async with md5_router(key) as (router, port):
        # The Secret is in its own file, read after the BGPPeer's.
        (tmp_path / "a.yaml").write_text(signed_peer_config(port, USES_SECRET))
        (tmp_path / "b-secret.yaml").write_text(secret_yaml("ebgp-auth", key))
        announcer = make_announcer(tmp_path, set(), None)
        try:
            await announcer.start()
            assert md5_of(announcer, EBGP_ROUTER) == key
            await router.wait_established(15)
            assert session_of(announcer, "ebgp").md5
            assert key not in str(report_json(announcer.report()))
        finally:
            await announcer.stop("withdraw")


def write(world: Lab, ebgp_key: str, unused_key: str) -> None:
    world.write(ebgp_extra=USES_SECRET,
                extra=secret_yaml("ebgp-auth", ebgp_key) + secret_yaml("unused", unused_key))


@pytest.mark.asyncio
async def test_a_changed_secret_resets_only_the_peers_that_use_it(tmp_path: Path) -> None:
    # The router does not sign, so the ebgp session (signed) never comes up; what matters is
    # which session the announcer restarts, and with which key.
    async with lab(tmp_path, state=True, ebgp_extra=USES_SECRET,
                   extra=secret_yaml("ebgp-auth", "first-key")
                   + secret_yaml("unused", "spare-key")) as world:
        router, announcer = world.router, world.announcer
        await wait_for(lambda: router.established(IBGP_SOURCE))
        ibgp_ups = router.ups(IBGP_SOURCE)
        assert md5_of(announcer, EBGP_ROUTER) == "first-key"
        assert md5_of(announcer, IBGP_ROUTER) is None

        write(world, "second-key", "spare-key")
        result = await announcer.reload()
        assert result.applied and result.peers_reset == ["ebgp"]
        assert result.peers_added == [] and result.peers_removed == []
        assert md5_of(announcer, EBGP_ROUTER) == "second-key"

        write(world, "second-key", "another-spare")  # a Secret no peer names
        result = await announcer.reload()
        assert result.applied and result.peers_reset == []

        assert router.ups(IBGP_SOURCE) == ibgp_ups and router.established(IBGP_SOURCE)
        assert session_of(announcer, "ebgp").md5 and not session_of(announcer, "ibgp").md5
        shown = str(report_json(announcer.report()))
        state = (tmp_path / "state.json").read_text()
        for key in ("first-key", "second-key", "spare-key", "another-spare"):
            assert key not in shown and key not in state
        assert "198.51.100." in state  # the state file was written, with the addresses
