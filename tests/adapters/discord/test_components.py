"""Custom ids of the persistent items: what they carry, and that they fit Discord's limits."""

from __future__ import annotations

import pytest

from adapters.discord.components import MAX_BUTTONS, ChoiceButton, reply_view, tag_of
from adapters.discord.render import Outgoing
from adapters.discord.sender import nudge_tag
from coaching.replies import Choice

TAG = nudge_tag("discord/dm/1/checkin/2026-11-30T08:00:00Z")
VERDICT = Choice("checkin.verdict|t2@2026-W50|somewhat", "Somewhat")


def components(message: Outgoing, *, tag: str = "") -> list[dict[str, object]]:
    view = reply_view(message, kind="user", tag=tag)
    assert view is not None
    return [c for row in view.to_components() for c in row["components"]]


def test_a_button_carries_the_choice_the_kind_of_plan_and_the_nudge_tag() -> None:
    [button] = components(Outgoing(content="?", choices=(VERDICT,)), tag=TAG)
    assert button["custom_id"] == f"coach:c:u:{TAG}:checkin.verdict|t2@2026-W50|somewhat"
    assert button["label"] == "Somewhat"
    assert tag_of(str(button["custom_id"])) == TAG
    assert len(TAG) == 20


def test_more_choices_than_a_row_holds_become_a_menu_and_the_answer_button_its_own_row() -> None:
    choices = tuple(Choice(f"q||{n}", f"Option {n}") for n in range(MAX_BUTTONS + 1))
    view = reply_view(Outgoing(content="?", choices=choices, answer_button=True), kind="team")
    assert view is not None
    rows = view.to_components()
    [menu] = rows[0]["components"]
    assert menu["type"] == 3 and menu["custom_id"] == "coach:m:t::0"
    assert [o["value"] for o in menu["options"]] == [c.id for c in choices]
    assert rows[1]["components"][0]["custom_id"] == "coach:a:t:"


def test_no_view_without_choices_or_answer_button() -> None:
    assert reply_view(Outgoing(content="Saved."), kind="user") is None


def test_a_tag_that_would_not_fit_is_left_out_and_an_id_that_cannot_fit_is_refused() -> None:
    long = Choice("x" * 75, "Long")
    [button] = components(Outgoing(content="?", choices=(long,)), tag=TAG)
    assert button["custom_id"] == "coach:c:u::" + "x" * 75
    with pytest.raises(ValueError, match="custom id"):
        ChoiceButton(kind="user", choice=Choice("x" * 95, "Too long"))


def test_tag_of_ignores_other_ids() -> None:
    assert tag_of("coach:f:u:objectives:o1") is None
    assert tag_of("someone-elses-button") is None
    assert tag_of("coach:c:u::q||yes") is None
