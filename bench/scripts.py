"""Scripted conversations the turn benchmark replays, one owner each.

Every script starts the way an adapter does (``command=""``) and then sends what a
person would: typed text, a command, or a click on a button of the latest question.
``ends_at`` is the step the conversation must stand at after the last turn; the
benchmark checks it, so a script that drifts out of step with the engine fails loudly
instead of quietly timing "Sorry, I didn't get that" over and over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.coaching.harness import PURPOSE_ANSWERS, WORKED_EXAMPLE

StepKind = Literal["text", "command", "click"]


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    value: str

    def describe(self) -> str:
        shown = self.value if len(self.value) <= 40 else f"{self.value[:30]}… ({len(self.value):,} chars)"
        return f"{self.kind} {shown!r}"


@dataclass(frozen=True, slots=True)
class Script:
    name: str
    steps: tuple[Step, ...]
    ends_at: str | None = None


def say(value: str) -> Step:
    return Step("text", value)


def click(label: str) -> Step:
    """Press the button with this label on the latest message that had buttons."""
    return Step("click", label)


def command(value: str) -> Step:
    return Step("command", value)


def script(name: str, *steps: Step, ends_at: str | None = None) -> Script:
    return Script(name=name, steps=(command(""), *steps), ends_at=ends_at)


HUGE = "x" * 40_000
EMOJI = "🚀🔥💯 " * 50
#: Just under the engine's 2,000-character limit, so it is parsed rather than refused.
LONG = "no weekends, nothing after 6pm, no TikTok dances, " * 38

WORKED = script("worked-example", *(say(line) for line in WORKED_EXAMPLE))

CONTROLS = script(
    "controls",
    say("everyone"),
    say("why"),
    say("help"),
    say("Indie game developers shipping on Steam"),
    say("We know their engines"),
    say("back"),
    say("skip"),
    say("Tips on shipping faster"),
    say("plan"),
    say("Our Discord regulars"),
    click("Yes, continue"),
    say("More people asking for help on our forum"),
    say("hmm, lots"),
    say("200 a month"),
    say("about 120"),
    say("sometime"),
    say("in 3 months"),
    click("That's all"),
    say("forget"),
    click("No, keep it"),
    say("yes"),
    say("4 hours a week"),
    say("skip"),
    say("back"),
    say("no weekends"),
    say("yes"),
    say("Discord for support 2h a week, Reddit for support 1h"),
    say("why"),
    click("Taking part"),
    click("Listening"),
    say("plan"),
    say("yes"),
    say("edit purpose"),
    say("skip"),
    say("Straight answers from fellow developers"),
    say("skip"),
    say("skip"),
    say("yes"),
    say("edit"),
    click("Tactics"),
    click("Keep these"),
    command("export"),
    say("hello again"),
)

TACTIC_CHECKS = script(
    "tactic-checks",
    *(say(line) for line in PURPOSE_ANSWERS),
    say("Grow email sales from 20 to 50 a month by June"),
    say("add"),
    say("Answer 90% of support questions within a day by end of Q2, now 60%"),
    say("done"),
    say("yes"),
    say("1 2"),
    say("6 hours a week"),
    say("none"),
    say("yes"),
    say("Twitter for sales 1h, email for sales 1h, linkedin for sales 1h, youtube for sales 1h"),
    click("Keep Twitter"),
    click("Taking part"),
    click("Taking part"),
    click("Listening"),
    click("Taking part"),
    say("1 2 3"),
    say("Reddit 1h a week"),
    click("Listening"),
    say("yes"),
    say("edit tactics"),
    click("Add one"),
    say("X for sales, 1h a week"),
    say("2 4"),
    say("yes"),
)

BAD_INPUT = script(
    "bad-input",
    say("   \n\t  "),
    say(HUGE),
    say("Bake\u200bry own\u202eers who sell at markets 🥐"),
    say("<!channel> <!here> <@U123ABC> @everyone **we know ovens**"),
    say(EMOJI),
    say("'; DROP TABLE plans; --"),
    say("مرحبا، نحن نبيع القهوة للمقاهي الصغيرة"),
    say("\x00\x01\x02"),
    say("yes"),
    say("{placeholder} {answer} %s %d"),
    click("Traffic & sales"),
    say("50 a month 🚀"),
    say("don't know"),
    say("by June"),
    say("done"),
    say("yes"),
    say("🕐🕑 3 hours a week"),
    say(LONG),
    say("yes"),
    say("Instagram 1h a week 📸"),
    say("1"),
    click("Taking part"),
    say("yes"),
)

SCRIPTS: tuple[Script, ...] = (WORKED, CONTROLS, TACTIC_CHECKS, BAD_INPUT)
