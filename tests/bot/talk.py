"""A turn as an adapter hands it to the service, for the tests that drive ``App.service``."""

from __future__ import annotations

from bot.app import App
from coaching.inbound import Inbound
from coaching.model import Owner


def inbound(app: App, owner: Owner, text: str | None) -> Inbound:
    """``text`` None is how a conversation starts: an empty command, with the timezone a
    platform would report (Berlin, as the worked example's owner)."""
    return Inbound(
        owner=owner,
        now=app.clock(),
        text=text,
        command="" if text is None else None,
        timezone_hint="Europe/Berlin" if text is None else None,
    )
