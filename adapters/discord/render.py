"""The engine's replies as Discord messages to send, still free of any discord.py object.

A turn's replies are joined into as few messages as read well: plain text runs on into
the next question, so "Got it." and the next question arrive as one message with the
question's buttons under it. A summary (the plan) is an embed of its own, since embeds
hold twice the text of a message; files travel with the reply they belong to. Text
longer than Discord takes is split, and the buttons go under the last piece.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum

from adapters.discord.markup import split
from coaching.replies import Attachment, Choice, Reply

CONTENT_LIMIT = 2000
EMBED_LIMIT = 4096
QUESTION_KINDS = frozenset({"question", "checkin"})
CHART_FILENAME = "progress.png"


class Surface(Enum):
    """Where a message is read, which decides how a person can type an answer.

    In the DM they simply write; in a server channel (team plans, or a person's own plan
    shown only to them) the bot reads no messages, so a question there carries a button
    that opens a one-field form for the answer.
    """

    DM = "dm"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: ``content`` (markup) or one embed with ``embed_text``; ``image`` names
    the attachment the embed shows."""

    content: str = ""
    embed_text: str | None = None
    embed_title: str | None = None
    footer: str | None = None
    image: str | None = None
    choices: tuple[Choice, ...] = ()
    answer_button: bool = False
    attachments: tuple[Attachment, ...] = ()

    @property
    def interactive(self) -> bool:
        return bool(self.choices or self.answer_button)


@dataclass(slots=True)
class _Composer:
    surface: Surface
    messages: list[Outgoing] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def add(self, reply: Reply) -> None:
        if reply.kind == "summary":
            self.flush()
            pieces = split(reply.text, EMBED_LIMIT)
            self.messages += [Outgoing(embed_text=piece) for piece in pieces[:-1]]
            self.messages.append(Outgoing(embed_text=pieces[-1], attachments=reply.attachments))
            return
        self.texts.append(reply.text)
        question = reply.kind in QUESTION_KINDS
        if reply.choices or reply.attachments or question:
            answer = question and self.surface is Surface.CHANNEL
            self.flush(choices=reply.choices, answer_button=answer, attachments=reply.attachments)

    def flush(
        self,
        *,
        choices: tuple[Choice, ...] = (),
        answer_button: bool = False,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        if not self.texts:
            return
        pieces = split("\n\n".join(self.texts), CONTENT_LIMIT)
        self.texts = []
        self.messages += [Outgoing(content=piece) for piece in pieces[:-1]]
        self.messages.append(
            Outgoing(
                content=pieces[-1], choices=choices, answer_button=answer_button, attachments=attachments
            )
        )


def compose(replies: Iterable[Reply], *, surface: Surface) -> list[Outgoing]:
    composer = _Composer(surface)
    for reply in replies:
        composer.add(reply)
    composer.flush()
    return composer.messages


def answered(content: str, line: str) -> str:
    """A clicked question's text with who chose what under it (the buttons are then removed)."""
    joined = f"{content}\n\n{line}"
    return joined if len(joined) <= CONTENT_LIMIT else content


def plan_messages(markdown: str, *, title: str, footer: str, chart: bytes | None) -> list[Outgoing]:
    """The plan as an embed (or several, for a long plan) with the progress chart as its image."""
    messages = [Outgoing(embed_text=piece) for piece in split(markdown, EMBED_LIMIT)]
    messages[0] = replace(messages[0], embed_title=title)
    if chart is not None:
        image = Attachment(CHART_FILENAME, "image/png", chart, title="Progress")
        messages[-1] = replace(messages[-1], image=CHART_FILENAME, attachments=(image,))
    messages[-1] = replace(messages[-1], footer=footer)
    return messages
