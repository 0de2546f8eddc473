from __future__ import annotations

import pytest

from coaching.model import Stage
from coaching.parsing import is_nothing, is_vague_audience, parse_stage, parse_verdict


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes!",
        "yep",
        "yeah",
        "sure",
        "ok",
        "OK.",
        "👍",
        "👍🏽",
        "✅",
        "definitely",
        "it is",
        "  YES  ",
        "yes, mostly",
        "I think so",
        "so far so good",
    ],
)
def test_yes(text: str) -> None:
    assert parse_verdict(text) == "yes"


@pytest.mark.parametrize(
    "text",
    [
        "somewhat",
        "kind of",
        "Sort of.",
        "partly",
        "a bit",
        "meh",
        "so-so",
        "🤷",
        "🤷‍♂️",
        "not bad",
        "mostly",
        "yes and no",
    ],
)
def test_somewhat(text: str) -> None:
    assert parse_verdict(text) == "somewhat"


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No.",
        "nope",
        "not really",
        "nah",
        "👎",
        "❌",
        "not at all",
        "it isn't",
        "it's not working",
        "not great",
    ],
)
def test_no(text: str) -> None:
    assert parse_verdict(text) == "no"


@pytest.mark.parametrize("text", ["", "   ", "not sure", "no idea", "dunno", "hmm", "Twitter", "?"])
def test_unclear_verdict(text: str) -> None:
    assert parse_verdict(text) is None


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("listen", Stage.LISTEN),
        ("listening", Stage.LISTEN),
        ("watching", Stage.LISTEN),
        ("lurking", Stage.LISTEN),
        ("participate", Stage.PARTICIPATE),
        ("participating", Stage.PARTICIPATE),
        ("taking part", Stage.PARTICIPATE),
        ("joining in", Stage.PARTICIPATE),
        ("replying", Stage.PARTICIPATE),
        ("engaging", Stage.PARTICIPATE),
        ("lead", Stage.LEAD),
        ("Leading", Stage.LEAD),
        ("hosting", Stage.LEAD),
        ("organising", Stage.LEAD),
        ("creating", Stage.LEAD),
        ("mostly lurking on Reddit", Stage.LISTEN),
    ],
)
def test_stage(text: str, stage: Stage) -> None:
    assert parse_stage(text) is stage


@pytest.mark.parametrize("text", ["", "Twitter", "not sure yet"])
def test_no_stage(text: str) -> None:
    assert parse_stage(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "everyone",
        "Everybody!",
        "anyone",
        "all",
        "the public",
        "people",
        "customers",
        "all ages",
        "the world",
        "anyone who buys",
        "anyone who buys our stuff",
    ],
)
def test_vague_audience(text: str) -> None:
    assert is_vague_audience(text)


@pytest.mark.parametrize(
    "text",
    [
        "indie game developers who ship on Steam",
        "our existing customers",
        "small bakeries in Leeds",
        "",
        "HR managers at mid-size firms",
    ],
)
def test_specific_audience(text: str) -> None:
    assert not is_vague_audience(text)


@pytest.mark.parametrize("text", ["nothing", "None", "no", "n/a", "N/A", "-", "—", "not now", "Nothing."])
def test_nothing(text: str) -> None:
    assert is_nothing(text)


@pytest.mark.parametrize("text", ["", "nothing for traffic", "Twitter", "no idea what to say here"])
def test_not_nothing(text: str) -> None:
    assert not is_nothing(text)
