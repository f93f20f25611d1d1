"""The spec's rule-5 scenario end to end: one IPv4 pool, a /32 and a /27 advertisement.

IPv4-only pool ``10.20.30.0/24``; advertisement A has aggregationLength 32 and localPref 100,
B has aggregationLength 27 and no localPref. ``check`` must accept it (their lengths differ),
and over an iBGP session FRR must hold both the /32 and the /27 of every service address, each
with its own LOCAL_PREF. With the spec's numbers both LOCAL_PREFs are 100 (B's route gets the
RFC 4271 default), so the same scenario also runs with A at 300, where a route carrying the
other advertisement's value would show.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from functools import partial
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    ROUTER_AS,
    Announcer,
    AnnouncerLab,
    advertisement,
    announcer_binary,
    bgp_peer,
    lab_fixture,
    node,
    plan,
    pool,
    require_daemon,
    running,
    service,
    wait_until,
    write_manifests,
)
from tests.interop.daemons import Neighbor, started
from tests.interop.frr import FRR
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

FRR_HOST = 21
SOURCE_HOST = 141
DEFAULT_LOCAL_PREF = 100
SERVICES = ("alpha", "beta")


lab = lab_fixture("5", [SOURCE_HOST], [FRR_HOST])


@pytest.fixture(scope="module")
def frr(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FRR]:
    require_daemon("frr")
    router = FRR(lab.router_ns, tmp_path_factory.mktemp("seed5-frr"),
                       lab.addresses.v4(FRR_HOST), lab.addresses.v6(FRR_HOST),
                       [Neighbor(lab.addresses.v4(SOURCE_HOST), ROUTER_AS)])
    with started(router):
        yield router


def manifests(frr: FRR, lab: AnnouncerLab, local_pref_a: int) -> list[dict[str, Any]]:
    return [
        node(),
        pool("seed5", "10.20.30.0/24"),
        advertisement("a", ["seed5"], aggregation_length=32, local_pref=local_pref_a),
        advertisement("b", ["seed5"], aggregation_length=27),
        bgp_peer("frr", my_asn=ROUTER_AS, peer_asn=ROUTER_AS, peer_address=frr.address4,
                 source_address=lab.addresses.v4(SOURCE_HOST)),
        *(service(name, families=["IPv4"], policy="SingleStack") for name in SERVICES),
    ]


@pytest.mark.parametrize("local_pref_a", [100, 300])
def test_both_aggregation_lengths_reach_frr_with_their_own_local_pref(
    local_pref_a: int, lab: AnnouncerLab, frr: FRR, tmp_path: Path
) -> None:
    config = tmp_path / "seed5.yaml"
    write_manifests(config, manifests(frr, lab, local_pref_a))
    checked = subprocess.run([announcer_binary(), "check", "-f", str(config)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, f"check refused the seed-5 scenario: {checked.stderr}"

    dry_run = plan([config])
    addresses = {s["name"]: s["ips"] for s in dry_run["services"]}
    assert sorted(addresses) == [f"default/{name}" for name in SERVICES]
    assert all(len(ips) == 1 for ips in addresses.values()), addresses
    source = lab.addresses.v4(SOURCE_HOST)
    want: dict[str, Route] = {}
    for (address,) in addresses.values():
        host = str(ip_network(f"{address}/32"))
        block = str(ip_network(f"{address}/27", strict=False))
        want[host] = Route(host, source, local_pref_a)
        want[block] = Route(block, source, DEFAULT_LOCAL_PREF)
    planned = {r["prefix"]: r["local_pref"] for r in dry_run["routes"]}
    assert planned == {prefix: (local_pref_a if prefix.endswith("/32") else None)
                       for prefix in want}

    announcer = Announcer(lab.announcer_ns, tmp_path, [config])
    with running(announcer):
        announcer.start()
        wait_until("FRR holds the /32 and /27 routes", partial(_holds, frr, source, want),
                   [announcer, frr])
        status = announcer.status()
        assert {s["name"]: s["ips"] for s in status["services"]} == addresses
        assert status["config"]["valid"] is True
        # What a user runs: `bgpwire-announcer status --json --http ...` says the same.
        told = announcer.status_cli()
        assert told["services"] == status["services"]
        assert [(s["name"], s["state"]) for s in told["sessions"]] == [("frr", "Established")]


def _holds(frr: FRR, neighbor: str, want: dict[str, Route]) -> bool:
    return frr.announced("ipv4", neighbor) == want and not frr.announced("ipv6", neighbor)
