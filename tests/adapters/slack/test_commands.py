"""Reading ``/coach ...``: the engine's commands pass through; ``team`` and ``edit <section>`` are Slack's."""

from __future__ import annotations

import pytest

from adapters.slack.commands import SlashCommand, parse_slash_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SlashCommand(command="")),
        ("  ", SlashCommand(command="")),
        ("plan", SlashCommand(command="plan")),
        ("checkin", SlashCommand(command="checkin")),
        ("schedule friday   08:30", SlashCommand(command="schedule friday 08:30")),
        ("pause until 2027-01-04", SlashCommand(command="pause until 2027-01-04")),
        ("resume", SlashCommand(command="resume")),
        ("export", SlashCommand(command="export")),
        ("forget", SlashCommand(command="forget")),
        ("help", SlashCommand(command="help")),
        ("edit", SlashCommand(command="edit")),
        ("edit purpose", SlashCommand(command="edit purpose", edit_section="purpose")),
        ("edit obj", SlashCommand(command="edit obj", edit_section="objectives")),
        ("edit nonsense", SlashCommand(command="edit nonsense")),
        ("team", SlashCommand(command="", team=True)),
        ("Team plan", SlashCommand(command="plan", team=True)),
        ("team edit tactics", SlashCommand(command="edit tactics", team=True, edit_section="tactics")),
    ],
)
def test_slash_command_text(text: str, expected: SlashCommand) -> None:
    assert parse_slash_command(text) == expected
