"""Section forms as Discord modals, which hold at most five inputs and show no errors.

A section whose fields fit in one modal (purpose: 4, priorities: 2) is one page; longer
ones (objectives: 4 per objective, tactics: 3 per tactic, plus one "add") get a page per
item, picked with a button. A page submits only its own fields, so the others are
filled in from the stored plan at submit time (:func:`complete_values`): ``apply_form``
reads a missing number or date as "cleared".

Discord cannot show an error next to a field, nor answer a modal with another modal.
So a rejected form is answered with a message listing each problem and a **Fix it**
button that reopens the page with what the person typed (kept a while in
:class:`Drafts`) and each problem as the field's description.

Modals are handled statelessly: their custom id names the page, and the submission is
read from the interaction itself, so a form opened before a restart still saves.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord

from adapters.discord import wording
from adapters.discord.identity import kind_code
from adapters.discord.markup import cut, plain
from coaching.forms import Field
from coaching.model import Owner, OwnerKind, Plan

MODAL_INPUTS = 5
TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
INPUT_LIMIT = 4000
ERROR_MARK = "⚠ "

FORM_MODAL = re.compile(r"coach:e:(?P<kind>[ut]):(?P<section>[a-z]+):(?P<page>[\w.]*)")
ANSWER_MODAL = re.compile(r"coach:r:(?P<kind>[ut])")
ANSWER_INPUT = "answer"


@dataclass(frozen=True, slots=True)
class FormPage:
    """``label`` names the page on its button, ``title`` on the modal."""

    key: str
    label: str
    title: str
    fields: tuple[Field, ...]


NEW_ITEM = "new"


def _item(field: Field) -> str:
    """``o1`` for ``o1.target``, ``new`` for ``new.objective``; purpose and priorities
    fields belong to no item."""
    return field.name.split(".", 1)[0] if "." in field.name else ""


def item_names(plan: Plan | None) -> dict[str, str]:
    """Objective and tactic ids → what a person calls them (the objective, the channel)."""
    if plan is None:
        return {}
    return {o.id: o.description for o in plan.objectives} | {t.id: t.label for t in plan.tactics}


def form_pages(fields: Sequence[Field], *, section: str, names: Mapping[str, str]) -> list[FormPage]:
    """The whole section on one page when it fits in a modal, else a page per item."""
    section_title = wording.SECTION_TITLES.get(section, section)
    if len(fields) <= MODAL_INPUTS:
        title = wording.EDIT_TITLE.format(title=section_title)
        return [FormPage("", section_title, title, tuple(fields))]
    items: dict[str, list[Field]] = {}
    for field in fields:
        items.setdefault(_item(field), []).append(field)
    pages: list[FormPage] = []
    for item, grouped in items.items():
        if item == NEW_ITEM:
            label = title = plain(grouped[0].label)
        else:
            label = names.get(item, item or section_title)
            title = wording.EDIT_TITLE.format(title=plain(label))
        chunks = [grouped[i : i + MODAL_INPUTS] for i in range(0, len(grouped), MODAL_INPUTS)]
        for n, chunk in enumerate(chunks):
            key = item if len(chunks) == 1 else f"{item}.{n}"
            pages.append(FormPage(key, label, title, tuple(chunk)))
    return pages


def find_page(pages: Sequence[FormPage], key: str) -> FormPage | None:
    return next((p for p in pages if p.key == key), None)


def form_modal_id(kind: OwnerKind, section: str, page: str) -> str:
    return f"coach:e:{kind_code(kind)}:{section}:{page}"


def answer_modal_id(kind: OwnerKind) -> str:
    return f"coach:r:{kind_code(kind)}"


def _input(field: Field, value: str) -> discord.ui.Item[discord.ui.Modal]:
    if field.options:
        return discord.ui.Select(
            custom_id=field.name,
            options=[discord.SelectOption(label=o, value=o, default=o == value) for o in field.options],
            required=not field.optional,
            min_values=0 if field.optional else 1,
        )
    return discord.ui.TextInput(
        custom_id=field.name,
        style=discord.TextStyle.paragraph if field.multiline else discord.TextStyle.short,
        default=value or None,
        required=not field.optional,
        max_length=INPUT_LIMIT,
    )


def page_modal(
    page: FormPage,
    *,
    custom_id: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> discord.ui.Modal:
    """The page as a modal, filled with ``values`` (what was typed) or the stored values."""
    modal = discord.ui.Modal(
        title=cut(page.title, TITLE_LIMIT),
        custom_id=custom_id,
        timeout=None,
    )
    for field in page.fields:
        value = (values or {}).get(field.name, field.value)
        problem = (errors or {}).get(field.name)
        description = ERROR_MARK + problem if problem else field.hint
        modal.add_item(
            discord.ui.Label(
                text=cut(plain(field.label), LABEL_LIMIT),
                description=cut(plain(description), DESCRIPTION_LIMIT) if description else None,
                component=_input(field, value),
            )
        )
    return modal


def answer_modal(kind: OwnerKind) -> discord.ui.Modal:
    modal = discord.ui.Modal(title=wording.ANSWER_TITLE, custom_id=answer_modal_id(kind), timeout=None)
    modal.add_item(
        discord.ui.Label(
            text=wording.ANSWER_LABEL,
            description=wording.ANSWER_HINT,
            component=discord.ui.TextInput(
                custom_id=ANSWER_INPUT, style=discord.TextStyle.paragraph, max_length=INPUT_LIMIT
            ),
        )
    )
    return modal


def submitted_values(components: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Field name → value from a modal submission (inputs inside labels or action rows)."""
    values: dict[str, str] = {}
    for component in components:
        if "components" in component:
            values |= submitted_values(component["components"])
        elif "component" in component:
            values |= submitted_values([component["component"]])
        elif "custom_id" in component:
            chosen = component.get("values")
            value = (chosen[0] if chosen else "") if chosen is not None else component.get("value")
            values[str(component["custom_id"])] = str(value or "")
    return values


def complete_values(fields: Sequence[Field], submitted: Mapping[str, str]) -> dict[str, str]:
    """Every field of the section: the page's submitted values, the rest as stored now."""
    return {field.name: submitted.get(field.name, field.value) for field in fields}


def error_lines(fields: Sequence[Field], errors: Mapping[str, str]) -> list[str]:
    labels = {field.name: plain(field.label) for field in fields}
    return [
        wording.FORM_ERROR_LINE.format(label=labels.get(name, name), error=problem)
        for name, problem in errors.items()
    ]


#: (plan owner, the person typing, section, page): two members fixing a team form keep
#: their own drafts.
DraftKey = tuple[Owner, int, str, str]


@dataclass(frozen=True, slots=True)
class Draft:
    values: Mapping[str, str]
    errors: Mapping[str, str]
    kept_at: datetime


class Drafts:
    """What a person typed into a rejected form, kept for **Fix it** for a while and at
    most ``limit`` of them (the oldest go first).

    In memory only: after a restart, or on another replica, **Fix it** opens the page
    with the stored values and the person types their change again.
    """

    def __init__(
        self, *, clock: Callable[[], datetime], ttl: timedelta = timedelta(minutes=30), limit: int = 10_000
    ) -> None:
        self._clock = clock
        self._ttl = ttl
        self._limit = limit
        self._drafts: OrderedDict[DraftKey, Draft] = OrderedDict()

    def keep(self, key: DraftKey, values: Mapping[str, str], errors: Mapping[str, str]) -> None:
        self._drafts.pop(key, None)
        self._expire(room=1)
        self._drafts[key] = Draft(dict(values), dict(errors), self._clock())

    def get(self, key: DraftKey) -> Draft | None:
        self._expire()
        return self._drafts.get(key)

    def drop(self, key: DraftKey) -> None:
        self._drafts.pop(key, None)

    def _expire(self, *, room: int = 0) -> None:
        oldest = self._clock() - self._ttl
        while self._drafts and (
            len(self._drafts) + room > self._limit or next(iter(self._drafts.values())).kept_at < oldest
        ):
            self._drafts.popitem(last=False)
