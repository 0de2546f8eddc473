"""The ``/coach`` command group, and ``/coach team ...`` for a channel's team plan.

Discord cannot invoke a group by itself, so "no argument starts or resumes" (DESIGN.md)
is ``/coach start``. The team plan's commands are the same subcommands in a nested
group, so ``/coach team plan`` reads naturally and gets the same options and
autocomplete. The group is offered in servers and in the DM with the bot.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands

from adapters.discord import wording
from adapters.discord.interactions import Interactions
from coaching.forms import FORM_SECTIONS

AUTOCOMPLETE_LIMIT = 25
Interaction = discord.Interaction[Any]
Suggestions = list[app_commands.Choice[str]]


def _suggest(options: list[str], current: str) -> Suggestions:
    wanted = current.strip().casefold()
    starting = [o for o in options if o.casefold().startswith(wanted)]
    containing = [o for o in options if wanted in o.casefold() and o not in starting]
    return [app_commands.Choice(name=o, value=o) for o in (starting + containing)[:AUTOCOMPLETE_LIMIT]]


@cache
def _zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


async def section_choices(interaction: Interaction, current: str) -> Suggestions:
    return _suggest(list(FORM_SECTIONS), current)


async def weekday_choices(interaction: Interaction, current: str) -> Suggestions:
    return _suggest(list(wording.WEEKDAYS), current)


async def time_choices(interaction: Interaction, current: str) -> Suggestions:
    return _suggest([f"{hour:02d}:{minute:02d}" for hour in range(6, 22) for minute in (0, 30)], current)


async def zone_choices(interaction: Interaction, current: str) -> Suggestions:
    return _suggest(_zones(), current)


def _add_subcommands(group: app_commands.Group, handler: Interactions, *, team: bool) -> None:
    """Every subcommand of DESIGN.md; ``team`` says whose plan they act on."""
    describe = wording.COMMANDS

    @group.command(name="start", description=describe["start"])
    async def start(interaction: Interaction) -> None:
        await handler.command(interaction, team=team, command="")

    @group.command(name="plan", description=describe["plan"])
    async def plan(interaction: Interaction) -> None:
        await handler.plan(interaction, team=team)

    @group.command(name="checkin", description=describe["checkin"])
    async def checkin(interaction: Interaction) -> None:
        await handler.command(interaction, team=team, command="checkin")

    @group.command(name="edit", description=describe["edit"])
    @app_commands.describe(section=wording.PARAMETERS["section"])
    @app_commands.autocomplete(section=section_choices)
    async def edit(interaction: Interaction, section: str) -> None:
        await handler.edit(interaction, team=team, section=section)

    @group.command(name="schedule", description=describe["schedule"])
    @app_commands.describe(weekday=wording.PARAMETERS["weekday"], time=wording.PARAMETERS["time"])
    @app_commands.autocomplete(weekday=weekday_choices, time=time_choices)
    async def schedule(interaction: Interaction, weekday: str, time: str | None = None) -> None:
        await handler.command(interaction, team=team, command=f"schedule {weekday} {time or ''}".strip())

    @group.command(name="pause", description=describe["pause"])
    @app_commands.describe(until=wording.PARAMETERS["until"])
    async def pause(interaction: Interaction, until: str | None = None) -> None:
        await handler.command(interaction, team=team, command=f"pause until {until}" if until else "pause")

    @group.command(name="timezone", description=describe["timezone"])
    @app_commands.describe(zone=wording.PARAMETERS["zone"])
    @app_commands.autocomplete(zone=zone_choices)
    async def timezone(interaction: Interaction, zone: str) -> None:
        await handler.command(interaction, team=team, command=f"timezone {zone}")

    for name in ("resume", "export", "forget", "help"):
        group.add_command(_plain_command(name, handler, team=team))


def _plain_command(name: str, handler: Interactions, *, team: bool) -> app_commands.Command[Any, ..., None]:
    """A subcommand without options that the engine answers under its own name."""

    async def run(interaction: Interaction) -> None:
        await handler.command(interaction, team=team, command=name)

    return app_commands.Command(name=name, description=wording.COMMANDS[name], callback=run)


def coach_group(handler: Interactions) -> app_commands.Group:
    coach = app_commands.Group(
        name=wording.GROUP,
        description=wording.GROUP_DESCRIPTION,
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )
    _add_subcommands(coach, handler, team=False)
    team = app_commands.Group(name=wording.TEAM, description=wording.TEAM_DESCRIPTION, parent=coach)
    _add_subcommands(team, handler, team=True)
    return coach
