"""One fixed "now" (a Sunday in late November 2026) so date expectations never drift."""

from __future__ import annotations

from datetime import datetime

NOW = datetime(2026, 11, 29, 12, 0)
