"""Access to the coach's wording in ``content/coach.toml``.

Kept in one data file so that every sentence a person reads can be reviewed and
rewritten without touching the logic.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True, slots=True)
class Wording:
    data: Mapping[str, Any]

    def text(self, *path: str, **values: object) -> str:
        """The sentence at ``path``, with ``{placeholders}`` filled from ``values``."""
        node: Any = self.data
        for part in path:
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(".".join(path))
        return node.format_map(_Blank(values))

    def question(self, step: str, field: str = "ask", **values: object) -> str:
        return self.text("questions", step, field, **values)

    def has(self, *path: str) -> bool:
        node: Any = self.data
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True


@cache
def default_wording() -> Wording:
    raw = (resources.files("coaching") / "content" / "coach.toml").read_text("utf-8")
    return Wording(tomllib.loads(raw))
