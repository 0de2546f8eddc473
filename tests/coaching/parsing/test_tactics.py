from __future__ import annotations

from coaching.knowledge import Knowledge
from coaching.model import Job, Stage
from coaching.parsing import TacticMix, parse_tactic_mix


def _summary(mix: TacticMix) -> list[tuple[str | None, str, Job | None, str | None]]:
    return [(t.channel.key, t.channel.label, t.job, t.job_wording) for t in mix.tactics]


def test_the_methods_worked_example(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix(
        "email for sales, Twitter for support, drinks with industry friends for trends, "
        "nothing for traffic (YouTube and SlideShare if it ever mattered)",
        knowledge=knowledge,
    )
    assert _summary(mix) == [
        ("email", "Email", Job.TRAFFIC, "sales"),
        ("twitter", "Twitter", Job.SUPPORT, "support"),
        (None, "drinks with industry friends", Job.TRENDS, "trends"),
    ]
    assert len(mix.nothing_for) == 1
    nothing = mix.nothing_for[0]
    assert (nothing.job, nothing.wording) == (Job.TRAFFIC, "traffic")
    assert [c.key for c in nothing.would_use] == ["youtube", "slideshare"]


def test_the_original_wording_of_the_example(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix(
        "I use email for sales, Twitter for customer support, drinking with industry friends "
        "for trend-watching, and nothing for traffic (it's not meaningful to the current "
        "business, though if it was, I'd use YouTube and SlideShare). We're not on Facebook or "
        "LinkedIn or anything else because they don't really do anything for us.",
        knowledge=knowledge,
    )
    assert [(t.channel.key, t.job) for t in mix.tactics] == [
        ("email", Job.TRAFFIC),
        ("twitter", Job.SUPPORT),
        (None, Job.TRENDS),
    ]
    assert [(n.job, [c.key for c in n.would_use]) for n in mix.nothing_for] == [
        (Job.TRAFFIC, ["youtube", "slideshare"])
    ]


def test_hours_are_cut_out_of_the_channel(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("X for support 2h a week", knowledge=knowledge)
    assert len(mix.tactics) == 1
    tactic = mix.tactics[0]
    assert (tactic.channel.key, tactic.job, tactic.hours_per_week) == ("twitter", Job.SUPPORT, 2)
    assert tactic.raw == "X for support 2h a week"


def test_two_channels_share_one_job(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("IG and FB for community", knowledge=knowledge)
    assert [(t.channel.key, t.job) for t in mix.tactics] == [
        ("instagram", Job.COMMUNITY),
        ("facebook", Job.COMMUNITY),
    ]


def test_job_first_form(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("support: twitter; sales: email", knowledge=knowledge)
    assert _summary(mix) == [
        ("twitter", "Twitter", Job.SUPPORT, "support"),
        ("email", "Email", Job.TRAFFIC, "sales"),
    ]


def test_hours_in_brackets(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("newsletter (1h/week) for sales", knowledge=knowledge)
    assert [(t.channel.key, t.job, t.hours_per_week) for t in mix.tactics] == [("email", Job.TRAFFIC, 1)]


def test_channel_without_a_job(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("Instagram", knowledge=knowledge)
    assert [(t.channel.key, t.job) for t in mix.tactics] == [("instagram", None)]
    assert mix.nothing_for == ()


def test_no_job_forms(knowledge: Knowledge) -> None:
    for text, job, wording in [
        ("no traffic", Job.TRAFFIC, "traffic"),
        ("nothing for community", Job.COMMUNITY, "community"),
        ("trends: none", Job.TRENDS, "trends"),
    ]:
        mix = parse_tactic_mix(text, knowledge=knowledge)
        assert mix.tactics == ()
        assert [(n.job, n.wording, n.would_use) for n in mix.nothing_for] == [(job, wording, ())]


def test_bullets_and_new_lines(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix(
        "- Twitter for support\n- email for sales\n"
        "* listening on Reddit for trends\n1. Discord for community",
        knowledge=knowledge,
    )
    assert [(t.channel.key, t.job, t.stage) for t in mix.tactics] == [
        ("twitter", Job.SUPPORT, None),
        ("email", Job.TRAFFIC, None),
        ("reddit", Job.TRENDS, Stage.LISTEN),
        ("discord", Job.COMMUNITY, None),
    ]


def test_stage_words_are_not_part_of_the_channel(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("hosting meetups for community 3 hours a week", knowledge=knowledge)
    tactic = mix.tactics[0]
    assert (tactic.channel.key, tactic.job, tactic.stage, tactic.hours_per_week) == (
        "events",
        Job.COMMUNITY,
        Stage.LEAD,
        3,
    )


def test_and_inside_the_would_use_brackets_is_not_a_separator(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix(
        "Twitter for support and nothing for traffic (YouTube and SlideShare)", knowledge=knowledge
    )
    assert [t.channel.key for t in mix.tactics] == ["twitter"]
    assert [c.key for c in mix.nothing_for[0].would_use] == ["youtube", "slideshare"]


def test_would_use_after_a_comma(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix(
        "nothing for traffic, though if it mattered I'd use YouTube and SlideShare",
        knowledge=knowledge,
    )
    assert mix.tactics == ()
    assert [c.key for c in mix.nothing_for[0].would_use] == ["youtube", "slideshare"]


def test_channels_not_used_are_not_tactics(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("Twitter for support. Not on Facebook or LinkedIn.", knowledge=knowledge)
    assert [t.channel.key for t in mix.tactics] == ["twitter"]


def test_one_channel_for_two_jobs(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("Twitter for support and trends", knowledge=knowledge)
    assert [(t.channel.key, t.job) for t in mix.tactics] == [
        ("twitter", Job.SUPPORT),
        ("twitter", Job.TRENDS),
    ]


def test_channel_name_containing_a_job_word(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("community forum for support", knowledge=knowledge)
    assert [(t.channel.key, t.job) for t in mix.tactics] == [("forum", Job.SUPPORT)]


def test_job_words_around_the_channel(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("answering questions on Twitter 30 min a day", knowledge=knowledge)
    tactic = mix.tactics[0]
    assert (tactic.channel.key, tactic.job, tactic.stage, tactic.hours_per_week) == (
        "twitter",
        Job.SUPPORT,
        Stage.PARTICIPATE,
        2.5,
    )


def test_arrows_and_dashes(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("Twitter - support\nEmail -> sales", knowledge=knowledge)
    assert [(t.channel.key, t.job) for t in mix.tactics] == [
        ("twitter", Job.SUPPORT),
        ("email", Job.TRAFFIC),
    ]


def test_duplicates_are_merged(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("email for traffic & sales", knowledge=knowledge)
    assert [(t.channel.key, t.job, t.job_wording) for t in mix.tactics] == [("email", Job.TRAFFIC, "traffic")]


def test_chatter_is_ignored(knowledge: Knowledge) -> None:
    assert parse_tactic_mix("thanks!", knowledge=knowledge) == TacticMix((), ())
    assert parse_tactic_mix("", knowledge=knowledge) == TacticMix((), ())


def test_a_clause_with_only_a_time_belongs_to_the_tactic_before(knowledge: Knowledge) -> None:
    mix = parse_tactic_mix("Twitter for sales, 1h a week; email for support", knowledge=knowledge)
    assert [(t.channel.key, t.hours_per_week) for t in mix.tactics] == [("twitter", 1.0), ("email", None)]
