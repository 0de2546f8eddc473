"""Everything a person does through Discord's interactions: slash commands, clicks, typed answers.

Discord wants an answer to every interaction within three seconds. Whatever runs a turn
or renders a chart is deferred first (the person sees "thinking…") and answered with
follow-ups. Forms are :mod:`adapters.discord.editing`'s; where answers go is decided in
:mod:`adapters.discord.replying`. Deleting a team plan needs the Manage Channels
permission, and its confirmation is shown only to the person who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord import wording
from adapters.discord.delivery import NO_MENTIONS, FollowupPoster, deliver
from adapters.discord.editing import Editing
from adapters.discord.forms import (
    ANSWER_INPUT,
    ANSWER_MODAL,
    FORM_MODAL,
    answer_modal,
    submitted_values,
)
from adapters.discord.identity import kind_of
from adapters.discord.render import answered, compose, plan_messages
from adapters.discord.replying import Interaction, Where, answering, mention, say, where, where_or_explain
from adapters.discord.turns import Turns
from adapters.inflight import InFlight
from adapters.ports import Coaching
from coaching.markup import escape
from coaching.model import OwnerKind
from coaching.replies import Reply


class Interactions:
    def __init__(self, *, service: Coaching, turns: Turns, inflight: InFlight, editing: Editing) -> None:
        self.service = service
        self.turns = turns
        self.inflight = inflight
        self.editing = editing

    # -- slash commands ----------------------------------------------------------------

    async def command(self, interaction: Interaction, *, team: bool, command: str) -> None:
        """A subcommand the engine answers (start, checkin, schedule, pause, ...)."""
        async with answering(self.inflight, interaction):
            at = await where_or_explain(interaction, team=team)
            if at is None:
                return
            ephemeral = at.ephemeral
            if team and command == "forget":
                if not interaction.permissions.manage_channels:
                    await say(interaction, wording.FORGET_TEAM_NEEDS_PERMISSION)
                    return
                ephemeral = True
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            outcome = await self.turns.run(
                at.owner, actor=interaction.user.id, event_id=interaction.id, command=command
            )
            if not outcome.duplicate:
                await self._follow_up(interaction, at, outcome.replies, ephemeral=ephemeral)

    async def plan(self, interaction: Interaction, *, team: bool) -> None:
        """The plan as an embed with the progress chart (rendering it can take a moment)."""
        async with answering(self.inflight, interaction):
            at = await where_or_explain(interaction, team=team)
            if at is None:
                return
            await interaction.response.defer(ephemeral=at.ephemeral, thinking=True)
            overview = await self.service.overview(at.owner, now=self.turns.clock())
            if overview.plan is None:
                outcome = await self.turns.run(
                    at.owner, actor=interaction.user.id, event_id=interaction.id, command="plan"
                )
                await self._follow_up(interaction, at, outcome.replies, ephemeral=at.ephemeral)
                return
            footer = (
                wording.PLAN_NEXT.format(schedule=overview.schedule)
                if overview.schedule
                else wording.PLAN_UNSCHEDULED
            )
            messages = plan_messages(
                overview.markdown,
                title=wording.PLAN_TITLE[at.owner.kind],
                footer=footer,
                chart=overview.chart,
            )
            await deliver(FollowupPoster(interaction, ephemeral=at.ephemeral), messages, kind=at.owner.kind)

    async def edit(self, interaction: Interaction, *, team: bool, section: str) -> None:
        await self.editing.edit(interaction, team=team, section=section)

    # -- components (persistent: see adapters.discord.components) ------------------------

    async def on_choice(
        self, interaction: Interaction, *, kind: OwnerKind, choice_id: str, label: str
    ) -> None:
        """A button or menu choice: the answer is taken and the question shows who chose what."""
        async with answering(self.inflight, interaction):
            at = where(interaction, kind=kind)
            if at is None:
                return
            await interaction.response.defer()
            outcome = await self.turns.run(
                at.owner, actor=interaction.user.id, event_id=interaction.id, choice=choice_id
            )
            if outcome.duplicate:
                return
            message = interaction.message
            ephemeral = bool(message and message.flags.ephemeral)
            if (
                message is not None
                and outcome.accepted
                and not any(r.kind == "error" for r in outcome.replies)
            ):
                line = wording.ANSWERED.format(who=mention(interaction.user.id), label=escape(label))
                await interaction.edit_original_response(
                    content=answered(message.content, line), view=None, allowed_mentions=NO_MENTIONS
                )
            await self._follow_up(interaction, at, outcome.replies, ephemeral=ephemeral)

    async def on_answer_button(self, interaction: Interaction, *, kind: OwnerKind) -> None:
        async with answering(self.inflight, interaction):
            modal = answer_modal(kind)
            await interaction.response.send_modal(modal)
            modal.stop()  # submissions are handled by custom id (on_modal_submit), not by this object

    async def on_form_button(
        self, interaction: Interaction, *, kind: OwnerKind, section: str, page: str
    ) -> None:
        await self.editing.open_page(interaction, kind=kind, section=section, page=page)

    # -- modals --------------------------------------------------------------------------

    async def on_modal_submit(self, interaction: Interaction) -> None:
        """Every modal the coach opens, recognised by its custom id, so one opened before a
        restart (or on another replica) is taken all the same."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        values = submitted_values(data.get("components", []))
        if matched := ANSWER_MODAL.fullmatch(custom_id):
            await self._typed_answer(interaction, kind_of(matched["kind"]), values.get(ANSWER_INPUT, ""))
        elif matched := FORM_MODAL.fullmatch(custom_id):
            await self.editing.save(
                interaction,
                kind=kind_of(matched["kind"]),
                section=matched["section"],
                page=matched["page"],
                submitted=values,
            )

    async def _typed_answer(self, interaction: Interaction, kind: OwnerKind, text: str) -> None:
        async with answering(self.inflight, interaction):
            at = where(interaction, kind=kind)
            if at is None:
                return
            await interaction.response.defer(ephemeral=at.ephemeral, thinking=True)
            outcome = await self.turns.run(
                at.owner, actor=interaction.user.id, event_id=interaction.id, text=text
            )
            if outcome.duplicate:
                return
            replies: Sequence[Reply] = outcome.replies
            if kind == "team":  # the team sees what was answered, not only the coach's reply
                echo = wording.ANSWER_ECHO.format(who=mention(interaction.user.id), text=escape(text))
                replies = (Reply(text=echo), *replies)
            await self._follow_up(interaction, at, replies, ephemeral=at.ephemeral)

    # -- shared --------------------------------------------------------------------------

    async def _follow_up(
        self, interaction: Interaction, at: Where, replies: Sequence[Reply], *, ephemeral: bool
    ) -> None:
        messages = compose(replies, surface=at.surface)
        if not messages:
            if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
                await interaction.delete_original_response()
            return
        await deliver(FollowupPoster(interaction, ephemeral=ephemeral), messages, kind=at.owner.kind)
