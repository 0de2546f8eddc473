"""Block Kit within Slack's limits: messages match slack_sdk's validating models, views are validated."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from adapters.slack.blocks import (
    CHOICE_ACTION,
    FormTarget,
    answered_message,
    choice_action_id,
    chunks,
    edit_modal,
    form_values,
    home_view,
    reply_message,
)
from adapters.slack.mrkdwn import to_mrkdwn, to_plain
from coaching.forms import form_fields
from coaching.markup import escape
from coaching.model import Owner, OwnerKind, Plan
from coaching.replies import Choice, Reply

OWNER = Owner(platform="slack", tenant="T1", subject="U1")


def test_choices_become_buttons_carrying_the_choice_id() -> None:
    reply = Reply(
        text="Is **Twitter** still serving your support goal?",
        choices=(
            Choice("checkin.verdict|t1@2026-W49|yes", "Yes"),
            Choice("checkin.verdict|t1@2026-W49|no", "No"),
        ),
        kind="question",
    )
    message = reply_message(reply, kind="team")
    section, actions = message.blocks
    assert section["text"] == {
        "type": "mrkdwn",
        "text": "Is *Twitter* still serving your support goal?",
        "verbatim": True,
    }
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("coach.choice.team.0", "checkin.verdict|t1@2026-W49|yes", "Yes"),
        ("coach.choice.team.1", "checkin.verdict|t1@2026-W49|no", "No"),
    ]
    assert all(CHOICE_ACTION.match(e["action_id"]) for e in actions["elements"])


def test_many_choices_are_spread_over_actions_blocks_of_25() -> None:
    reply = Reply(text="Pick", choices=tuple(Choice(f"s||{i}", f"Option {i}") for i in range(30)))
    blocks = reply_message(reply, kind="user").blocks
    assert [len(b["elements"]) for b in blocks if b["type"] == "actions"] == [25, 5]


def test_long_text_is_split_into_sections_slack_accepts() -> None:
    text = "\n".join(escape("<&>") * 100 for _ in range(20))
    message = reply_message(Reply(text=text), kind="user")
    assert len(message.blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks)
    assert "".join(chunks("a&amp;b" * 1000, 3000)) == "a&amp;b" * 1000


def test_answered_message_keeps_the_question_and_shows_who_chose_what() -> None:
    asked = reply_message(Reply(text="Still serving?", choices=(Choice("a||yes", "Yes"),)), kind="user")
    answered = answered_message(asked.blocks, user_id="U42", label="Yes <!here>")
    assert [b["type"] for b in answered.blocks] == ["section", "context"]
    assert answered.blocks[1]["elements"][0]["text"] == "<@U42> chose *Yes &lt;!here&gt;*"


def test_home_view_without_a_plan_offers_to_start() -> None:
    view = home_view(markdown=None, schedule=None)
    assert view["type"] == "home"
    assert view["blocks"][-1]["elements"][0]["action_id"] == "coach.home.start"


def test_home_view_with_a_plan_has_check_in_and_edit_buttons() -> None:
    view = home_view(markdown="**Purpose**\n- Audience: makers", schedule="every Monday at 09:00 (UTC)")
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert texts == ["*Purpose*\n• Audience: makers", "*Next check-in:* every Monday at 09:00 (UTC)"]
    ids = [e["action_id"] for e in view["blocks"][-1]["elements"]]
    assert ids == [
        "coach.home.checkin",
        *(f"coach.home.edit.{s}" for s in ("purpose", "objectives", "priorities", "tactics")),
    ]


def test_edit_modal_has_one_input_per_field_and_round_trips_its_target() -> None:
    target = FormTarget(tenant="T1", subject="U1", kind="user", section="purpose", channel=None)
    fields = form_fields(Plan(owner=OWNER), "purpose")
    view = edit_modal(target, fields)
    assert [b["block_id"] for b in view["blocks"]] == [f.name for f in fields]
    assert FormTarget.load(view["private_metadata"]) == target
    assert FormTarget.load("not json") is None


def test_submitted_values_are_read_from_text_inputs_and_selects() -> None:
    state = {
        "audience": {"value": {"type": "plain_text_input", "value": "makers"}},
        "why": {"value": {"type": "plain_text_input", "value": None}},
        "t1.stage": {"value": {"type": "static_select", "selected_option": {"value": "lead"}}},
        "t1.keep": {"value": {"type": "static_select", "selected_option": None}},
    }
    assert form_values(state) == {"audience": "makers", "why": "", "t1.stage": "lead", "t1.keep": ""}


def validated(reply: Reply, kind: OwnerKind, note: str | None) -> list[dict[str, Any]]:
    """The same message through slack_sdk's validating models: the reference for the fast builder."""
    text = to_mrkdwn(reply.text)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=piece, verbatim=True)) for piece in chunks(text)
    ]
    buttons = [
        ButtonElement(text=to_plain(c.label, limit=75), action_id=choice_action_id(kind, i), value=c.id)
        for i, c in enumerate(reply.choices)
    ]
    blocks += [ActionsBlock(elements=buttons[i : i + 25]) for i in range(0, len(buttons), 25)]
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=to_mrkdwn(note), verbatim=True)]))
    return [block.to_dict() for block in blocks]


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(min_size=1, max_size=7000),
    labels=st.lists(st.text(min_size=1, max_size=120).filter(str.strip), max_size=30),
    kind=st.sampled_from(["user", "team"]),
    note=st.none() | st.text(min_size=1, max_size=300),
)
def test_messages_are_exactly_what_the_validating_models_build(
    text: str, labels: list[str], kind: OwnerKind, note: str | None
) -> None:
    reply = Reply(text=text, choices=tuple(Choice(id=f"c{i}", label=label) for i, label in enumerate(labels)))
    assert reply_message(reply, kind=kind, note=note).blocks == validated(reply, kind, note)


def test_a_button_value_slack_would_refuse_fails_here() -> None:
    with pytest.raises(ValueError, match="button value"):
        reply_message(Reply(text="Pick", choices=(Choice(id="x" * 2001, label="X"),)), kind="user")
