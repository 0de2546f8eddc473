"""Registering the slash commands with Discord only when they changed.

Discord keeps an application's commands until they are overwritten, and overwriting is
rate limited (a few hundred command creations a day), so syncing on every start of
every replica is wasteful and, with frequent restarts, can run into the limit. The
commands' payload is hashed and compared with the hash stored after the last sync, per
application id; only a difference (new commands, changed descriptions, a new bot)
syncs. Without a persistent state directory (a fresh container each start) this
costs one sync per start, which is still safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from discord import app_commands

log = logging.getLogger(__name__)


def commands_hash(tree: app_commands.CommandTree[Any]) -> str:
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class CommandSync:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _stored(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}

    def _store(self, hashes: dict[str, str]) -> None:
        """Write via a temporary file and rename, so a crash never leaves half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".commands-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(hashes, out)
        os.replace(temporary, self.path)

    async def sync(self, tree: app_commands.CommandTree[Any], *, application_id: int) -> bool:
        """Overwrite the global commands when they differ from the last sync; True when synced."""
        current = commands_hash(tree)
        stored = self._stored()
        if stored.get(str(application_id)) == current:
            log.info("Discord commands unchanged since the last sync; not syncing")
            return False
        synced = await tree.sync()
        self._store({**stored, str(application_id): current})
        log.info("synced %d Discord commands", len(synced))
        return True
