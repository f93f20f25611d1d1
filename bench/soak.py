"""Soak: many bgpwire sessions on loopback, flapped for minutes, routes checked after each flap.

    python bench/soak.py                          # 200 sessions, 10 minutes
    python bench/soak.py --minutes 1 --sessions 50

One hub Speaker (AS 65000) listens on 127.0.0.1; each of ``--sessions`` client Speakers (AS
65001 and up) connects to it from its own address, 127.0.2.1 and on. The hub announces
``--hub-routes`` prefixes to every client, each client ``--client-routes`` of its own to the
hub. Once all sessions are up and every route is where it belongs, they are flapped for
``--warmup`` minutes (1 by default: the allocator's arenas and the kernel's socket caches reach
their working size; a baseline taken on an idle process would count that as growth), and then
the baseline is taken: resident memory, Python's allocated blocks, open file descriptors and
asyncio tasks, after a garbage collection.

Then, for ``--minutes``, ``--flappers`` workers each pick a client at random and flap its
session, taking turns between two ways a session goes down:

* the client removes the hub and adds it back (Cease / Administrative Shutdown, a new session);
* the client's connection is dropped without a NOTIFICATION (what a crash looks like); the
  sessions on both sides restart by themselves.

After each flap the worker waits until the session is Established again and checks both
tables of that pair route by route: the hub holds exactly the client's prefixes, the client
exactly the hub's. At the end every pair is checked again, and the same figures are taken and
compared with the baseline: descriptors and tasks must be the same, resident memory and
allocated blocks within ``--rss-slack`` percent. The exit status is 0 only if every check
passed.

Everything runs in one process and one event loop, so the figures are bgpwire's alone; the
run only talks to 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from bgpwire.aio import TransportOptions
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import PeerConfig, State
from bgpwire.speaker import PeerDown, PeerSpec, PeerUp, Speaker

HUB_AS, HUB_ADDR, HUB_ID = 65000, "127.0.0.1", IPv4Address("10.255.0.1")


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def client_id(index: int) -> IPv4Address:
    return IPv4Address(f"10.1.{index // 256}.{index % 256}")


@dataclass(frozen=True)
class Figures:
    rss_kib: int
    blocks: int
    fds: int
    tasks: int

    @classmethod
    def take(cls) -> Figures:
        gc.collect()
        return cls(rss_kib(), sys.getallocatedblocks(), open_fds(), len(asyncio.all_tasks()))

    def show(self) -> str:
        return (f"RSS {self.rss_kib / 1024:.1f} MiB, {self.blocks} allocated blocks, "
                f"{self.fds} open fds, {self.tasks} tasks")


@dataclass
class Client:
    index: int
    address: str
    asn: int
    speaker: Speaker
    prefixes: frozenset[IPv4Network]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Tally:
    flaps: Counter[str] = field(default_factory=Counter)
    routes_verified: int = 0
    failures: list[str] = field(default_factory=list)


class Soak:
    """The hub, its clients, and the checks; see the module docstring."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.hub = Speaker(HUB_AS, HUB_ID, listen=[(HUB_ADDR, 0)], max_events=100_000)
        self.hub_prefixes = frozenset(IPv4Network(f"10.0.{i // 256}.{i % 256}/32")
                                      for i in range(args.hub_routes))
        self.clients: list[Client] = []
        self.tally = Tally()
        self.hub_events: Counter[tuple[str, str]] = Counter()
        self._collectors: list[asyncio.Task[None]] = []

    # --- setting up ---------------------------------------------------------------------------

    def client_spec(self, client: Client) -> PeerSpec:
        options = TransportOptions(local_address=client.address,
                                   remote_port=self.hub.listen_ports[0])
        config = PeerConfig(local_as=client.asn, peer_as=HUB_AS, router_id=client_id(client.index),
                            connect_retry_time=1.0, idle_hold_time=0.2, jitter=False)
        return PeerSpec(HUB_ADDR, config, options, next_hop=IPv4Address(client.address))

    def hub_spec(self, client: Client) -> PeerSpec:
        config = PeerConfig(local_as=HUB_AS, peer_as=client.asn, router_id=HUB_ID,
                            idle_hold_time=0.1, idle_hold_time_max=0.1, jitter=False)
        return PeerSpec(client.address, config, passive=True, next_hop=IPv4Address(HUB_ADDR))

    async def start(self) -> None:
        await self.hub.start()
        self._collect(self.hub, hub=True)
        self.hub.announce_many(sorted(self.hub_prefixes))
        for index in range(1, self.args.sessions + 1):
            asn = HUB_AS + index
            address = f"127.0.2.{index}" if index < 255 else f"127.0.3.{index - 254}"
            prefixes = frozenset(IPv4Network(f"172.{16 + index // 256}.{index % 256}.{j}/32")
                                 for j in range(self.args.client_routes))
            client = Client(index, address, asn, Speaker(asn, client_id(index)), prefixes)
            await client.speaker.start()
            self._collect(client.speaker, hub=False)
            client.speaker.announce_many(sorted(prefixes))
            await self.hub.add_peer(self.hub_spec(client))
            await client.speaker.add_peer(self.client_spec(client))
            self.clients.append(client)
        for client in self.clients:
            await self.verified(client, timeout=60)

    def _collect(self, speaker: Speaker, *, hub: bool) -> None:
        """Read a speaker's events (so its queue never drops); the hub's Up/Down are counted."""
        async def collect() -> None:
            async for event in speaker.events():
                if hub and isinstance(event, PeerUp | PeerDown):
                    self.hub_events[(event.address, type(event).__name__)] += 1
        self._collectors.append(asyncio.get_running_loop().create_task(collect()))

    # --- checking -----------------------------------------------------------------------------

    def pair_ok(self, client: Client) -> bool:
        hub_side = self.hub.session(client.address)
        client_side = client.speaker.session(HUB_ADDR)
        if hub_side is None or client_side is None:
            return False
        if hub_side.state is not State.ESTABLISHED or client_side.state is not State.ESTABLISHED:
            return False
        at_hub = {route.prefix for route in self.hub.adj_rib_in(client.address).routes(
            IPV4_UNICAST)}
        at_client = {route.prefix for route in client.speaker.adj_rib_in(HUB_ADDR).routes(
            IPV4_UNICAST)}
        return at_hub == client.prefixes and at_client == self.hub_prefixes

    async def verified(self, client: Client, timeout: float) -> None:
        """Wait until the pair is up with exactly the right routes; count them."""
        try:
            async with asyncio.timeout(timeout):
                while not self.pair_ok(client):
                    await asyncio.sleep(0.05)
        except TimeoutError:
            self.tally.failures.append(f"{client.address}: not back with its routes "
                                       f"within {timeout} s")
            return
        self.tally.routes_verified += len(client.prefixes) + len(self.hub_prefixes)

    # --- flapping -----------------------------------------------------------------------------

    async def flap(self, client: Client, how: str) -> None:
        async with client.lock:
            downs = self.hub_events[(client.address, "PeerDown")]
            if how == "remove":
                await client.speaker.remove_peer(HUB_ADDR, "soak flap")
                await self.wait_down(client, downs)
                await client.speaker.add_peer(self.client_spec(client))
            else:
                session = client.speaker.session(HUB_ADDR)
                if session is not None:
                    session.abort()
                await self.wait_down(client, downs)
            self.tally.flaps[how] += 1
            await self.verified(client, timeout=30)

    async def wait_down(self, client: Client, downs_before: int) -> None:
        """The hub saw the session go down and dropped the client's routes."""
        rib = self.hub.adj_rib_in(client.address)
        try:
            async with asyncio.timeout(30):
                while (self.hub_events[(client.address, "PeerDown")] == downs_before
                       or len(rib) != 0):
                    await asyncio.sleep(0.01)
        except TimeoutError:
            self.tally.failures.append(f"{client.address}: hub kept the session or routes")

    async def flap_all(self, rng: random.Random, minutes: float) -> None:
        deadline = time.monotonic() + minutes * 60
        await asyncio.gather(*(self.flapper(random.Random(rng.random()), deadline)
                               for _ in range(self.args.flappers)))

    async def flapper(self, rng: random.Random, deadline: float) -> None:
        ways = ("remove", "abort")
        turn = rng.randrange(2)
        while time.monotonic() < deadline:
            await self.flap(rng.choice(self.clients), ways[turn % 2])
            turn += 1

    # --- the run ------------------------------------------------------------------------------

    async def run(self) -> int:
        started = time.monotonic()
        await self.start()
        print(f"{len(self.clients)} sessions up in {time.monotonic() - started:.1f} s, "
              f"{self.tally.routes_verified} routes verified; idle: {Figures.take().show()}")
        rng = random.Random(self.args.seed)
        await self.flap_all(rng, self.args.warmup)
        for client in self.clients:
            await self.verified(client, timeout=30)
        print(f"warm-up: {sum(self.tally.flaps.values())} flaps in {self.args.warmup} min")
        self.tally = Tally()
        self.hub_events.clear()
        baseline = Figures.take()
        print(f"baseline: {baseline.show()}")
        deadline = time.monotonic() + self.args.minutes * 60
        report = asyncio.get_running_loop().create_task(self.progress(deadline))
        await self.flap_all(rng, self.args.minutes)
        report.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await report
        for client in self.clients:
            await self.verified(client, timeout=30)
        end = Figures.take()
        flaps = sum(self.tally.flaps.values())
        downs = sum(n for (_, kind), n in self.hub_events.items() if kind == "PeerDown")
        print(f"sessions: {len(self.clients)}; flaps: {flaps} "
              f"({self.tally.flaps['remove']} remove/add, {self.tally.flaps['abort']} dropped "
              f"connections); hub saw {downs} sessions go down")
        print(f"routes verified: {self.tally.routes_verified}")
        print(f"end:      {end.show()}")
        growth = 100.0 * (end.rss_kib - baseline.rss_kib) / baseline.rss_kib
        blocks = 100.0 * (end.blocks - baseline.blocks) / baseline.blocks
        print(f"RSS {growth:+.1f} %, allocated blocks {blocks:+.1f} % from baseline; "
              f"fds {end.fds - baseline.fds:+d}; tasks {end.tasks - baseline.tasks:+d}")
        if downs != flaps:
            self.tally.failures.append(f"the hub saw {downs} sessions go down for {flaps} flaps")
        if end.fds != baseline.fds:
            self.tally.failures.append(f"open fds {baseline.fds} -> {end.fds}")
        if end.tasks != baseline.tasks:
            self.tally.failures.append(f"tasks {baseline.tasks} -> {end.tasks}")
        if growth > self.args.rss_slack:
            self.tally.failures.append(f"RSS grew {growth:.1f} % (slack {self.args.rss_slack} %)")
        if blocks > self.args.rss_slack:
            self.tally.failures.append(f"allocated blocks grew {blocks:.1f} %")
        await self.close()
        for failure in self.tally.failures:
            print(f"FAILED: {failure}")
        return 1 if self.tally.failures else 0

    async def progress(self, deadline: float) -> None:
        while True:
            await asyncio.sleep(60)
            left = max(0.0, deadline - time.monotonic())
            print(f"  {sum(self.tally.flaps.values())} flaps, "
                  f"{self.tally.routes_verified} routes verified, {Figures.take().show()}, "
                  f"{left / 60:.1f} min left", flush=True)

    async def close(self) -> None:
        for client in self.clients:
            await client.speaker.close("soak over")
        await self.hub.close("soak over")
        for task in self._collectors:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="minutes of flapping before the baseline is taken (default 1)")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--flappers", type=int, default=10,
                        help="sessions flapped at the same time (default 10)")
    parser.add_argument("--hub-routes", type=int, default=20)
    parser.add_argument("--client-routes", type=int, default=5)
    parser.add_argument("--rss-slack", type=float, default=5.0,
                        help="percent RSS and allocated blocks may end above the baseline "
                             "(default 5)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 500:
        parser.error(f"--sessions {args.sessions}: must be 1..500 (127.0.2.1 to 127.0.3.246)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    return asyncio.run(Soak(args).run())


if __name__ == "__main__":
    sys.exit(main())
