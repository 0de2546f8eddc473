"""Understanding free-text answers without any external service.

Each module handles one kind of answer (channels, jobs, numbers, durations, dates,
short answers, objectives, tactic mixes). All are pure functions: the only I/O is
reading the packaged word lists once, so the engine can call them on every turn.
"""

from coaching.parsing._text import one_line
from coaching.parsing.answers import (
    Verdict,
    is_nothing,
    is_small_talk,
    is_unsure,
    is_vague_audience,
    parse_stage,
    parse_verdict,
)
from coaching.parsing.channels import ChannelMatch, match_channel
from coaching.parsing.dates import find_deadline, parse_deadline, parse_pause_end
from coaching.parsing.durations import find_duration, parse_hours_per_week
from coaching.parsing.jobs import JobMention, detect_job, find_jobs
from coaching.parsing.numbers import Quantity, find_quantities, parse_number
from coaching.parsing.objectives import ObjectiveDraft, parse_objective
from coaching.parsing.tactics import NothingFor, TacticDraft, TacticMix, parse_tactic_mix

__all__ = [
    "ChannelMatch",
    "JobMention",
    "NothingFor",
    "ObjectiveDraft",
    "Quantity",
    "TacticDraft",
    "TacticMix",
    "Verdict",
    "detect_job",
    "find_deadline",
    "find_duration",
    "find_jobs",
    "find_quantities",
    "is_nothing",
    "is_small_talk",
    "is_unsure",
    "is_vague_audience",
    "match_channel",
    "one_line",
    "parse_deadline",
    "parse_hours_per_week",
    "parse_number",
    "parse_objective",
    "parse_pause_end",
    "parse_stage",
    "parse_tactic_mix",
    "parse_verdict",
]
