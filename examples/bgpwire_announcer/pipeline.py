"""From files to a plan: load, validate, allocate, plan, in one call.

``plan`` and ``run`` share it, so a dry run shows exactly what the speaker would do. A
configuration with any problem is refused as a whole (:class:`Refused`): nothing after
validation runs on it, so a bad edit can never change addresses or routes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bgpwire_announcer.allocate import Allocation, Assignment, allocate, assignments
from bgpwire_announcer.interfaces import AddressPresence, address_present
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.model import Config, Plan
from bgpwire_announcer.passwords import resolve_passwords
from bgpwire_announcer.plan import make_plan
from bgpwire_announcer.validate import validate


class Refused(Exception):
    """The files are not a valid configuration; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str], notes: Sequence[str] = ()) -> None:
        self.problems = tuple(problems)
        self.notes = tuple(notes)
        count = len(self.problems)
        first = self.problems[0] if self.problems else "no problems given"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A valid configuration and what this node makes of it."""

    config: Config
    notes: tuple[str, ...]
    allocations: dict[str, Allocation]
    assignments: dict[str, Assignment]
    """What the state file keeps: each service that has addresses."""
    plan: Plan


def load_valid(paths: Sequence[str], node: str | None) -> tuple[Config, tuple[str, ...]]:
    """The configuration in ``paths`` and its notes; :class:`Refused` with every problem.

    What the loader refuses (a typo, a wrong type) and what validation finds in the objects
    that did load are reported together, sorted, so that one typo does not hide the other
    problems and the same files give the same list whatever their order. The configuration
    returned has each ``passwordSecret`` read into its peer's ``password``."""
    loaded = load_paths(list(paths))
    problems = {str(problem) for problem in loaded.problems}
    problems.update(str(problem) for problem in validate(loaded.config, node))
    if problems:
        raise Refused(sorted(problems), loaded.notes)
    return resolve_passwords(loaded.config), tuple(loaded.notes)


def compute(paths: Sequence[str], node: str, remembered: Mapping[str, Assignment], *,
            presence: AddressPresence = address_present) -> Outcome:
    """Load and validate ``paths``, allocate with ``remembered`` (the state file) and plan the
    routes of ``node``. ``presence`` says whether a source address is on this host."""
    config, notes = load_valid(paths, node)
    return plan_for(config, notes, node, remembered, presence=presence)


def plan_for(config: Config, notes: tuple[str, ...], node: str,
             remembered: Mapping[str, Assignment], *,
             presence: AddressPresence = address_present) -> Outcome:
    """:func:`compute` from an already valid configuration."""
    allocations = allocate(config, remembered)
    plan = make_plan(config, node, allocations, address_present=presence)
    return Outcome(config, notes, allocations, assignments(allocations), plan)
