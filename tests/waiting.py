"""Waiting for a condition inside an asyncio test: the one poll every test module uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

POLL_INTERVAL = 0.01


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll until ``condition`` holds; the test fails with TimeoutError if it never does."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(POLL_INTERVAL)
