"""Console nudges: printed to the dispatcher's standard output, as ``coach chat`` shows replies.

The terminal keeps no record of what it printed, so :meth:`ConsoleSender.find_sent`
cannot tell whether a nudge went out before a crash: a console nudge printed just
before the process died, and not yet marked sent, is printed again by the next pass.
"""

from __future__ import annotations

import sys
from typing import TextIO

from adapters.console.render import reply_text
from bot.scheduling.ports import OutboundNudge

_HEADINGS = {"checkin": "Check-in", "reminder": "Reminder", "snooze": "Check-in (snoozed)"}


class ConsoleSender:
    platform = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    async def send(self, nudge: OutboundNudge) -> str | None:
        out = self._out or sys.stdout
        heading = f"── {_HEADINGS[nudge.kind]} for {nudge.owner.subject} ({nudge.week}) ──"
        out.write("\n".join([heading, *(reply_text(reply) for reply in nudge.replies)]) + "\n\n")
        out.flush()
        return None

    async def find_sent(self, nudge: OutboundNudge) -> str | None:
        return None
