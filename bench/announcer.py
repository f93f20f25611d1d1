"""The announcer at scale: 10,000 dual-stack services announced to FRR, then 1,000 moved.

    sudo .venv/bin/python bench/announcer.py                  # 10,000 services, 1,000 moved
    sudo .venv/bin/python bench/announcer.py --services 1000 --moved 100   # quick check

Run as root (network namespaces, port 179). Two namespaces are made for the run and deleted at
the end, also on failure or SIGTERM: the announcer's (``10.99.n.1``, sessions from
``10.99.n.111``) and FRR's (``10.99.n.21``), joined by a veth; no traffic leaves them and FRR
runs without zebra (``-Z -n``), so no route reaches a kernel table.

The manifests hold two dual-stack pools (``a`` and ``b``), one BGPAdvertisement (/32 and /128),
one eBGP BGPPeer to FRR and N dual-stack Services, all asking for pool ``a`` through the
``address-pool`` annotation; addresses are allocated by the announcer. Measured:

* **start**: from starting ``bgpwire-announcer run`` to the moment FRR's summary shows all
  2N prefixes received (N IPv4 + N IPv6), with the time to Established on the way;
* **move**: the file is rewritten with M services asking for pool ``b`` and the announcer gets
  SIGHUP; from the signal to FRR holding exactly M IPv4 and M IPv6 routes in pool ``b`` and
  2N in total (so the old routes were withdrawn);
* **memory**: the announcer's peak resident set (``VmHWM``) and CPU seconds after both steps.

FRR is polled through vtysh (about 50 ms a call), so the times are good to about 0.1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.interop.announcer import (  # noqa: E402
    EBGP_AS,
    ROUTER_AS,
    Announcer,
    AnnouncerLab,
    advertisement,
    announcer_lab,
    bgp_peer,
    node,
    pool,
    service,
)
from tests.interop.daemons import Neighbor  # noqa: E402
from tests.interop.frr import FRR  # noqa: E402
from tests.interop.procs import peak_rss_kib, signals_to_exit  # noqa: E402

FRR_HOST = 21
SOURCE_HOST = 111
POOLS = {"a": ("10.100.0.0/16", "2001:db8:a::/108"), "b": ("10.101.0.0/16", "2001:db8:b::/108")}
"""65,536 addresses per family and pool: room for the largest runs."""


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def manifests(lab: AnnouncerLab, frr: FRR, services: int,
              moved: int) -> list[dict[str, Any]]:
    """Services ``svc-00000``...; the first ``moved`` of them ask for pool ``b``."""
    docs = [
        node(),
        *(pool(name, *addresses) for name, addresses in POOLS.items()),
        advertisement("hosts", list(POOLS)),
        bgp_peer("frr", my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=frr.address4,
                 source_address=lab.addresses.v4(SOURCE_HOST), hold_time="90s"),
    ]
    docs += [service(f"svc-{index:05d}", pool_name="b" if index < moved else "a")
             for index in range(services)]
    return docs


def write(path: Path, documents: list[dict[str, Any]]) -> None:
    """YAML through libyaml when present (10,000 documents), replaced in one rename."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(yaml.dump_all(documents, Dumper=dumper, sort_keys=False))
    os.replace(scratch, path)


def poll(what: str, check: Callable[[], bool], watched: list[Announcer | FRR],
         timeout: float) -> float:
    """Wait for ``check``; the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while True:
        for item in watched:
            item.check_alive()
        with contextlib.suppress(OSError, ValueError, KeyError):
            if check():
                return time.monotonic()
        if time.monotonic() > deadline:
            tails = "\n".join(item.log_tail() for item in watched)
            raise SystemExit(f"timeout ({timeout}s) waiting for {what}\n{tails}")
        time.sleep(0.05)


def in_pool(frr: FRR, afi: str, cidr: str) -> int:
    """How many routes FRR holds inside ``cidr``."""
    table = frr.vtysh(f"show bgp {afi} unicast {cidr} longer-prefixes json")
    return len(table.get("routes", {}))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace, work: Path) -> list[str]:
    lines: list[str] = []
    with announcer_lab("bench", [SOURCE_HOST], [FRR_HOST]) as lab:
        neighbor = lab.addresses.v4(SOURCE_HOST)
        frr = FRR(lab.router_ns, work / "frr", lab.addresses.v4(FRR_HOST),
                        lab.addresses.v6(FRR_HOST), [Neighbor(neighbor, EBGP_AS)])
        config = work / "metallb.yaml"
        write(config, manifests(lab, frr, args.services, 0))
        log(f"wrote {args.services:,} services to {config} "
            f"({config.stat().st_size / 1e6:.1f} MB)")
        announcer = Announcer(lab.announcer_ns, work / "announcer", [config],
                              state=work / "state.json")
        try:
            frr.start()
            frr.wait_ready()
            log("FRR up; starting the announcer")
            started = time.monotonic()
            announcer.start()
            watched: list[Announcer | FRR] = [announcer, frr]
            up = poll("Established", lambda: frr.established(neighbor), watched, args.timeout)
            log(f"Established after {up - started:.2f} s")

            def all_in() -> bool:
                return all(frr.received_count(afi, neighbor) == args.services
                           for afi in ("ipv4", "ipv6"))

            done = poll(f"{2 * args.services:,} routes at FRR", all_in, watched, args.timeout)
            total = 2 * args.services
            lines.append(f"start: {total:,} routes ({args.services:,} dual-stack services) in "
                         f"FRR's RIB {done - started:.2f} s after start (Established at "
                         f"{up - started:.2f} s; {total / (done - started):,.0f} routes/s "
                         "overall)")
            log(lines[-1])
            rss_start = announcer.peak_rss_kib()

            write(config, manifests(lab, frr, args.services, args.moved))
            moved_at = time.monotonic()
            announcer.reload()
            pool_b = POOLS["b"]

            def moved() -> bool:
                return (in_pool(frr, "ipv4", pool_b[0]) == args.moved
                        and in_pool(frr, "ipv6", pool_b[1]) == args.moved
                        and all(frr.received_count(afi, neighbor) == args.services
                                for afi in ("ipv4", "ipv6")))

            shown = poll(f"{args.moved:,} services moved at FRR", moved, watched, args.timeout)
            lines.append(f"move: {args.moved:,} services to another pool ({2 * args.moved:,} "
                         f"routes withdrawn, {2 * args.moved:,} announced) shown at FRR "
                         f"{shown - moved_at:.2f} s after SIGHUP")
            log(lines[-1])
            reloads = announcer.status()["config"]
            lines.append(f"reloads: {reloads['reloads']} applied, {reloads['failed_reloads']} "
                         "refused (the file watcher may notice the rewrite before SIGHUP)")
            log(lines[-1])
            rss = announcer.peak_rss_kib()
            lines.append(f"memory: announcer peak RSS {rss / 1024:.0f} MB over the run "
                         f"({rss_start / 1024:.0f} MB before the move); CPU "
                         f"{cpu_seconds(announcer.pid):.1f} s over the run; FRR bgpd peak "
                         f"RSS {(peak_rss_kib(frr.process.pid) or 0) / 1024:.0f} MB")
            log(lines[-1])
        finally:
            announcer.stop()
            frr.stop()
            if args.log:
                print(announcer.log_tail(), file=sys.stderr)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--moved", type=int, default=1_000)
    parser.add_argument("--log", action="store_true",
                        help="print the tail of the announcer's log at the end")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="longest wait for one step")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("bench/announcer.py needs root (network namespaces, port 179)")
    if not 0 < args.moved <= args.services <= 60_000:
        raise SystemExit(f"--moved {args.moved} / --services {args.services}: need "
                         "0 < moved <= services <= 60000 (the pools hold 65,536 each)")
    with tempfile.TemporaryDirectory(prefix="bgpwire-announcer-bench-") as tmp, \
            signals_to_exit():
        work = Path(tmp)
        work.chmod(0o755)
        lines = run(args, work)
    print()
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
