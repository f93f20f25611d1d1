"""Test-wide settings.

In CI (``CI`` set in the environment) Hypothesis runs derandomized: the examples are the same on
every run, so CI checks what was checked before it, and a new finding comes from a developer's
randomised runs rather than turning an unrelated submission red.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
