"""Light markup → mrkdwn, and nothing a person typed can ping or format."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.mrkdwn import WORD_JOINER, ZERO_WIDTH_SPACE, mention, to_mrkdwn, to_plain
from coaching.markup import escape


def test_bold_italic_and_bullets_become_mrkdwn() -> None:
    assert to_mrkdwn("**Purpose**\n- _who_: makers\n- why") == "*Purpose*\n• _who_: makers\n• why"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U024BE7LH>", f"&lt;@{WORD_JOINER}U024BE7LH&gt;"),
        ("<#C123|general>", "&lt;#C123|general&gt;"),
        ("@here and @channel", f"@{WORD_JOINER}here and @{WORD_JOINER}channel"),
        ("fish & chips", "fish &amp; chips"),
    ],
)
def test_mentions_typed_by_a_person_are_inert(typed: str, expected: str) -> None:
    assert to_mrkdwn(escape(typed)) == expected


def test_formatting_typed_by_a_person_cannot_open_bold_or_italic() -> None:
    rendered = to_mrkdwn(f"**Audience:** {escape('*everyone* _really_ ~all~ `x`')}")
    assert rendered.startswith("*Audience:* ")
    for char in "*_~`":
        for match in re.finditer(re.escape(char), rendered[len("*Audience:* ") :]):
            assert rendered[len("*Audience:* ") + match.start() - 1] == ZERO_WIDTH_SPACE


@given(st.text(max_size=200))
def test_no_escaped_text_can_form_a_control_sequence(typed: str) -> None:
    rendered = to_mrkdwn(f"**Q:** {escape(typed)}")
    assert "<" not in rendered and ">" not in rendered
    assert re.search(r"&(?!amp;|lt;|gt;)", rendered) is None


def test_plain_text_drops_markup_and_escapes_and_cuts_with_an_ellipsis() -> None:
    assert to_plain("**Yes**, _" + escape("<me>") + "_") == "Yes, <me>"
    assert to_plain("x" * 80, limit=75) == "x" * 74 + "…"


def test_mention_only_takes_slack_user_ids() -> None:
    assert mention("U024BE7LH") == "<@U024BE7LH>"
    with pytest.raises(ValueError, match="not a Slack user id"):
        mention("!channel")
