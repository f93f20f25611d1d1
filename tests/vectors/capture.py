#!/usr/bin/env python3
# ruff: noqa: E501  (the hand-written tables at the bottom keep one item per line)
"""Capture real BGP messages sent by FRR, GoBGP and BIRD as test vectors.

What it does
  * creates two private network namespaces (bwcap-a, bwcap-b) joined by a veth
    pair; it refuses to run if either exists and deletes only those two;
  * for each scenario, starts one daemon (FRR bgpd standalone, gobgpd or BIRD 2)
    in bwcap-b with its config from captured/configs/ (copied to a temp dir),
    and from bwcap-a opens a BGP session with a minimal raw-socket speaker
    defined here;
  * the speaker sends an OPEN (4-octet AS, MP IPv4+IPv6 unicast, route refresh,
    extended message, graceful restart, BGP role, optionally ADD-PATH receive),
    answers with KEEPALIVEs and records every byte the daemon sends until the
    daemon has sent End-of-RIB for every negotiated family, then optionally
    triggers a withdrawal or an administrative shutdown through the daemon's
    CLI and records what follows;
  * writes <daemon>-<scenario>.bin (raw back-to-back BGP messages as received)
    and <daemon>-<scenario>.json (facts implied by the daemon configuration,
    see the FACTS table at the bottom; they are not produced by any decoder).

Rerun (root required; Debian packages frr gobgpd bird2):
    python3 tests/vectors/capture.py --out tests/vectors/captured
Options: --only NAME (repeatable) to capture a subset, --keep to keep the work
dir (daemon logs and CLI dumps used to check the facts).
Only addresses inside the two namespaces are used (10.99.0.0/24, fd99::/64).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ipaddress
import json
import os
import select
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

NS_A, NS_B = "bwcap-a", "bwcap-b"
A4, A4_FEED, B4, A6, B6 = "10.99.0.1", "10.99.0.11", "10.99.0.2", "fd99::1", "fd99::2"
MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE = 1, 2, 3, 4
V4, V6 = (1, 1), (2, 1)
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


# --------------------------------------------------------------- namespaces
def sh(*cmd: str, check: bool = True) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
    return r.stdout


def make_topology() -> None:
    for ns in (NS_A, NS_B):
        if os.path.exists(f"/run/netns/{ns}"):
            raise SystemExit(f"namespace {ns} already exists; refusing to touch it")
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "add", ns)
        # no DAD: addresses (also link-local) usable at once
        sh(
            "ip",
            "netns",
            "exec",
            ns,
            "sysctl",
            "-qw",
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
        )
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    # fixed MACs, so the link-local addresses (fe80::ff:fe00:1 / :2) are reproducible
    sh(
        "ip",
        "link",
        "add",
        "bwc0",
        "netns",
        NS_A,
        "address",
        "02:00:00:00:00:01",
        "type",
        "veth",
        "peer",
        "name",
        "bwc0",
        "netns",
        NS_B,
        "address",
        "02:00:00:00:00:02",
    )
    for ns, addrs in ((NS_A, (A4, A4_FEED, A6)), (NS_B, (B4, B6))):
        for a in addrs:
            extra = ["nodad"] if ":" in a else []
            sh(
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                a + ("/64" if ":" in a else "/24"),
                "dev",
                "bwc0",
                *extra,
            )
        sh("ip", "-n", ns, "link", "set", "bwc0", "up")


def delete_topology(created: list[str]) -> None:
    for ns in created:
        sh("ip", "netns", "del", ns, check=False)


@contextlib.contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Switch this thread into a namespace; sockets made inside stay there."""
    with open("/proc/self/ns/net") as cur, open(f"/run/netns/{name}") as new:
        if _libc.setns(new.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns failed")
        try:
            yield
        finally:
            _libc.setns(cur.fileno(), CLONE_NEWNET)


# --------------------------------------------------------------- BGP encoding
def message(mtype: int, body: bytes = b"") -> bytes:
    return MARKER + struct.pack("!HB", 19 + len(body), mtype) + body


def cap(code: int, value: bytes = b"") -> bytes:
    return bytes([code, len(value)]) + value


def open_message(
    asn: int,
    router_id: str,
    hold: int = 180,
    addpath_v4: bool = False,
    families: tuple[tuple[int, int], ...] = (V4, V6),
) -> bytes:
    caps = [cap(1, struct.pack("!HBB", afi, 0, safi)) for afi, safi in families]
    caps += [
        cap(2),  # route refresh
        cap(6),  # extended message (RFC 8654)
        cap(
            64,
            struct.pack("!H", 120)
            + b"".join(  # graceful restart, 120 s
                struct.pack("!HBB", afi, safi, 0) for afi, safi in families
            ),
        ),
        cap(65, struct.pack("!I", asn)),  # 4-octet AS
        cap(9, b"\x03"),
    ]  # BGP role: customer (RFC 9234)
    if addpath_v4:
        caps.append(cap(69, struct.pack("!HBB", 1, 1, 1)))  # ADD-PATH: receive ipv4 unicast
    params = b"".join(bytes([2, len(c)]) + c for c in caps)
    my_as = asn if asn < 65536 else 23456
    return message(
        OPEN,
        struct.pack("!BHH4sB", 4, my_as, hold, socket.inet_aton(router_id), len(params)) + params,
    )


def attr(flags: int, code: int, value: bytes) -> bytes:
    return bytes([flags, code, len(value)]) + value


def update_v4(prefixes: list[str], next_hop: str, local_pref: int) -> bytes:
    """iBGP UPDATE as sent by our route-reflector client (feeder)."""
    attrs = (
        attr(0x40, 1, b"\x00")
        + attr(0x40, 2, b"")
        + attr(0x40, 3, socket.inet_aton(next_hop))
        + attr(0x40, 5, struct.pack("!I", local_pref))
    )
    nlri = b""
    for p in prefixes:
        net = ipaddress.ip_network(p)
        nlri += bytes([net.prefixlen]) + net.network_address.packed[: (net.prefixlen + 7) // 8]
    return message(UPDATE, struct.pack("!HH", 0, len(attrs)) + attrs + nlri)


def open_families(body: bytes) -> set[tuple[int, int]]:
    """Multiprotocol capabilities in a received OPEN body."""
    fams, params, i = set(), body[10 : 10 + body[9]], 0
    while i + 2 <= len(params):
        ptype, plen = params[i], params[i + 1]
        if ptype == 2:
            j, caps = 0, params[i + 2 : i + 2 + plen]
            while j + 2 <= len(caps):
                if caps[j] == 1:
                    afi, _, safi = struct.unpack("!HBB", caps[j + 2 : j + 6])
                    fams.add((afi, safi))
                j += 2 + caps[j + 1]
        i += 2 + plen
    return fams


def eor_family(body: bytes) -> tuple[int, int] | None:
    """(afi, safi) if this UPDATE body is an End-of-RIB marker (RFC 4724)."""
    if body == b"\x00\x00\x00\x00":
        return V4
    if len(body) >= 10 and body[:2] == b"\x00\x00":
        alen = struct.unpack("!H", body[2:4])[0]
        a = body[4 : 4 + alen]
        if alen + 4 == len(body) and a[1] == 15 and len(a) == (7 if a[0] & 0x10 else 6):
            afi, safi = struct.unpack("!HB", a[-3:])
            return afi, safi
    return None


# --------------------------------------------------------------- speaker
class Session:
    """One TCP session to a daemon; records every byte received."""

    def __init__(self, sock: socket.socket, our_open: bytes) -> None:
        self.sock, self.our_open = sock, our_open
        self.raw, self.buf = bytearray(), b""
        self.msgs: list[tuple[int, bytes]] = []
        self.families: set[tuple[int, int]] | None = None
        self.eors: set[tuple[int, int]] = set()
        self.closed = False
        sock.sendall(our_open)

    @classmethod
    def connect(cls, src: str, dst: str, our_open: bytes, timeout: float = 15) -> Session:
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        deadline = time.monotonic() + timeout
        while True:
            with in_netns(NS_A):
                s = socket.socket(fam, socket.SOCK_STREAM)
            try:
                s.bind((src, 0))
                s.settimeout(2)
                s.connect((dst, 179))
                return cls(s, our_open)
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def poll(self, wait: float) -> None:
        if self.closed or not select.select([self.sock], [], [], max(wait, 0))[0]:
            return
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.raw += data
        self.buf += data
        while len(self.buf) >= 19:
            length, mtype = struct.unpack("!HB", self.buf[16:19])
            if len(self.buf) < length:
                break
            body, self.buf = self.buf[19:length], self.buf[length:]
            self.msgs.append((mtype, body))
            if mtype == OPEN:
                theirs = open_families(body)
                ours = open_families(self.our_open[19:])
                self.families = ours & theirs
                self.sock.sendall(message(KEEPALIVE))
            elif mtype == UPDATE and (fam := eor_family(body)):
                self.eors.add(fam)

    def pump(self, until: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not until() and not self.closed and time.monotonic() < deadline:
            self.poll(min(0.1, deadline - time.monotonic()))
        return until()

    def synced(self) -> bool:
        return self.families is not None and self.families <= self.eors

    def has(self, mtype: int) -> bool:
        return any(t == mtype for t, _ in self.msgs)

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------- daemons
@dataclass
class Scenario:
    name: str  # file stem, e.g. frr-ebgp-v4
    daemon: str  # frr | gobgp | bird
    config: str  # config file in captured/configs/
    src: str = A4
    dst: str = B4
    our_as: int = 65001
    addpath: bool = False
    families: tuple[tuple[int, int], ...] = (V4, V6)
    pre: list[str] = field(default_factory=list)  # CLI before we connect
    action: list[str] = field(default_factory=list)  # CLI after End-of-RIB
    after: str = ""  # "updates:N" or "notification"
    feeder: bool = False  # iBGP route-reflector client feeding routes first
    bad_open: bool = False  # our OPEN is wrong on purpose: expect a NOTIFICATION
    verify: list[str] = field(default_factory=list)  # CLI dumps kept with --keep


class Lab:
    def __init__(self, work: str) -> None:
        self.work = work
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: IO[str] | None = None

    def cli(self, daemon: str, cmd: str) -> str:
        """Run a CLI command; for FRR, "; " separates vtysh commands (-c ... -c ...)."""
        if daemon == "frr":
            args = ["vtysh", "--vty_socket", f"{self.work}/frr", "-d", "bgpd"]
            for c in cmd.split("; "):
                args += ["-c", c]
        elif daemon == "gobgp":
            args = ["gobgp", "--target", f"unix://{self.work}/gobgpd.sock", *shlex.split(cmd)]
        else:
            args = ["birdc", "-s", f"{self.work}/bird.ctl", *shlex.split(cmd)]
        return sh(*args)

    def start(self, daemon: str, conf: str) -> None:
        w = self.work
        if daemon == "frr":
            os.makedirs(f"{w}/frr", exist_ok=True)
            path = f"{w}/frr/bgpd.conf"
            cmd = [
                "/usr/lib/frr/bgpd",
                "-f",
                path,
                "-i",
                f"{w}/frr/bgpd.pid",
                "--vty_socket",
                f"{w}/frr",
                "-S",
                "-Z",
                "-n",
                "-P",
                "0",
                "-l",
                B4,
                "-l",
                B6,
                "--log",
                "stdout",
            ]
            ready = f"{w}/frr/bgpd.vty"
        elif daemon == "gobgp":
            path = f"{w}/gobgpd.toml"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{w}/gobgpd.sock")
            # own UTS namespace: GoBGP's FQDN capability carries the host name
            cmd = [
                "unshare",
                "--uts",
                "sh",
                "-c",
                'hostname bwcap-gobgp && exec "$@"',
                "sh",
                "gobgpd",
                "-f",
                path,
                "-t",
                "toml",
                "--api-hosts",
                f"unix://{w}/gobgpd.sock",
                "--pprof-disable",
                "-p",
            ]
            ready = f"{w}/gobgpd.sock"
        else:
            path = f"{w}/bird.conf"
            cmd = ["bird", "-f", "-c", path, "-s", f"{w}/bird.ctl", "-P", f"{w}/bird.pid"]
            ready = f"{w}/bird.ctl"
        with open(path, "w") as f:
            f.write(conf)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(ready)
        self.log = open(f"{w}/{daemon}.log", "a")  # noqa: SIM115 (open while the daemon runs)
        proc = self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_B, *cmd], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{daemon} did not start, see {w}/{daemon}.log")
            time.sleep(0.05)
        time.sleep(0.3)  # let it finish reading the config / binding

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None


def run_feeder() -> Session:
    """iBGP client 10.99.0.11 announcing two routes to FRR (for RR + ADD-PATH)."""
    s = Session.connect(A4_FEED, B4, open_message(65003, A4_FEED, families=(V4,)))
    s.pump(lambda: s.has(KEEPALIVE), 10)
    s.sock.sendall(update_v4(["198.51.100.0/24", "203.0.113.0/24"], A4_FEED, 100))
    s.sock.sendall(message(UPDATE, b"\x00\x00\x00\x00"))
    return s


def capture(lab: Lab, sc: Scenario) -> tuple[bytes, bytes, str]:
    with open(os.path.join(CONF_DIR, sc.config)) as f:
        lab.start(sc.daemon, f.read())
    extra = ""
    feeder = None
    try:
        for cmd in sc.pre:
            lab.cli(sc.daemon, cmd)
        if sc.feeder:
            feeder = run_feeder()
            deadline = time.monotonic() + 10
            while "203.0.113.0/24" not in lab.cli("frr", "show bgp ipv4 unicast json"):
                feeder.poll(0.1)
                if time.monotonic() > deadline:
                    raise RuntimeError("feeder route never showed up in FRR")
        our_open = open_message(
            sc.our_as,
            sc.src if ":" not in sc.src else A4,
            addpath_v4=sc.addpath,
            families=sc.families,
        )
        s = Session.connect(sc.src, sc.dst, our_open)
        if sc.bad_open:
            s.pump(lambda: s.has(NOTIFICATION), 10)
        else:
            if not s.pump(s.synced, 20):
                print(
                    f"  ! {sc.name}: no End-of-RIB for {s.families} (got {s.eors})", file=sys.stderr
                )
            time.sleep(0.5)
            s.poll(0)
            for cmd in sc.verify:
                extra += f"### {cmd}\n{lab.cli(sc.daemon, cmd)}\n"
            n = len(s.msgs)
            for cmd in sc.action:
                lab.cli(sc.daemon, cmd)
            if sc.after == "notification":
                s.pump(lambda: s.has(NOTIFICATION), 10)
            elif sc.after.startswith("updates:"):
                want = int(sc.after.split(":")[1])
                s.pump(lambda: sum(t == UPDATE for t, _ in s.msgs[n:]) >= want, 10)
            s.pump(lambda: False, 0.5)  # linger: pick up anything else already on the wire
        s.close()
        return bytes(s.raw), our_open, extra
    finally:
        if feeder:
            feeder.close()
        lab.stop()


def versions() -> dict[str, str]:
    frr = sh("/usr/lib/frr/bgpd", "-v").split()[2]
    gobgp = sh("gobgpd", "--version").split()[-1]
    out = subprocess.run(["bird", "--version"], capture_output=True, text=True, check=False)
    bird = out.stderr.split()[-1]
    return {"frr": frr, "gobgp": gobgp, "bird": bird}


def check_stream(raw: bytes) -> list[int]:
    """Types of the back-to-back messages in raw; raises if framing is broken."""
    types, i = [], 0
    while i < len(raw):
        length = struct.unpack("!H", raw[i + 16 : i + 18])[0]
        if raw[i : i + 16] != MARKER or not 19 <= length <= 65535 or i + length > len(raw):
            raise ValueError(f"bad framing at offset {i}")
        types.append(raw[i + 18])
        i += length
    return types


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/vectors/captured")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("must run as root (ip netns)")
    os.makedirs(args.out, exist_ok=True)
    vers = versions()
    work = tempfile.mkdtemp(prefix="bwcap.")
    os.chmod(work, 0o755)
    created: list[str] = []
    try:
        for ns in (NS_A, NS_B):
            if os.path.exists(f"/run/netns/{ns}"):
                raise SystemExit(f"namespace {ns} already exists; refusing to touch it")
        created = [NS_A, NS_B]
        make_topology()
        lab = Lab(work)
        for sc in SCENARIOS:
            if args.only and sc.name not in args.only:
                continue
            raw, our_open, extra = capture(lab, sc)
            types = check_stream(raw)
            with open(os.path.join(args.out, sc.name + ".bin"), "wb") as f:
                f.write(raw)
            doc = {
                "daemon": sc.daemon,
                "version": vers[sc.daemon],
                "scenario": sc.name,
                "our_open": our_open.hex(),
                **FACTS.get(sc.name, {}),
            }
            with open(os.path.join(args.out, sc.name + ".json"), "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            if extra:
                with open(f"{work}/{sc.name}.verify.txt", "w") as f:
                    f.write(extra)
            names = {1: "O", 2: "U", 3: "N", 4: "K", 5: "R"}
            print(f"{sc.name}: {len(raw)} bytes, {''.join(names.get(t, '?') for t in types)}")
    finally:
        delete_topology(created)
        if args.keep:
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


# --------------------------------------------------------------- scenarios
# fmt: off
CONF_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captured", "configs")
FRR_CONF = "configure terminal; router bgp 65003; "
GOBGP_ADD = "global rib add -a "
SCENARIOS: list[Scenario] = [
    Scenario("frr-ebgp-v4", "frr", "frr-ebgp.conf", after="updates:2",
             action=[FRR_CONF + "address-family ipv4 unicast; no network 192.0.2.128/25; "
                     "exit-address-family; address-family ipv6 unicast; no network 2001:db8:4::/48"],
             verify=["show bgp ipv4 unicast neighbors 10.99.0.1 advertised-routes json",
                     "show bgp ipv6 unicast neighbors 10.99.0.1 advertised-routes json",
                     "show bgp ipv4 unicast 203.0.113.0/24 json",
                     "show bgp ipv4 unicast 198.51.100.0/24 json", "show bgp neighbors 10.99.0.1 json"]),
    Scenario("frr-ebgp-v6", "frr", "frr-ebgp.conf", src=A6, dst=B6,
             verify=["show bgp ipv6 unicast neighbors fd99::1 advertised-routes json",
                     "show bgp neighbors fd99::1 json"]),
    Scenario("frr-ibgp-addpath", "frr", "frr-ibgp.conf", our_as=65003, addpath=True, feeder=True,
             verify=["show bgp ipv4 unicast json", "show bgp ipv6 unicast json",
                     "show bgp ipv4 unicast neighbors 10.99.0.1 advertised-routes json"]),
    Scenario("frr-bad-peer-as", "frr", "frr-ebgp.conf", our_as=65099, bad_open=True),
    Scenario("frr-shutdown", "frr", "frr-ebgp.conf", after="notification",
             action=[FRR_CONF + "neighbor 10.99.0.1 shutdown message maintenance"]),
    Scenario("gobgp-ebgp", "gobgp", "gobgpd.toml", after="updates:2", pre=[
        GOBGP_ADD + "ipv4 198.51.100.0/24 origin igp med 50 community 65002:100,no-export "
                    "large-community 65002:1:2 rt 65000:100",
        GOBGP_ADD + "ipv4 192.0.2.0/25 community blackhole,65535:0 aigp metric 100",
        GOBGP_ADD + "ipv4 203.0.113.0/24 origin egp aspath 65020,65021",
        GOBGP_ADD + "ipv4 192.0.2.128/25 origin incomplete",
        GOBGP_ADD + "ipv6 2001:db8:6::/48 med 20 community 65002:600",
        GOBGP_ADD + "ipv6 2001:db8:7::/48"],
        action=["global rib del -a ipv4 192.0.2.128/25", "global rib del -a ipv6 2001:db8:7::/48"],
        verify=["global rib -a ipv4 -j", "global rib -a ipv6 -j",
                "neighbor 10.99.0.1 adj-out -a ipv4 -j", "neighbor 10.99.0.1 adj-out -a ipv6 -j"]),
    Scenario("gobgp-addpath", "gobgp", "gobgpd.toml", addpath=True,
             pre=[GOBGP_ADD + "ipv4 198.51.100.0/24 med 50", GOBGP_ADD + "ipv4 192.0.2.0/25"],
             verify=["neighbor 10.99.0.1 adj-out -a ipv4 -j"]),
    Scenario("gobgp-bad-peer-as", "gobgp", "gobgpd.toml", our_as=65099, bad_open=True),
    Scenario("gobgp-shutdown", "gobgp", "gobgpd.toml", after="notification",
             action=["neighbor 10.99.0.1 shutdown --reason maintenance"]),
    Scenario("bird-ebgp", "bird", "bird.conf", after="updates:2",
             action=["disable s4wd", "disable s6wd"],
             verify=["show route all export peer4", "show route all export peer4 table master6",
                     "show protocols all peer4"]),
    Scenario("bird-ebgp-v6", "bird", "bird.conf", src=A6, dst=B6,
             verify=["show route all export peer6 table master6", "show protocols all peer6"]),
    Scenario("bird-bad-peer-as", "bird", "bird.conf", our_as=65099, bad_open=True),
    Scenario("bird-shutdown", "bird", "bird.conf", after="notification",
             action=["disable peer4 '\"maintenance\"'"]),
]

# --------------------------------------------------------------- expected facts
# Written by hand from the configs and checked against the daemons' own CLI output
# (advertised routes) and a hand decoding of the captured bytes.
# as_path: a nested list is an AS_SET.  Communities are sets (order on the
# wire is the daemon's).  next_hop is what is on the wire.
def R(prefix: str, nh: str, path: list[object], origin: str = "igp", *, med: int | None = None,
      lp: int | None = None, comm: tuple[str, ...] = (), large: tuple[str, ...] = (),
      ext: tuple[str, ...] = (), **extra: object) -> dict[str, object]:
    return {"prefix": prefix, "next_hop": nh, "as_path": path, "med": med, "local_pref": lp,
            "communities": list(comm), "large_communities": list(large),
            "ext_communities": list(ext), "origin": origin, **extra}


MAPPED = "::ffff:10.99.0.2"
FRR_V4 = [
    R("198.51.100.0/24", B4, [65003], med=50, comm=("65003:100", "no-peer"), large=("65003:1:2",),
      ext=("rt 65000:100",), otc=65003),
    R("192.0.2.0/25", B4, [65003], med=0, comm=("65003:666", "blackhole"), otc=65003),
    R("192.0.2.128/25", B4, [65003], "incomplete", med=0, comm=("graceful-shutdown",), otc=65003),
    R("203.0.113.0/24", B4, [65003, [65010, 65011, 65020]], med=0, otc=65003,
      aggregator={"as": 65003, "address": B4}, atomic_aggregate=False),
    R("2001:db8:3::/48", MAPPED, [65003], med=20, comm=("65003:600",), large=("65003:6:6",), otc=65003),
    R("2001:db8:4::/48", MAPPED, [65003], med=0, otc=65003)]
FRR_NOTES = ("FRR runs without zebra, so IPv6 routes over the IPv4 session carry the IPv4-mapped next "
             "hop ::ffff:10.99.0.2 (16 bytes). FRR adds MED 0 to locally originated networks. "
             "local-role provider + our role customer: FRR adds OTC (type 35) = 65003 to every route. "
             "Not sent: 192.0.2.0/24 (no-export), 203.0.113.0/26 and 203.0.113.64/26 (summary-only); "
             "the aggregate 203.0.113.0/24 carries AS_SET {65010,65011,65020} and AGGREGATOR, no "
             "ATOMIC_AGGREGATE.")
GOBGP = [
    R("198.51.100.0/24", B4, [65002], med=50, comm=("65002:100", "no-export"), large=("65002:1:2",),
      ext=("rt 65000:100",)),
    R("192.0.2.0/25", B4, [65002], "incomplete", comm=("blackhole", "graceful-shutdown"), aigp=100),
    R("203.0.113.0/24", B4, [65002, 65020, 65021], "egp"),
    R("192.0.2.128/25", B4, [65002], "incomplete"),
    R("2001:db8:6::/48", MAPPED, [65002], "incomplete", med=20, comm=("65002:600",)),
    R("2001:db8:7::/48", MAPPED, [65002], "incomplete")]
GOBGP_NOTES = ("Routes added with the gobgp CLI (see capture.py); origin defaults to incomplete. GoBGP "
               "sends no-export routes over eBGP and AIGP (type 26, TLV 1) over eBGP. IPv6 next hop on "
               "the wire is ::ffff:10.99.0.2 (gobgp adj-out shows 10.99.0.2). AS_PATH uses 1-octet "
               "attribute length.")
BIRD_LL = "fe80::ff:fe00:2"
BIRD = [
    R("198.51.100.0/24", B4, [65004], med=50, comm=("65004:100", "no-export"), large=("65004:1:2",),
      ext=("rt 65000:100",), otc=65004),
    R("192.0.2.0/25", B4, [65004], comm=("blackhole", "graceful-shutdown"), otc=65004),
    R("192.0.2.128/25", B4, [65004], otc=65004),
    R("2001:db8:8::/48", B6, [65004], med=20, large=("65004:6:6",), otc=65004,
      link_local_next_hop=BIRD_LL),
    R("2001:db8:9::/48", B6, [65004], otc=65004, link_local_next_hop=BIRD_LL)]
BIRD_NOTES = ("BIRD sends a 32-byte IPv6 next hop (global fd99::2 + link-local fe80::ff:fe00:2, from "
              "the fixed veth MAC) on both the IPv4 and the IPv6 session. Attributes set by the export "
              "filter (no-export included) are sent; local role provider adds OTC = 65004. `aigp on; "
              "aigp originate` gave no AIGP attribute for static routes.")
SHUT = {"code": 6, "subcode": 2, "shutdown_communication": "maintenance"}
BASE = {"peer_as": 0, "router_id": B4, "hold_time": 0, "routes": [], "withdrawn": [],
        "notification": None}


def F(peer_as: int, hold: int, **kw: object) -> dict[str, object]:
    return {**BASE, "peer_as": peer_as, "hold_time": hold, **kw}


FACTS: dict[str, dict[str, object]] = {
    "frr-ebgp-v4": F(65003, 180, routes=FRR_V4, withdrawn=["192.0.2.128/25", "2001:db8:4::/48"],
                     notes=FRR_NOTES + " Withdrawals triggered by `no network` after End-of-RIB."),
    "frr-ebgp-v6": F(65003, 180, routes=[
        R("2001:db8:3::/48", B6, [65003], med=20, comm=("65003:600",), large=("65003:6:6",), otc=65003),
        R("2001:db8:4::/48", B6, [65003], med=0, otc=65003)],
        notes="Session over IPv6 transport, ipv6 unicast only. Without zebra FRR knows no link-local "
              "address: 16-byte next hop fd99::2. FRR adds MED 0 to local networks and OTC = 65003 "
              "(local-role provider, our role customer)."),
    "frr-ibgp-addpath": F(65003, 180, routes=[
        R("192.0.2.0/24", B4, [], med=0, lp=100, path_id=2),
        R("198.51.100.0/24", B4, [], med=10, lp=200, comm=("65003:200", "no-export"), path_id=3),
        R("198.51.100.0/24", A4_FEED, [], med=0, lp=100, path_id=4, originator_id=A4_FEED,
          cluster_list=[B4]),
        R("203.0.113.0/24", A4_FEED, [], med=0, lp=100, path_id=5, originator_id=A4_FEED,
          cluster_list=[B4]),
        R("2001:db8:5::/48", MAPPED, [], med=10, lp=200, comm=("65003:200", "no-export"))],
        notes="iBGP, FRR is route reflector (cluster id = router id 10.99.0.2). Before our session, "
              "a second client 10.99.0.11 (our feeder, AS 65003) announced 198.51.100.0/24 and "
              "203.0.113.0/24 (next hop 10.99.0.11, LOCAL_PREF 100, no MED); FRR reflects them with "
              "ORIGINATOR_ID/CLUSTER_LIST and adds MED 0. ADD-PATH negotiated for ipv4 unicast only "
              "(FRR send, we receive): every IPv4 NLRI has a 4-byte path id; the path id values are "
              "FRR's choice (as observed). IPv6 has no path ids and an IPv4-mapped next hop (no zebra)."),
    "frr-bad-peer-as": F(65003, 180, notification={"code": 2, "subcode": 2, "data": "fe4b"},
                         notes="Our OPEN claims AS 65099, FRR expects 65001: FRR sends its OPEN, then "
                               "NOTIFICATION OPEN Message Error / Bad Peer AS with data = the 2-octet "
                               "AS we sent."),
    "frr-shutdown": F(65003, 180, routes=FRR_V4, notification=SHUT,
                      notes="After End-of-RIB: `neighbor 10.99.0.1 shutdown message maintenance` -> "
                            "Cease / Administrative Shutdown with RFC 9003 communication. " + FRR_NOTES),
    "gobgp-ebgp": F(65002, 90, routes=GOBGP, withdrawn=["192.0.2.128/25", "2001:db8:7::/48"],
                    notes=GOBGP_NOTES + " Withdrawals triggered by `gobgp global rib del` after "
                                        "End-of-RIB."),
    "gobgp-addpath": F(65002, 90, routes=[
        R("198.51.100.0/24", B4, [65002], "incomplete", med=50, path_id=1),
        R("192.0.2.0/25", B4, [65002], "incomplete", path_id=1)],
        notes="Our OPEN has ADD-PATH receive for ipv4 unicast, GoBGP is configured with add-paths "
              "send-max 4: IPv4 NLRI carry path id 1 (GoBGP's choice)."),
    "gobgp-bad-peer-as": F(65002, 90, notification={"code": 2, "subcode": 2, "data": ""},
                           notes="Our OPEN claims AS 65099, GoBGP expects 65001; GoBGP sends no data."),
    "gobgp-shutdown": F(65002, 90, notification=SHUT,
                        notes="No routes configured. After End-of-RIB: `gobgp neighbor 10.99.0.1 "
                              "shutdown --reason maintenance`."),
    "bird-ebgp": F(65004, 240, routes=BIRD, withdrawn=["192.0.2.128/25", "2001:db8:9::/48"],
                   notes=BIRD_NOTES + " Withdrawals triggered by `birdc disable s4wd` / `disable s6wd`."),
    "bird-ebgp-v6": F(65004, 240, routes=BIRD[3:], notes="Session over IPv6 transport. " + BIRD_NOTES),
    "bird-bad-peer-as": F(65004, 240, notification={"code": 2, "subcode": 2, "data": "0000fe4b"},
                          notes="Our OPEN claims AS 65099: BIRD sends its OPEN, then Bad Peer AS with "
                                "the 4-octet AS as data."),
    "bird-shutdown": F(65004, 240, routes=BIRD, notification=SHUT,
                       notes="After End-of-RIB: `birdc disable peer4 \"maintenance\"`. " + BIRD_NOTES),
}
# fmt: on


if __name__ == "__main__":
    sys.exit(main())
