"""Rule 4 against FRR: the session comes from ``sourceAddress``, and an absent one is reported.

FRR listens on two addresses (``.21`` and ``.24``) and knows the announcer only by two exact
source addresses (``.151`` and ``.152``), so a session that comes up proves which address the
announcer bound. BGPPeer ``present`` (to ``.21`` from ``.151``, which exists) must work while
BGPPeer ``absent`` (to ``.24`` from ``.152``, not on any interface yet) stays down with the
reason in status and metrics; once ``.152`` is added to the node, that session starts too.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    EBGP_AS,
    ROUTER_AS,
    Announcer,
    AnnouncerLab,
    advertisement,
    bgp_peer,
    lab_fixture,
    node,
    pool,
    require_daemon,
    running,
    service,
    wait_until,
    write_manifests,
)
from tests.interop.daemons import Neighbor, started
from tests.interop.frr import FRR

pytestmark = pytest.mark.interop

FRR_HOST, FRR_SECOND_HOST = 21, 24
PRESENT_HOST, ABSENT_HOST = 151, 152
SERVICE_IPS = ("203.0.113.7", "2001:db8:7::7")


lab = lab_fixture("s", [PRESENT_HOST], [FRR_HOST, FRR_SECOND_HOST], scope="function")


@pytest.fixture
def frr(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FRR]:
    require_daemon("frr")
    neighbors = [Neighbor(lab.addresses.v4(host), EBGP_AS)
                 for host in (PRESENT_HOST, ABSENT_HOST)]
    router = FRR(lab.router_ns, tmp_path_factory.mktemp("source-frr"),
                       lab.addresses.v4(FRR_HOST), lab.addresses.v6(FRR_HOST), neighbors,
                       extra_addresses=[lab.addresses.v4(FRR_SECOND_HOST)])
    with started(router):
        yield router


def manifests(lab: AnnouncerLab) -> list[dict[str, Any]]:
    return [
        node(),
        pool("dual", "203.0.113.0/24", "2001:db8:7::/64"),
        advertisement("all", ["dual"]),
        bgp_peer("present", my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                 peer_address=lab.addresses.v4(FRR_HOST),
                 source_address=lab.addresses.v4(PRESENT_HOST), connect_time="1s"),
        bgp_peer("absent", my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                 peer_address=lab.addresses.v4(FRR_SECOND_HOST),
                 source_address=lab.addresses.v4(ABSENT_HOST), connect_time="1s"),
        service("web", SERVICE_IPS),
    ]


def test_source_address_is_bound_and_an_absent_one_is_reported(
    lab: AnnouncerLab, frr: FRR, tmp_path: Path
) -> None:
    present, absent = lab.addresses.v4(PRESENT_HOST), lab.addresses.v4(ABSENT_HOST)
    config = tmp_path / "peers.yaml"
    write_manifests(config, manifests(lab))
    announcer = Announcer(lab.announcer_ns, tmp_path, [config])
    watched = [announcer, frr]
    want = {f"{SERVICE_IPS[0]}/32", f"{SERVICE_IPS[1]}/128"}

    with running(announcer):
        announcer.start()
        wait_until("FRR has the routes from the present source",
                   partial(_prefixes_are, frr, present, want), watched)
        info = frr.neighbor_info(present)
        assert info.get("hostForeign") == present, info
        assert info.get("hostLocal") == lab.addresses.v4(FRR_HOST), info

        session = wait_until("status reports the absent source",
                             partial(_problem_of, announcer, "absent"), watched)
        assert "source address absent" in session["problem"], session
        assert session["state"] != "Established", session
        assert announcer.session("present")["problem"] is None
        assert announcer.session_state("present") == "Established"
        assert not frr.established(absent)
        metrics = announcer.get("/metrics").decode()
        assert 'metallb_bgp_session_up{name="absent"' in metrics, metrics
        up = _samples(metrics, "metallb_bgp_session_up")
        assert up == {"absent": 0, "present": 1}, up
        assert 'name="absent"' in _lines(metrics, "bgpwire_announcer_peer_problem")

        # The address appears on the node: that session starts, the other is untouched.
        uptime = announcer.session("present")["uptime"]
        lab.add_source(ABSENT_HOST)
        wait_until("FRR has the routes from the source that appeared",
                   partial(_prefixes_are, frr, absent, want), watched, timeout=30)
        assert frr.neighbor_info(absent).get("hostForeign") == absent
        assert announcer.session("absent")["problem"] is None
        still = announcer.session("present")
        assert still["state"] == "Established" and still["uptime"] >= uptime, still


def _prefixes_are(frr: FRR, neighbor: str, want: set[str]) -> bool:
    return set(frr.all_announced(neighbor)) == want


def _problem_of(announcer: Announcer, name: str) -> dict[str, Any] | None:
    session = announcer.session(name)
    return session if session.get("problem") else None


def _lines(metrics: str, name: str) -> str:
    return "\n".join(line for line in metrics.splitlines() if line.startswith(name + "{"))


def _samples(metrics: str, name: str) -> dict[str, int]:
    """``name="..."`` label to value, for one metric family."""
    result = {}
    for line in _lines(metrics, name).splitlines():
        labels, _, value = line.rpartition(" ")
        found = labels.split('name="', 1)[1].split('"', 1)[0]
        result[found] = int(float(value))
    return result
