"""Block Kit for the coach's replies, the App Home tab and the section modals.

Messages are built as plain dicts, because they are on the hot path of every turn and
of every scheduled nudge: ``slack_sdk.models`` validates each object on ``to_dict()``
and that cost about 110 µs a nudge, more than the outbox itself. The limits Slack
enforces are kept by construction here (text cut into pieces of at most 3,000
characters, button labels at most 75, 25 buttons a block, 50 blocks a message), and a
property test renders the same replies through the validating models and demands the
same dicts. Views (App Home, modals) are built once in a while and still go through
``View.to_dict()``. Text goes through :mod:`adapters.slack.mrkdwn`, and ``verbatim``
keeps Slack from linking names and URLs on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack import wording
from adapters.slack.mrkdwn import mention, to_mrkdwn, to_plain
from coaching.forms import FORM_SECTIONS, MAX_FIELD_CHARS, Field
from coaching.markup import escape
from coaching.model import OwnerKind
from coaching.replies import Choice, Reply

SECTION_TEXT_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BUTTONS_PER_BLOCK = 25
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
FALLBACK_LIMIT = 3000

CHOICE_ACTION = re.compile(r"^coach\.choice\.(user|team)\.\d+$")
HOME_START = "coach.home.start"
HOME_CHECKIN = "coach.home.checkin"
HOME_EDIT = re.compile(r"^coach\.home\.edit\.(\w+)$")
EDIT_CALLBACK = "coach.edit"
INPUT_ACTION = "value"


def choice_action_id(kind: OwnerKind, index: int) -> str:
    """Unique per message; says whose plan the click belongs to (the person's or the channel's)."""
    return f"coach.choice.{kind}.{index}"


def chunks(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Split mrkdwn at line breaks into pieces Slack accepts, never inside an ``&…;`` entity."""
    if len(text) <= limit and text.strip():
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = limit
            amp = line.rfind("&", cut - 6, cut)
            if amp != -1:
                cut = amp
            head, line = line[:cut], line[cut:]
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip() or not pieces:
        pieces.append(current or " ")
    return pieces


def section_blocks(mrkdwn: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece, "verbatim": True}}
        for piece in chunks(mrkdwn)
    ]


def _button(label: str, action_id: str, value: str) -> dict[str, Any]:
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"a button value of {len(value)} characters; Slack takes {BUTTON_VALUE_LIMIT}")
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": to_plain(label, limit=BUTTON_TEXT_LIMIT), "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def button_blocks(choices: Sequence[Choice], kind: OwnerKind) -> list[dict[str, Any]]:
    elements = [_button(c.label, choice_action_id(kind, i), c.id) for i, c in enumerate(choices)]
    return [
        {"type": "actions", "elements": elements[start : start + BUTTONS_PER_BLOCK]}
        for start in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


def context_block(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn, "verbatim": True}]}


@dataclass(frozen=True, slots=True)
class Message:
    """A ready-to-send message: blocks within Slack's limits and the notification text."""

    blocks: list[dict[str, Any]]
    text: str


def _message(blocks: list[dict[str, Any]], text: str) -> Message:
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        raise ValueError(f"{len(blocks)} blocks, Slack takes at most {MESSAGE_BLOCK_LIMIT}")
    return Message(blocks=blocks, text=fallback(text))


def fallback(mrkdwn: str) -> str:
    """The top-level ``text``: notifications and screen readers; mrkdwn too, so just as inert."""
    return mrkdwn if len(mrkdwn) <= FALLBACK_LIMIT else chunks(mrkdwn, FALLBACK_LIMIT - 1)[0] + "…"


def reply_blocks(reply: Reply, kind: OwnerKind) -> tuple[str, list[dict[str, Any]]]:
    """One engine reply's mrkdwn and blocks: its text, then its choices as buttons."""
    text = to_mrkdwn(reply.text)
    return text, section_blocks(text) + button_blocks(reply.choices, kind)


def reply_message(reply: Reply, *, kind: OwnerKind, note: str | None = None) -> Message:
    """One engine reply as one message: its text, its choices as buttons, an optional note below."""
    text, blocks = reply_blocks(reply, kind)
    if note:
        blocks.append(context_block(to_mrkdwn(note)))
    return _message(blocks, text)


def answered_message(original: Sequence[Mapping[str, Any]], *, user_id: str, label: str) -> Message:
    """The clicked message again, its buttons replaced by who chose what.

    The other blocks are Slack's copy of what we sent, passed back as Slack gave them
    (block types this app never sends are dropped).
    """
    kept = [dict(raw) for raw in original if raw.get("type") in ("section", "context", "header", "divider")]
    placeholder = "\x00"
    note = to_mrkdwn(wording.ANSWERED.format(who=placeholder, label=escape(label))).replace(
        placeholder, mention(user_id)
    )
    texts = [b["text"]["text"] for b in original if b.get("type") == "section" and "text" in b]
    return _message([*kept, context_block(note)], "\n".join(texts) or note)


def _section_title(section: str) -> str:
    return wording.SECTION_TITLES.get(section, section)


def home_view(*, markdown: str | None, schedule: str | None) -> dict[str, Any]:
    """The App Home tab: the plan with progress, the next check-in, and what to do next.

    ``markdown`` is None when there is no plan yet: the tab then offers to start one.
    """
    blocks: list[Block | dict[str, Any]] = [HeaderBlock(text=PlainTextObject(text=wording.HOME_TITLE))]
    if markdown is None:
        blocks += section_blocks(to_mrkdwn(wording.HOME_EMPTY))
        blocks.append(
            ActionsBlock(
                elements=[ButtonElement(text=wording.HOME_START, action_id=HOME_START, style="primary")]
            )
        )
    else:
        blocks += section_blocks(to_mrkdwn(markdown))
        blocks.append(DividerBlock())
        next_line = wording.HOME_NEXT.format(schedule=schedule) if schedule else wording.HOME_UNSCHEDULED
        blocks += section_blocks(to_mrkdwn(next_line))
        buttons = [ButtonElement(text=wording.HOME_CHECKIN, action_id=HOME_CHECKIN, style="primary")]
        buttons += [
            ButtonElement(
                text=wording.EDIT_BUTTON.format(section=_section_title(s)),
                action_id=f"coach.home.edit.{s}",
                value=s,
            )
            for s in FORM_SECTIONS
        ]
        blocks.append(ActionsBlock(elements=buttons))
    view = View(type="home", blocks=blocks)
    result: dict[str, Any] = view.to_dict()
    if len(result["blocks"]) > VIEW_BLOCK_LIMIT:
        raise ValueError("the App Home view has too many blocks")
    return result


@dataclass(frozen=True, slots=True)
class FormTarget:
    """Whose section a modal edits and where to confirm it; carried in ``private_metadata``."""

    tenant: str
    subject: str
    kind: OwnerKind
    section: str
    channel: str | None

    def dump(self) -> str:
        return json.dumps(
            {"t": self.tenant, "s": self.subject, "k": self.kind, "sec": self.section, "c": self.channel}
        )

    @classmethod
    def load(cls, raw: str) -> FormTarget | None:
        try:
            data = json.loads(raw)
            kind: Literal["user", "team"] = "team" if data["k"] == "team" else "user"
            return cls(
                tenant=str(data["t"]),
                subject=str(data["s"]),
                kind=kind,
                section=str(data["sec"]),
                channel=str(data["c"]) if data.get("c") else None,
            )
        except (ValueError, KeyError, TypeError):
            return None


def _input(field: Field) -> Block:
    element: PlainTextInputElement | StaticSelectElement
    if field.options:
        options = [Option(value=o, label=o) for o in field.options]
        element = StaticSelectElement(
            action_id=INPUT_ACTION,
            options=options,
            initial_option=next((o for o in options if o.value == field.value), None),
        )
    else:
        element = PlainTextInputElement(
            action_id=INPUT_ACTION,
            initial_value=field.value or None,
            multiline=field.multiline,
            max_length=MAX_FIELD_CHARS,
        )
    return InputBlock(
        block_id=field.name,
        label=to_plain(field.label, limit=2000),
        element=element,
        hint=to_plain(field.hint, limit=2000) or None,
        optional=field.optional,
    )


def edit_modal(target: FormTarget, fields: Sequence[Field]) -> dict[str, Any]:
    """A modal with every field of one POPT section; errors come back per block (``block_id`` = field)."""
    view = View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        title=wording.MODAL_TITLE.format(section=_section_title(target.section)),
        submit=wording.MODAL_SUBMIT,
        close=wording.MODAL_CLOSE,
        blocks=[_input(f) for f in fields],
        private_metadata=target.dump(),
    )
    result: dict[str, Any] = view.to_dict()
    return result


def form_values(state: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, str]:
    """A submitted modal's ``view.state.values`` as {field name: text}."""
    values: dict[str, str] = {}
    for block_id, actions in state.items():
        action = actions.get(INPUT_ACTION) or {}
        if action.get("type") == "static_select":
            values[block_id] = str((action.get("selected_option") or {}).get("value") or "")
        else:
            values[block_id] = str(action.get("value") or "")
    return values
