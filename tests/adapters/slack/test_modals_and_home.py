"""Editing a section in a modal (errors shown inside it) and the App Home tab."""

from __future__ import annotations

import json
from typing import Any

from coaching.model import Owner
from tests.adapters.slack.conftest import SlackWorld
from tests.fakes.slack_app_api import decoded

OWNER = Owner(platform="slack", tenant="T1", subject="U1")


def submission(view: dict[str, Any], values: dict[str, str], *, user: str = "U1") -> dict[str, Any]:
    state = {
        block["block_id"]: {"value": {"type": "plain_text_input", "value": values.get(block["block_id"], "")}}
        for block in view["blocks"]
        if block["type"] == "input"
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1",
        "view": {**view, "id": "VMODAL", "team_id": "T1", "state": {"values": state}},
    }


async def open_purpose_modal(slack: SlackWorld) -> dict[str, Any]:
    status, _ = await slack.command("edit purpose")
    assert status == 200
    (opened,) = await slack.fake.wait_calls("views.open", 1)
    await slack.idle()
    assert opened.params["trigger_id"].startswith("trigger-")
    view: dict[str, Any] = decoded(opened, "view")
    return view


async def test_an_invalid_value_is_shown_as_an_error_inside_the_modal(slack: SlackWorld) -> None:
    await slack.make_plan()
    view = await open_purpose_modal(slack)
    assert view["type"] == "modal" and view["callback_id"] == "coach.edit"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["audience"]["element"]["initial_value"].startswith("People who build")

    status, body = await slack.interact(submission(view, {"audience": "everyone", "why": "because"}))

    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"audience"}
    plan = await slack.app.service.plan(OWNER)
    assert plan is not None and plan.purpose.audience is not None
    assert plan.purpose.audience.startswith("People who build"), "nothing stored"


async def test_a_valid_modal_saves_the_section_confirms_and_refreshes_home(slack: SlackWorld) -> None:
    await slack.make_plan()
    view = await open_purpose_modal(slack)
    values = {b["block_id"]: b["element"].get("initial_value") or "" for b in view["blocks"]}
    values["audience"] = "Indie developers who sell <@U0ADMIN> tools"

    status, body = await slack.interact(submission(view, values))
    assert status == 200 and body == ""
    await slack.fake.wait_calls("views.publish", 1)
    await slack.idle()

    plan = await slack.app.service.plan(OWNER)
    assert plan is not None and plan.purpose.audience == "Indie developers who sell <@U0ADMIN> tools"
    assert "Saved your purpose" in slack.fake.messages("D1")[-1].text
    home = decoded(slack.fake.calls("views.publish")[-1], "view")
    assert "Indie developers who sell &lt;@\u2060U0ADMIN&gt; tools" in home["blocks"][1]["text"]["text"]


async def test_someone_else_cannot_submit_a_personal_modal(slack: SlackWorld) -> None:
    await slack.make_plan()
    view = await open_purpose_modal(slack)
    status, body = await slack.interact(submission(view, {"audience": "Bakers"}, user="U2"))
    assert status == 200 and body == ""
    plan = await slack.app.service.plan(OWNER)
    assert plan is not None and plan.purpose.audience != "Bakers"


async def test_app_home_shows_the_plan_next_check_in_and_buttons(slack: SlackWorld) -> None:
    status, _ = await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert status == 200
    (empty,) = await slack.fake.wait_calls("views.publish", 1)
    assert decoded(empty, "view")["blocks"][-1]["elements"][0]["action_id"] == "coach.home.start"

    await slack.make_plan()
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    published = await slack.fake.wait_calls("views.publish", 2)
    await slack.idle()
    assert published[-1].params["user_id"] == "U1"
    view = decoded(published[-1], "view")
    texts = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert "*Purpose*" in texts and "*Next check-in:* every Monday at 09:00 (Europe/Berlin)" in texts
    actions = [e["action_id"] for e in view["blocks"][-1]["elements"]]
    assert actions[0] == "coach.home.checkin" and "coach.home.edit.tactics" in actions


async def test_home_buttons_check_in_in_the_dm_and_open_a_modal(slack: SlackWorld) -> None:
    await slack.make_plan()
    home = {"type": "view", "view_id": "VHOME"}
    base = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "container": home,
    }
    check_in = {
        "action_id": "coach.home.checkin",
        "type": "button",
        "text": {"type": "plain_text", "text": "Check in"},
    }
    asked = await slack.replies(
        slack.interact({**base, "trigger_id": "trigger-h1", "actions": [check_in]}), channel="D1"
    )
    assert any("Twitter" in m.text for m in asked)

    edit = {"action_id": "coach.home.edit.priorities", "type": "button", "value": "priorities"}
    await slack.interact({**base, "trigger_id": "trigger-h2", "actions": [edit]})
    (opened,) = await slack.fake.wait_calls("views.open", 1)
    await slack.idle()
    assert opened.params["trigger_id"] == "trigger-h2"
    assert [b["block_id"] for b in decoded(opened, "view")["blocks"]] == ["hours_per_week", "boundaries"]
