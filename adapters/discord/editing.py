"""Editing a section of the plan in Discord modals (see :mod:`adapters.discord.forms`).

A modal has to be the very first answer to an interaction, so it cannot wait behind a
"thinking…" defer: opening one does a read or two and responds at once. Saving is
deferred like any other slow work.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.discord import wording
from adapters.discord.components import form_buttons
from adapters.discord.delivery import NO_MENTIONS
from adapters.discord.forms import (
    MODAL_INPUTS,
    Drafts,
    complete_values,
    error_lines,
    find_page,
    form_modal_id,
    form_pages,
    item_names,
    page_modal,
)
from adapters.discord.replying import Interaction, answering, mention, say, where, where_or_explain
from adapters.discord.turns import Clock
from adapters.inflight import InFlight
from adapters.ports import Coaching
from coaching.forms import FORM_SECTIONS
from coaching.markup import bullets
from coaching.model import Owner, OwnerKind


def section_named(text: str) -> str | None:
    """The POPT section a word names, on its first letters as the engine reads it."""
    wanted = text.strip().casefold()
    return next((s for s in FORM_SECTIONS if wanted and s.startswith(wanted[:4])), None)


class Editing:
    def __init__(self, *, service: Coaching, clock: Clock, inflight: InFlight, drafts: Drafts) -> None:
        self.service = service
        self.clock = clock
        self.inflight = inflight
        self.drafts = drafts

    async def edit(self, interaction: Interaction, *, team: bool, section: str) -> None:
        """``/coach edit <section>``: the section's form, or a button per page of it."""
        async with answering(self.inflight, interaction):
            at = await where_or_explain(interaction, team=team)
            if at is None:
                return
            named = section_named(section)
            if named is None:
                await say(interaction, wording.UNKNOWN_SECTION)
                return
            await self._open(interaction, at.owner, named, page=None)

    async def open_page(self, interaction: Interaction, *, kind: OwnerKind, section: str, page: str) -> None:
        """A page's button (or **Fix it**) was clicked."""
        async with answering(self.inflight, interaction):
            at = where(interaction, kind=kind)
            if at is not None and section in FORM_SECTIONS:
                await self._open(interaction, at.owner, section, page=page)

    async def save(
        self,
        interaction: Interaction,
        *,
        kind: OwnerKind,
        section: str,
        page: str,
        submitted: Mapping[str, str],
    ) -> None:
        """A page was submitted: save the whole section, or say what to fix."""
        async with answering(self.inflight, interaction):
            at = where(interaction, kind=kind)
            if at is None or section not in FORM_SECTIONS:
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            fields = await self.service.form(at.owner, section)
            result = await self.service.submit_form(
                at.owner, section, complete_values(fields, submitted), now=self.clock()
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

    async def _open(self, interaction: Interaction, owner: Owner, section: str, *, page: str | None) -> None:
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
        modal.stop()  # submissions are taken by custom id (Interactions.on_modal_submit), not here
