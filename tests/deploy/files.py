"""Where the deployment files are, and what they may name, for every test in this package."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def setting_names() -> set[str]:
    """The environment variables the coach reads: pydantic-settings matches field names
    case-insensitively, and the documented spelling is upper case."""
    return {name.upper() for name in Settings.model_fields}


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text("utf-8")) if document is not None]


_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def interpolate(value: Any, environment: Mapping[str, str]) -> Any:
    """Compose's ``${NAME}``, ``${NAME:-default}``, ``${NAME:?error}`` and ``$$``, applied to
    every string value, so tests see what ``docker compose`` would hand the containers."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group("name", "op", "arg")
        if name is None:
            return "$"
        current = environment.get(name)
        missing = current is None or (current == "" and op is not None and op.startswith(":"))
        if not missing:
            return current or ""
        if op is not None and op.endswith("?"):
            raise KeyError(f"{name} is required: {arg}")
        return arg if op is not None else ""

    return _VARIABLE.sub(replace, value)
