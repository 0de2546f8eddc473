"""Everything a person does through Discord's interactions: slash commands, clicks, forms.

Discord wants an answer to every interaction within three seconds. Whatever runs a turn
or renders a chart is deferred first (the person sees "thinking…") and answered with
follow-ups; a form is the one answer that cannot wait behind a defer, so opening one
does a single read and responds with the modal straight away.

Where answers go:
- a personal plan in a server channel: only to that person (ephemeral);
- a personal plan in the DM with the bot: the DM, where the conversation goes on;
- a team plan (``/coach team ...``): the channel, for everyone, since any member may
  answer; deleting a team plan needs the Manage Channels permission and its
  confirmation is shown only to the person who asked.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord import wording
from adapters.discord.components import form_buttons
from adapters.discord.delivery import NO_MENTIONS, FollowupPoster, deliver
from adapters.discord.forms import (
    ANSWER_INPUT,
    ANSWER_MODAL,
    FORM_MODAL,
    MODAL_INPUTS,
    Drafts,
    answer_modal,
    complete_values,
    error_lines,
    find_page,
    form_modal_id,
    form_pages,
    item_names,
    kind_of,
    page_modal,
    submitted_values,
)
from adapters.discord.identity import personal_owner, team_owner
from adapters.discord.inflight import InFlight
from adapters.discord.ports import Coaching
from adapters.discord.render import Outgoing, Surface, answered, compose, plan_messages
from adapters.discord.turns import Turns
from coaching.forms import FORM_SECTIONS
from coaching.markup import bullets, escape
from coaching.model import Owner, OwnerKind
from coaching.replies import Reply

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]


@dataclass(frozen=True, slots=True)
class Where:
    """Whose plan an interaction is about and how its answers are shown."""

    owner: Owner
    ephemeral: bool
    surface: Surface


def where(interaction: Interaction, *, kind: OwnerKind) -> Where | None:
    """None for a team plan asked for outside a server channel."""
    guild, channel = interaction.guild_id, interaction.channel_id
    if kind == "team":
        if guild is None or channel is None:
            return None
        return Where(team_owner(guild, channel), ephemeral=False, surface=Surface.CHANNEL)
    in_dm = guild is None
    return Where(
        personal_owner(interaction.user.id),
        ephemeral=not in_dm,
        surface=Surface.DM if in_dm else Surface.CHANNEL,
    )


def section_named(text: str) -> str | None:
    """The POPT section a word names, on its first letters as the engine reads it."""
    wanted = text.strip().casefold()
    return next((s for s in FORM_SECTIONS if wanted and s.startswith(wanted[:4])), None)


def mention(user_id: int) -> str:
    """A user mention for an id Discord gave us; it never pings (``allowed_mentions`` none)."""
    return f"<@{int(user_id)}>"


class Interactions:
    def __init__(self, *, service: Coaching, turns: Turns, inflight: InFlight, drafts: Drafts) -> None:
        self.service = service
        self.turns = turns
        self.inflight = inflight
        self.drafts = drafts

    @asynccontextmanager
    async def _answering(self, interaction: Interaction) -> AsyncIterator[None]:
        """Track the work for shutdown, and tell the person when it failed on our side."""
        async with self.inflight.track():
            try:
                yield
            except Exception:
                log.exception("Discord interaction %s failed", interaction.id)
                await apologise(interaction)

    # -- slash commands ----------------------------------------------------------------

    async def command(self, interaction: Interaction, *, team: bool, command: str) -> None:
        """A subcommand the engine answers (start, checkin, schedule, pause, ...)."""
        async with self._answering(interaction):
            at = await self._where_or_explain(interaction, team=team)
            if at is None:
                return
            ephemeral = at.ephemeral
            if team and command == "forget":
                if not interaction.permissions.manage_channels:
                    await _say(interaction, wording.FORGET_TEAM_NEEDS_PERMISSION)
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
        async with self._answering(interaction):
            at = await self._where_or_explain(interaction, team=team)
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
        async with self._answering(interaction):
            at = await self._where_or_explain(interaction, team=team)
            if at is None:
                return
            named = section_named(section)
            if named is None:
                await _say(interaction, wording.UNKNOWN_SECTION)
                return
            await self._open_form(interaction, at.owner, named, page=None)

    # -- components (persistent: see adapters.discord.components) ------------------------

    async def on_choice(
        self, interaction: Interaction, *, kind: OwnerKind, choice_id: str, label: str
    ) -> None:
        """A button or menu choice: the answer is taken and the question shows who chose what."""
        async with self._answering(interaction):
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
            if message is not None and not any(r.kind == "error" for r in outcome.replies):
                line = wording.ANSWERED.format(who=mention(interaction.user.id), label=escape(label))
                await interaction.edit_original_response(
                    content=answered(message.content, line), view=None, allowed_mentions=NO_MENTIONS
                )
            await self._follow_up(interaction, at, outcome.replies, ephemeral=ephemeral)

    async def on_answer_button(self, interaction: Interaction, *, kind: OwnerKind) -> None:
        async with self._answering(interaction):
            modal = answer_modal(kind)
            await interaction.response.send_modal(modal)
            modal.stop()  # submissions are handled by custom id (on_modal_submit), not by this object

    async def on_form_button(
        self, interaction: Interaction, *, kind: OwnerKind, section: str, page: str
    ) -> None:
        async with self._answering(interaction):
            at = where(interaction, kind=kind)
            if at is not None and section in FORM_SECTIONS:
                await self._open_form(interaction, at.owner, section, page=page)

    # -- modals --------------------------------------------------------------------------

    async def on_modal_submit(self, interaction: Interaction) -> None:
        """Every modal the coach opens, recognised by its custom id (see adapters.discord.forms)."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        values = submitted_values(data.get("components", []))
        if matched := ANSWER_MODAL.fullmatch(custom_id):
            async with self._answering(interaction):
                await self._typed_answer(interaction, kind_of(matched["kind"]), values.get(ANSWER_INPUT, ""))
        elif matched := FORM_MODAL.fullmatch(custom_id):
            async with self._answering(interaction):
                await self._save_form(
                    interaction, kind_of(matched["kind"]), matched["section"], matched["page"], values
                )

    async def _typed_answer(self, interaction: Interaction, kind: OwnerKind, text: str) -> None:
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

    async def _save_form(
        self, interaction: Interaction, kind: OwnerKind, section: str, page: str, submitted: dict[str, str]
    ) -> None:
        at = where(interaction, kind=kind)
        if at is None or section not in FORM_SECTIONS:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        fields = await self.service.form(at.owner, section)
        result = await self.service.submit_form(
            at.owner, section, complete_values(fields, submitted), now=self.turns.clock()
        )
        draft_key = (at.owner, interaction.user.id, section, page)
        title = wording.SECTION_TITLES.get(section, section)
        if not result.ok:
            self.drafts.keep(draft_key, submitted, result.errors)
            text = wording.FORM_ERRORS + "\n" + bullets(error_lines(fields, result.errors))
            view = form_buttons([(page, wording.FIX_BUTTON)], kind=kind, section=section)
            await interaction.followup.send(
                text, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
            )
            return
        self.drafts.drop(draft_key)
        await interaction.followup.send(
            wording.FORM_SAVED.format(section=title), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        if kind == "team":
            await interaction.followup.send(
                wording.FORM_SAVED_TEAM.format(who=mention(interaction.user.id), section=title),
                allowed_mentions=NO_MENTIONS,
            )

    # -- shared --------------------------------------------------------------------------

    async def _open_form(
        self, interaction: Interaction, owner: Owner, section: str, *, page: str | None
    ) -> None:
        """The page's modal, or (for a section too long for one modal) a button per page."""
        fields = await self.service.form(owner, section)
        names = item_names(await self.service.plan(owner)) if len(fields) > MODAL_INPUTS else {}
        pages = form_pages(fields, section=section, names=names)
        if page is None and len(pages) == 1:
            page = pages[0].key
        found = find_page(pages, page) if page is not None else None
        if found is None:
            title = wording.SECTION_TITLES.get(section, section)
            view = form_buttons([(p.key, p.label) for p in pages], kind=owner.kind, section=section)
            await interaction.response.send_message(
                wording.PICK_PART.format(section=title),
                view=view,
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        draft = self.drafts.get((owner, interaction.user.id, section, found.key))
        modal = page_modal(
            found,
            custom_id=form_modal_id(owner.kind, section, found.key),
            values=draft.values if draft else None,
            errors=draft.errors if draft else None,
        )
        await interaction.response.send_modal(modal)
        modal.stop()  # submissions are handled by custom id (on_modal_submit), not by this object

    async def _where_or_explain(self, interaction: Interaction, *, team: bool) -> Where | None:
        at = where(interaction, kind="team" if team else "user")
        if at is None:
            await _say(interaction, wording.TEAM_NEEDS_CHANNEL)
        return at

    async def _follow_up(
        self, interaction: Interaction, at: Where, replies: Sequence[Reply], *, ephemeral: bool
    ) -> None:
        messages: list[Outgoing] = compose(replies, surface=at.surface)
        if not messages:
            if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
                await interaction.delete_original_response()
            return
        await deliver(FollowupPoster(interaction, ephemeral=ephemeral), messages, kind=at.owner.kind)


async def _say(interaction: Interaction, text: str) -> None:
    """A short note to the person alone, as the interaction's answer or a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def apologise(interaction: Interaction) -> None:
    try:
        await _say(interaction, wording.FAILED)
    except discord.HTTPException:
        log.warning("could not tell the person that interaction %s failed", interaction.id)
