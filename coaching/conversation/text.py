"""Cleaning what people type before anything reads it."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from coaching.replies import Reply

MAX_ANSWER_CHARS = 2000
# Zero-width characters, bidirectional overrides and other invisible format marks:
# they carry no meaning in an answer and can disguise one.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\f\v]+")
_CHOICE_FUZZ = 88


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def resolve_choice(reply: Reply, text: str) -> str | None:
    """The value of the choice a typed answer names: its number, its label, or close to it."""
    if not reply.choices:
        return None
    answer = text.strip().rstrip(".!").strip().casefold()
    if answer.isdecimal():
        n = int(answer)
        return reply.choices[n - 1].id.rsplit("|", 1)[-1] if 0 < n <= len(reply.choices) else None
    values = [c.id.rsplit("|", 1)[-1] for c in reply.choices]
    labels = [c.label.casefold() for c in reply.choices]
    for value, label in zip(values, labels, strict=True):
        if answer in (label, value.casefold()):
            return value
    if len(answer) >= 3:
        starting = [v for v, label in zip(values, labels, strict=True) if label.startswith(answer)]
        if len(starting) == 1:
            return starting[0]
        for value, label in zip(values, labels, strict=True):
            if fuzz.ratio(answer, label) >= _CHOICE_FUZZ:
                return value
    return None
