"""The verdict of ``bgpwire-announcer check``: is a loaded configuration valid, and if not, why.

:func:`validate` applies MetalLB's rules (pool entries, aggregation lengths, communities, ASNs,
timers, ports, ``ebgpMultiHop``, passwords and the Secrets ``passwordSecret`` names, names)
together with the announcer's own rules that replace the places where MetalLB goes wrong (see
``docs/announcer-config.md``):

- an advertisement is checked only against the pools it selects, and per family only on the
  families those pools hold; L2Advertisements never meet a BGP check (rule 1);
- BGPPeers sharing a ``peerAddress`` must select disjoint nodes; ``sourceAddress`` is an IP of
  the peer's family (rule 4);
- two advertisements with different ``localPref`` must not be able to produce the same route to
  the same peer from the same node (rule 5).

Which pools an advertisement selects and which nodes announce come from :mod:`.selection`, the
same definitions the allocator and the planner use.

The result never depends on the order of files or documents: problems are computed from the
sorted :class:`~.model.Config` and returned sorted and without repeats.
"""

from __future__ import annotations

from bgpwire_announcer.model import Config, Problem
from bgpwire_announcer.passwords import check_password_secrets
from bgpwire_announcer.validate_advertisements import check_advertisement, check_local_pref
from bgpwire_announcer.validate_objects import (
    check_community_aliases,
    check_identical,
    check_names,
    check_node,
    check_pools,
)
from bgpwire_announcer.validate_peers import check_peer, check_shared_peer_addresses
from bgpwire_announcer.validate_report import ProblemReport
from bgpwire_announcer.validate_services import check_services


def validate(config: Config, node: str | None = None) -> list[Problem]:
    """Every problem of ``config`` (for ``node``, when given), sorted and without repeats;
    an empty list means valid."""
    report = ProblemReport()
    check_names(config, report)
    check_identical(config, report)
    entries = check_pools(config, report)
    check_community_aliases(config, report)
    for advertisement in config.advertisements:
        check_advertisement(advertisement, config, entries, report)
    for peer in config.peers:
        check_peer(peer, config, report)
    check_password_secrets(config, report)
    check_shared_peer_addresses(config, report)
    check_local_pref(config, entries, report)
    check_services(config, entries, report)
    check_node(config, node, report)
    return sorted(set(report.problems))
