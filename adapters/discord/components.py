"""Buttons and menus that keep working after a restart: every one is a ``DynamicItem``.

A click reaches whichever process holds the gateway session, with nothing but the
component's custom id and the message it sits on. So each custom id carries what the
click means (the engine's :attr:`~coaching.replies.Choice.id`, which names the question,
its subject and the answer) and whether the message belongs to a personal or a team
plan. Which plan exactly is read from where the click happened (the person clicking, or
the guild channel), never from the id, so no id can reach another tenant's plan.

The item classes are registered once at start-up (``Client.add_dynamic_items``); a
message sent before a restart, by another replica or weeks ago is handled the same way.

Nudges also carry a ``tag`` derived from their idempotency key in every custom id, so
:meth:`adapters.discord.sender.DiscordSender.find_sent` can recognise a nudge already
delivered by reading the channel's history.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

from adapters.discord import wording
from adapters.discord.identity import kind_code, kind_of
from adapters.discord.markup import plain
from adapters.discord.render import Outgoing
from coaching.model import OwnerKind
from coaching.replies import Choice

CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
MENU_LABEL_LIMIT = 100
MAX_BUTTONS = 5
MAX_MENU_OPTIONS = 25


class ComponentHandler(Protocol):
    """What a click does; :class:`adapters.discord.interactions.Interactions` implements it."""

    async def on_choice(
        self, interaction: discord.Interaction[Any], *, kind: OwnerKind, choice_id: str, label: str
    ) -> None: ...

    async def on_answer_button(self, interaction: discord.Interaction[Any], *, kind: OwnerKind) -> None: ...

    async def on_form_button(
        self, interaction: discord.Interaction[Any], *, kind: OwnerKind, section: str, page: str
    ) -> None: ...


def _handler(interaction: discord.Interaction[Any]) -> ComponentHandler:
    """The handler the coach's client carries (items are built by discord.py, not by us)."""
    handler = getattr(interaction.client, "component_handler", None)
    if handler is None:
        raise RuntimeError("this client has no component_handler; build it with build_discord_bot")
    return cast(ComponentHandler, handler)


def _custom_id(*parts: str) -> str:
    custom_id = ":".join(("coach", *parts))
    if len(custom_id) > CUSTOM_ID_LIMIT:
        raise ValueError(f"custom id longer than Discord's {CUSTOM_ID_LIMIT} characters: {custom_id!r}")
    return custom_id


def _fitting_tag(tag: str, *parts: str) -> str:
    """The nudge tag, or none when the id would be too long with it (the nudge then just
    cannot be recognised in the history, and may be sent again after a crash)."""
    return tag if len(_custom_id(*parts)) + len(tag) <= CUSTOM_ID_LIMIT else ""


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"coach:c:(?P<kind>[ut]):(?P<tag>[0-9a-z]*):(?P<choice>.+)",
):
    def __init__(self, *, kind: OwnerKind, choice: Choice, tag: str = "") -> None:
        code = kind_code(kind)
        tag = _fitting_tag(tag, "c", code, "", choice.id)
        super().__init__(
            discord.ui.Button(
                label=plain(choice.label, BUTTON_LABEL_LIMIT),
                style=discord.ButtonStyle.secondary,
                custom_id=_custom_id("c", code, tag, choice.id),
            )
        )
        self.kind: OwnerKind = kind
        self.choice_id = choice.id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(kind=kind_of(match["kind"]), choice=Choice(match["choice"], label or ""), tag=match["tag"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_choice(
            interaction, kind=self.kind, choice_id=self.choice_id, label=self.item.label or ""
        )


class ChoiceMenu(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"coach:m:(?P<kind>[ut]):(?P<tag>[0-9a-z]*):(?P<n>\d+)",
):
    """More choices than fit in a row of buttons; option values are the choice ids."""

    def __init__(self, *, kind: OwnerKind, choices: tuple[Choice, ...], n: int = 0, tag: str = "") -> None:
        if len(choices) > MAX_MENU_OPTIONS:
            raise ValueError(f"{len(choices)} choices; a Discord menu takes at most {MAX_MENU_OPTIONS}")
        code = kind_code(kind)
        tag = _fitting_tag(tag, "m", code, "", str(n))
        super().__init__(
            discord.ui.Select(
                custom_id=_custom_id("m", code, tag, str(n)),
                placeholder=wording.CHOOSE,
                options=[
                    discord.SelectOption(label=plain(c.label, MENU_LABEL_LIMIT), value=c.id) for c in choices
                ],
            )
        )
        self.kind: OwnerKind = kind

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        options = item.options if isinstance(item, discord.ui.Select) else []
        choices = tuple(Choice(o.value, o.label) for o in options)
        return cls(kind=kind_of(match["kind"]), choices=choices, n=int(match["n"]), tag=match["tag"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not self.item.values:
            return
        value = self.item.values[0]
        label = next((o.label for o in self.item.options if o.value == value), "")
        await _handler(interaction).on_choice(interaction, kind=self.kind, choice_id=value, label=label)


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"coach:a:(?P<kind>[ut]):(?P<tag>[0-9a-z]*)",
):
    """Opens a one-field form for a typed answer where the bot reads no messages."""

    def __init__(self, *, kind: OwnerKind, tag: str = "") -> None:
        code = kind_code(kind)
        super().__init__(
            discord.ui.Button(
                label=wording.ANSWER_BUTTON,
                style=discord.ButtonStyle.primary,
                custom_id=_custom_id("a", code, _fitting_tag(tag, "a", code, "")),
            )
        )
        self.kind: OwnerKind = kind

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(kind=kind_of(match["kind"]), tag=match["tag"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_answer_button(interaction, kind=self.kind)


class FormButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"coach:f:(?P<kind>[ut]):(?P<section>[a-z]+):(?P<page>[\w.]*)",
):
    """Opens the form for one page of a section (an objective, a tactic, or all of it)."""

    def __init__(self, *, kind: OwnerKind, section: str, page: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=plain(label, BUTTON_LABEL_LIMIT),
                style=discord.ButtonStyle.secondary,
                custom_id=_custom_id("f", kind_code(kind), section, page),
            )
        )
        self.kind: OwnerKind = kind
        self.section = section
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(
            kind=kind_of(match["kind"]), section=match["section"], page=match["page"], label=label or ""
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).on_form_button(
            interaction, kind=self.kind, section=self.section, page=self.page
        )


DYNAMIC_ITEMS = (ChoiceButton, ChoiceMenu, AnswerButton, FormButton)
_TAGGED = (ChoiceButton, ChoiceMenu, AnswerButton)


def reply_view(message: Outgoing, *, kind: OwnerKind, tag: str = "") -> discord.ui.View | None:
    """The components under a message: its choices (a row of buttons, or a menu when more
    than fit), then the button to type an answer."""
    if not message.interactive:
        return None
    items: list[discord.ui.Item[Any]] = []
    if 0 < len(message.choices) <= MAX_BUTTONS:
        items += [ChoiceButton(kind=kind, choice=choice, tag=tag) for choice in message.choices]
    elif message.choices:
        items.append(ChoiceMenu(kind=kind, choices=message.choices, tag=tag))
    view = discord.ui.View(timeout=None)
    for item in items:
        item.row = 0
        view.add_item(item)
    if message.answer_button:
        answer = AnswerButton(kind=kind, tag=tag)
        answer.row = 1 if items else 0
        view.add_item(answer)
    return view


def form_buttons(pages: list[tuple[str, str]], *, kind: OwnerKind, section: str) -> discord.ui.View:
    """One button per form page, ``(page key, label)``, five to a row."""
    view = discord.ui.View(timeout=None)
    for page, label in pages:
        view.add_item(FormButton(kind=kind, section=section, page=page, label=label))
    return view


def tag_of(custom_id: str) -> str | None:
    """The nudge tag a component's custom id carries, if any."""
    for item in _TAGGED:
        match = item.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is not None:
            return match["tag"] or None
    return None
