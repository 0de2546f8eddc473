"""Shared fixture: the packaged knowledge, as the engine uses it."""

from __future__ import annotations

import pytest

from coaching.knowledge import Knowledge, default_knowledge


@pytest.fixture
def knowledge() -> Knowledge:
    return default_knowledge()
