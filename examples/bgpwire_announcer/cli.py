"""``bgpwire-announcer``: check, plan, run, demo, status."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    del argv
    print("bgpwire-announcer: not built yet", file=sys.stderr)
    return 2
