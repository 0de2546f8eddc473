"""The terminal adapter: stdin lines in, replies out.

Piped input is a script, one message per line until EOF, so a whole conversation can
be replayed in a test; a real terminal gets a prompt and rendered markup.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from rich.console import Console

from bot.service import CoachService
from coaching.inbound import Inbound
from coaching.model import Owner
from coaching.replies import Reply

from .render import choices_block, plain, reply_text

QUIT_WORDS = {"quit", "exit", ":q"}


class ConsoleChat:
    def __init__(
        self,
        *,
        service: CoachService,
        owner: Owner,
        clock: Callable[[], datetime],
        timezone_hint: str | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        save_to: Path | None = None,
    ) -> None:
        """``save_to`` is the folder where attachments (an export's files, its chart) are
        written: a terminal can print text but not show a picture, so every file is also
        kept where the person can open it."""
        self.service = service
        self.owner = owner
        self.clock = clock
        self.timezone_hint = timezone_hint
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.console = Console(file=self.stdout, highlight=False, soft_wrap=not self.interactive)
        self.save_to = save_to

    async def run(self) -> None:
        await self._send(
            Inbound(owner=self.owner, now=self.clock(), command="", timezone_hint=self.timezone_hint)
        )
        while True:
            line = await self._read()
            if line is None:
                break
            line = line.rstrip("\r\n")
            if self.interactive and line.strip().casefold() in QUIT_WORDS:
                break
            if not self.interactive:
                self.console.print(f"> {line}", markup=False)
            stripped = line.strip()
            if stripped.startswith("/") and len(stripped) > 1:
                inbound = Inbound(owner=self.owner, now=self.clock(), command=stripped[1:])
            else:
                inbound = Inbound(owner=self.owner, now=self.clock(), text=line)
            await self._send(inbound)
        if self.interactive:
            self.console.print(
                "\nBye! Your plan is saved; run [bold]coach chat[/bold] to pick up where you left off."
            )

    async def _read(self) -> str | None:
        if self.interactive:
            try:
                return await asyncio.to_thread(self.console.input, "[bold cyan]you ›[/bold cyan] ")
            except (EOFError, KeyboardInterrupt):
                return None
        line = await asyncio.to_thread(self.stdin.readline)
        return line if line else None

    async def _send(self, inbound: Inbound) -> None:
        outcome = await self.service.handle(inbound)
        for reply in outcome.replies:
            self._show(reply)

    def _show(self, reply: Reply) -> None:
        if not self.interactive:
            self.console.print(reply_text(reply), markup=False)
        else:
            from rich.markdown import Markdown  # pulls in pygments: only worth it on a terminal

            self.console.print(Markdown(reply.text))
            if reply.choices:
                self.console.print(choices_block(reply), markup=False)
        saved = self._save(reply)
        for attachment in reply.attachments:
            self.console.print(f"--- {attachment.filename} ---", markup=False)
            if attachment.mime_type.startswith("text/") or attachment.mime_type.endswith("json"):
                self.console.print(plain(attachment.content.decode("utf-8", "replace")), markup=False)
            elif saved is not None:
                picture = saved / Path(attachment.filename).name
                self.console.print(f"(a picture: open {picture})", markup=False)
            else:
                self.console.print("(a picture, which a terminal can't show)", markup=False)
        if saved is not None:
            names = ", ".join(Path(a.filename).name for a in reply.attachments)
            self.console.print(f"Saved {names} in {saved}", markup=False)
        self.console.print()

    def _save(self, reply: Reply) -> Path | None:
        """Write the reply's attachments into ``save_to``; None when there is nothing to
        write or the folder can't be written (then they are only printed)."""
        if not reply.attachments or self.save_to is None:
            return None
        try:
            self.save_to.mkdir(parents=True, exist_ok=True)
            for attachment in reply.attachments:
                (self.save_to / Path(attachment.filename).name).write_bytes(attachment.content)
        except OSError as error:
            self.console.print(f"(Couldn't save the files in {self.save_to}: {error.strerror})", markup=False)
            return None
        return self.save_to
