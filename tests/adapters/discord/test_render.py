"""Replies as Discord messages: joined, split, with buttons in the right place."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.markup import plain, split
from adapters.discord.render import CONTENT_LIMIT, Outgoing, Surface, compose, plan_messages
from coaching.markup import escape
from coaching.replies import Attachment, Choice, Reply

YES_NO = (Choice("q||yes", "Yes"), Choice("q||no", "No"))


def test_text_runs_on_into_the_next_question_which_keeps_its_buttons() -> None:
    replies = [Reply("Got it."), Reply("Is **Twitter** working?", choices=YES_NO, kind="question")]
    assert compose(replies, surface=Surface.DM) == [
        Outgoing(content="Got it.\n\nIs **Twitter** working?", choices=YES_NO)
    ]


def test_a_question_outside_the_dm_gets_the_answer_button() -> None:
    [message] = compose([Reply("Who do you want to reach?", kind="question")], surface=Surface.CHANNEL)
    assert message.answer_button and message.interactive
    [info] = compose([Reply("Saved.")], surface=Surface.CHANNEL)
    assert not info.interactive


def test_a_summary_is_an_embed_with_its_files_and_the_question_after_it_a_message() -> None:
    files = (Attachment("plan.md", "text/markdown", b"# plan"),)
    replies = [
        Reply("Here it is:"),
        Reply("**Purpose**\n- Audience: makers", attachments=files, kind="summary"),
        Reply("Anything else?", kind="question"),
    ]
    assert compose(replies, surface=Surface.DM) == [
        Outgoing(content="Here it is:"),
        Outgoing(embed_text="**Purpose**\n- Audience: makers", attachments=files),
        Outgoing(content="Anything else?"),
    ]


def test_long_text_is_split_and_the_buttons_go_under_the_last_piece() -> None:
    long = "\n\n".join(f"Paragraph {n}: " + "word " * 60 for n in range(12))
    messages = compose([Reply(long, choices=YES_NO, kind="question")], surface=Surface.DM)
    assert len(messages) > 1
    assert all(len(m.content) <= CONTENT_LIMIT for m in messages)
    assert [m.choices for m in messages] == [()] * (len(messages) - 1) + [YES_NO]
    assert all(m.content.startswith("Paragraph") for m in messages), "split between paragraphs"


def test_the_plan_embed_carries_title_footer_and_chart() -> None:
    [message] = plan_messages("**Purpose**", title="Your plan", footer="Next check-in: Monday", chart=b"png")
    assert (message.embed_title, message.footer, message.image) == (
        "Your plan",
        "Next check-in: Monday",
        "progress.png",
    )
    assert message.attachments == (Attachment("progress.png", "image/png", b"png", title="Progress"),)
    [bare] = plan_messages("**Purpose**", title="Your plan", footer="", chart=None)
    assert bare.image is None and bare.attachments == ()


@given(st.text(min_size=1, max_size=3000), st.integers(min_value=20, max_value=500))
def test_split_respects_the_limit_and_never_breaks_an_escape(text: str, limit: int) -> None:
    escaped = escape(text)
    pieces = split(escaped, limit)
    assert all(len(p) <= limit for p in pieces)
    for piece in pieces:
        trailing = len(piece) - len(piece.rstrip("\\"))
        assert trailing % 2 == 0, piece


def test_plain_drops_markup_and_escapes_and_cuts() -> None:
    assert plain(r"**Yes**, _really_ \@everyone") == "Yes, really @everyone"
    assert plain("x" * 100, 80) == "x" * 79 + "…"
