"""The host-facing helpers of the runtime: address presence, IPv4 and IPv6 next-hop discovery,
router IDs, and the file watcher that triggers reloads."""

from __future__ import annotations

import os
import socket
import struct
import sys
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from bgpwire_announcer.interfaces import (
    address_present,
    global_ipv4_address,
    global_ipv6_address,
    host_ipv4_addresses,
    parse_if_inet6,
    parse_ifconf,
    route_source_ipv4,
    router_id_from_name,
)
from bgpwire_announcer.watch import ChangeWatcher, fingerprint

IF_INET6_SAMPLE = """\
00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
20010db8000000000000000000000009 04 40 00 80     eth0
20010db8000000000000000000000002 04 40 00 41     eth0
20010db8000000000000000000000005 04 40 00 01     eth0
20010db8000000000000000000000003 04 40 00 a0     eth0
garbage line
"""


def test_loopback_is_present_and_an_unassigned_address_is_not() -> None:
    assert address_present("127.0.0.1")
    assert address_present("127.0.0.77")  # the whole 127/8 is local on Linux
    assert not address_present("192.0.2.254")  # TEST-NET-1, on no interface here
    assert not address_present("2001:db8::dead:beef")
    if socket.has_ipv6:
        assert address_present("::1")


def test_parse_if_inet6_reads_every_well_formed_line() -> None:
    entries = parse_if_inet6(IF_INET6_SAMPLE)
    assert [str(e.address) for e in entries] == [
        "::1", "fe80::fc:ff:fe00:1", "2001:db8::9", "2001:db8::2", "2001:db8::5",
        "2001:db8::3"]
    assert entries[0].scope == 0x10 and entries[1].scope == 0x20
    assert entries[2].interface == "eth0" and entries[2].prefix_length == 64


def test_global_ipv6_prefers_permanent_then_lowest_and_skips_unusable(tmp_path: Path) -> None:
    # ::2 is tentative (0x40), ::3 deprecated (0x20), ::5 temporary, ::9 permanent.
    sample = tmp_path / "if_inet6"
    sample.write_text(IF_INET6_SAMPLE)
    assert global_ipv6_address(sample) == IPv6Address("2001:db8::9")
    only_temporary = "\n".join(line for line in IF_INET6_SAMPLE.splitlines()
                               if "0009" not in line)
    sample.write_text(only_temporary)
    assert global_ipv6_address(sample) == IPv6Address("2001:db8::5")


def test_no_global_ipv6_gives_none(tmp_path: Path) -> None:
    sample = tmp_path / "if_inet6"
    sample.write_text(IF_INET6_SAMPLE.splitlines()[0] + "\n")
    assert global_ipv6_address(sample) is None
    assert global_ipv6_address(tmp_path / "missing") is None


def _ifreq(name: str, family: int, address: str) -> bytes:
    """One ``struct ifreq`` as SIOCGIFCONF writes it on this machine."""
    size = 40 if struct.calcsize("P") == 8 else 32
    head = name.encode().ljust(16, b"\0") + family.to_bytes(2, sys.byteorder) + bytes(2)
    return (head + socket.inet_aton(address)).ljust(size, b"\0")


def test_parse_ifconf_reads_names_and_ipv4_addresses() -> None:
    buffer = (_ifreq("lo", socket.AF_INET, "127.0.0.1") + _ifreq("eth0", socket.AF_INET,
                                                                    "192.0.2.7")
              + _ifreq("odd", socket.AF_INET6, "10.0.0.1"))
    assert parse_ifconf(buffer) == [("lo", IPv4Address("127.0.0.1")),
                                    ("eth0", IPv4Address("192.0.2.7"))]


def test_global_ipv4_skips_loopback_and_link_local_and_picks_the_lowest() -> None:
    listed = [("lo", IPv4Address("127.0.0.1")), ("eth1", IPv4Address("169.254.3.4")),
              ("eth0", IPv4Address("198.51.100.9")), ("eth2", IPv4Address("192.0.2.7"))]
    assert global_ipv4_address(lambda: listed) == IPv4Address("192.0.2.7")
    assert global_ipv4_address(lambda: listed[:2]) is None


def test_this_hosts_ipv4_addresses_include_loopback_and_no_other_family() -> None:
    found = host_ipv4_addresses()
    assert ("lo", IPv4Address("127.0.0.1")) in found
    chosen = global_ipv4_address()
    assert chosen is None or (chosen in {address for _, address in found}
                              and not chosen.is_loopback)


def test_route_source_towards_loopback_is_loopback() -> None:
    assert route_source_ipv4("127.0.0.1") == IPv4Address("127.0.0.1")
    assert route_source_ipv4("::1") is None
    assert route_source_ipv4("not an address") is None


def test_router_id_from_name_is_stable_and_differs_per_name() -> None:
    first = router_id_from_name("node-a")
    assert first == router_id_from_name("node-a")
    assert first != router_id_from_name("node-b")
    assert int(first) != 0


def test_watcher_sees_edit_new_file_and_removal(tmp_path: Path) -> None:
    config = tmp_path / "conf"
    config.mkdir()
    pools = config / "pools.yaml"
    pools.write_text("a: 1\n")
    (config / "ignored.txt").write_text("x")
    watcher = ChangeWatcher([str(config)])
    assert not watcher.changed()
    pools.write_text("a: 22\n")
    assert watcher.changed()
    assert not watcher.changed()  # reported once
    (config / "peers.yml").write_text("b: 2\n")
    assert watcher.changed()
    (config / "ignored.txt").write_text("changed, but not a config file")
    assert not watcher.changed()
    os.remove(config / "peers.yml")
    assert watcher.changed()


def test_fingerprint_marks_missing_files(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    assert fingerprint([str(missing)]) == ((str(missing), -1, -1, -1),)


def test_watcher_sees_a_configmap_style_symlink_swap(tmp_path: Path) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()
    first, second = mount / "..2026_01", mount / "..2026_02"
    first.mkdir()
    second.mkdir()
    (first / "config.yaml").write_text("a: 1\n")
    (second / "config.yaml").write_text("a: 2\n")
    (mount / "..data").symlink_to(first.name)
    (mount / "config.yaml").symlink_to("..data/config.yaml")
    watcher = ChangeWatcher([str(mount)])
    assert [entry[0] for entry in fingerprint([str(mount)])] == [str(mount / "config.yaml")]
    (mount / "..data_tmp").symlink_to(second.name)
    os.replace(mount / "..data_tmp", mount / "..data")  # what the kubelet does
    assert watcher.changed()
