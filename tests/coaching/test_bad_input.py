"""Bad input gets a clear reply and never corrupts or loses what was stored."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching.document import plan_to_document
from coaching.markup import escape

from .harness import WORKED_EXAMPLE, Conversation, run_until

NASTY = [
    "",
    "   \n\t  ",
    "x" * 40_000,
    "🚀🔥💯 " * 50,
    "مرحبا، نحن نبيع القهوة للمقاهي الصغيرة",
    "\u200b\u200c\u200d\ufeff",
    "**bold** _it_ `code` > quote [link](http://x)",
    "<!channel> <!here> <@U123ABC> <#C0123|general>",
    "@everyone @here",
    "\x00\x01\x02",
    "'; DROP TABLE plans; --",
    "{placeholder} {answer} %s %d",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_nasty_answer_mid_conversation_keeps_earlier_answers(text: str) -> None:
    convo = Conversation()
    run_until(convo, "purpose.what", WORKED_EXAMPLE)
    before = plan_to_document(convo.plan)  # type: ignore[arg-type]
    reply = convo.say(text)
    assert reply.strip(), "always some reply"
    assert "Traceback" not in reply
    after = plan_to_document(convo.plan)  # type: ignore[arg-type]
    assert after["purpose"]["audience"] == before["purpose"]["audience"]
    assert after["purpose"]["why"] == before["purpose"]["why"]
    assert convo.step in ("purpose.what", "purpose.start_with")


def test_empty_answer_is_named_and_the_question_repeated() -> None:
    convo = Conversation()
    convo.start()
    reply = convo.say("   ")
    assert "didn't catch" in reply and "Who do you want to reach?" in reply
    assert convo.step == "purpose.audience"


def test_huge_answer_is_refused_kindly_and_nothing_is_lost() -> None:
    convo = Conversation()
    run_until(convo, "purpose.why", WORKED_EXAMPLE)
    reply = convo.say("y" * 40_000)
    assert "40,000 characters" in reply and "Nothing you told me before is lost" in reply
    assert convo.step == "purpose.why"
    assert convo.plan.purpose.audience == WORKED_EXAMPLE[0]  # type: ignore[union-attr]


def test_invisible_characters_are_dropped_from_stored_answers() -> None:
    convo = Conversation()
    convo.start()
    convo.say("Bake\u200bry own\u202eers")
    assert convo.plan.purpose.audience == "Bakery owners"  # type: ignore[union-attr]


def test_mentions_and_markup_are_escaped_in_replies() -> None:
    convo = Conversation()
    convo.start()
    convo.say("<!channel> @everyone **loud**")
    result = convo.command("plan")
    text = result.replies[0].text
    assert escape("<!channel> @everyone **loud**") in text
    assert "<!channel>" not in text and "**loud**" not in text


def test_right_to_left_answer_is_kept_as_typed() -> None:
    convo = Conversation()
    convo.start()
    convo.say("أصحاب المخابز الصغيرة")
    assert convo.plan.purpose.audience == "أصحاب المخابز الصغيرة"  # type: ignore[union-attr]


answers = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [*WORKED_EXAMPLE, "back", "skip", "why", "help", "plan", "edit tactics", "1", "2", "yes", "no"]
    ),
    st.sampled_from(NASTY),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(answers, max_size=25))
def test_no_sequence_of_messages_crashes_the_engine(messages: list[str]) -> None:
    convo = Conversation()
    convo.start()
    for message in messages:
        reply = convo.say(message)
        assert reply.strip()
        assert convo.state is not None
        if convo.step is not None:
            # Whatever happened, the current question can still be asked.
            assert convo.current_question() is not None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_no_answer_loses_a_stored_answer(text: str) -> None:
    convo = Conversation()
    run_until(convo, "priorities.hours", WORKED_EXAMPLE)
    before = plan_to_document(convo.plan)  # type: ignore[arg-type]
    convo.say(text)
    after = plan_to_document(convo.plan)  # type: ignore[arg-type]
    if text.strip().casefold() not in ("back", "/back", "forget", "/forget"):
        assert after["purpose"] == before["purpose"]
        assert after["objectives"] == before["objectives"]


def test_superscript_digit_is_not_taken_as_a_choice_number() -> None:
    convo = Conversation()
    run_until(convo, "purpose.confirm", WORKED_EXAMPLE)
    assert "didn't get that" in convo.say("¹")
    assert convo.step == "purpose.confirm"


@pytest.mark.parametrize("text", ["hello", "Hi there!", "thanks", "ok", "👋", "???"])
def test_small_talk_is_not_stored_as_an_answer(text: str) -> None:
    convo = Conversation()
    convo.start()
    reply = convo.say(text)
    assert "still on this question" in reply and "Who do you want to reach?" in reply
    assert convo.step == "purpose.audience"
    assert convo.plan is None or convo.plan.purpose.audience is None


@pytest.mark.parametrize("text", ["not sure", "I don't know", "idk", "no idea"])
def test_not_knowing_is_met_with_a_way_forward_not_stored(text: str) -> None:
    convo = Conversation()
    run_until(convo, "purpose.why", WORKED_EXAMPLE)
    reply = convo.say(text)
    assert "rough answer is enough" in reply and "skip" in reply
    assert convo.step == "purpose.why"
    assert convo.plan.purpose.why is None  # type: ignore[union-attr]
    convo.say("skip")
    assert convo.step == "purpose.what"
