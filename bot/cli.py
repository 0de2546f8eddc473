"""The ``coach`` command line (the public contract in DESIGN.md)."""

from __future__ import annotations

import asyncio
import getpass
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from tzlocal import get_localzone_name

from adapters.console.chat import ConsoleChat
from adapters.console.render import plain
from bot.app import App, build_app
from bot.settings import default_export_directory
from bot.storage.export import export_owner
from bot.storage.retention import PruneReport, prune
from coaching.document import DocumentError, plan_from_document, plan_to_document
from coaching.model import Owner
from coaching.render import plan_markdown

app = typer.Typer(
    help="A social-media strategy coach: Purpose, Objectives, Priorities, Tactics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

T = TypeVar("T")
UserOption = Annotated[str | None, typer.Option("--user", help="Console user id (default: your login name).")]
PlatformOption = Annotated[
    str,
    typer.Option(
        "--platform",
        help="Whose data: console (default), slack or discord; --user is then the platform's user "
        "or channel id.",
    ),
]
TenantOption = Annotated[
    str | None,
    typer.Option("--tenant", help="The Slack team id or Discord server id (needed with --platform)."),
]
PLATFORMS = ("console", "slack", "discord")


class Format(StrEnum):
    md = "md"
    json = "json"


def console_owner(user: str | None) -> Owner:
    return Owner(platform="console", tenant="local", subject=user or getpass.getuser())


def owner_of(user: str | None, platform: str, tenant: str | None) -> Owner:
    """The owner an operator names: a console user by default, or a Slack or Discord one.

    So a request from a Slack or Discord user to see or delete their data can be
    served from the command line, not only from inside the chat.
    """
    if platform not in PLATFORMS:
        fail(f"--platform must be one of {', '.join(PLATFORMS)}, not {platform!r}.")
    if platform == "console":
        return console_owner(user)
    if not user or not tenant:
        fail(f"With --platform {platform}, give both --user (a user or channel id) and --tenant.")
    return Owner(platform=platform, tenant=tenant, subject=user)


def local_timezone() -> str | None:
    try:
        return get_localzone_name()
    except Exception:  # tzlocal raises several kinds on odd systems; no hint is fine
        return None


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def run(work: Callable[[App], Awaitable[T]]) -> T:
    async def main() -> T:
        application = await build_app()
        try:
            return await work(application)
        finally:
            await application.close()

    return asyncio.run(main())


@app.command()
def chat(
    user: UserOption = None,
    save_to: Annotated[
        Path | None,
        typer.Option("--save-to", help="Folder for the files `export` makes (default: your data directory)."),
    ] = None,
) -> None:
    """Talk to the coach. Piped input works too: one message per line, ending at EOF."""
    owner = console_owner(user)

    async def work(application: App) -> None:
        await ConsoleChat(
            service=application.service,
            owner=owner,
            clock=application.clock,
            timezone_hint=local_timezone(),
            save_to=save_to or default_export_directory(owner.subject),
        ).run()

    run(work)


def parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--as-of wants a date like 2027-01-31 or 2027-01-31T12:00, not {value!r}.")
    if len(value) <= 10:
        parsed = datetime.combine(parsed.date(), time.max)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def plan(
    user: UserOption = None,
    format: Annotated[Format, typer.Option("--format", help="md or json.")] = Format.md,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show the plan as it was then (ISO date or time).")
    ] = None,
) -> None:
    """Print the stored plan."""
    owner = console_owner(user)
    when = parse_as_of(as_of)

    async def work(application: App) -> dict[str, Any] | None:
        return await application.store.plan(owner, as_of=when)

    document = run(work)
    if document is None:
        moment = f" on {as_of}" if as_of else ""
        fail(f"No plan stored for {owner.subject}{moment}. Run `coach chat` to build one.", 1)
    if format is Format.json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        from coaching.knowledge import default_knowledge

        typer.echo(plain(plan_markdown(plan_from_document(document), default_knowledge())))


@app.command()
def forget(
    user: Annotated[str, typer.Option("--user", help="Console user id to forget.")],
    platform: PlatformOption = "console",
    tenant: TenantOption = None,
) -> None:
    """Delete everything stored about one user (a console user unless --platform says otherwise)."""
    owner = owner_of(user, platform, tenant)

    async def work(application: App) -> int:
        return await application.store.forget(owner)

    removed = run(work)
    typer.echo(
        f"Forgot {owner.subject}: {removed} stored rows deleted."
        if removed
        else f"Nothing stored for {owner.subject}."
    )


@app.command()
def export(
    user: UserOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the JSON to this file instead of stdout.")
    ] = None,
    platform: PlatformOption = "console",
    tenant: TenantOption = None,
) -> None:
    """Print everything stored about one user as JSON (plans, conversation, check-ins, nudges)."""
    owner = owner_of(user, platform, tenant)

    async def work(application: App) -> dict[str, Any] | None:
        return await export_owner(application.engine, owner, now=application.clock())

    document = run(work)
    if document is None:
        fail(f"Nothing stored for {owner.subject}.", 1)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, "utf-8")
    except OSError as exc:
        fail(f"Could not write {output}: {exc.strerror}.")
    typer.echo(f"Wrote everything stored about {owner.subject} to {output}.", err=True)


@app.command("import")
def import_(
    file: Annotated[
        str, typer.Argument(help="A plan document as `coach plan --format json` prints (or - for stdin).")
    ],
    user: Annotated[
        str | None, typer.Option("--user", help="Store it for this console user instead of the owner inside.")
    ] = None,
) -> None:
    """Store plans from a JSON file: one plan document or a list of them."""
    try:
        raw = sys.stdin.read() if file == "-" else Path(file).read_text("utf-8")
    except OSError as exc:
        fail(f"Could not read {file}: {exc.strerror}.")
    try:
        loaded = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}).")
    documents = loaded if isinstance(loaded, list) else [loaded]
    try:
        plans = [plan_from_document(d, owner=console_owner(user) if user else None) for d in documents]
    except DocumentError as exc:
        fail(f"That plan can't be imported: {exc}.")

    async def work(application: App) -> list[str]:
        lines = []
        for p in plans:
            version = await application.store.import_plan(
                p.owner, plan_to_document(p), now=application.clock()
            )
            o = p.owner
            lines.append(f"Imported plan for {o.platform}/{o.tenant}/{o.subject} (version {version}).")
        return lines

    for line in run(work):
        typer.echo(line)


def parse_now(value: str | None) -> datetime | None:
    """``--now``: an ISO-8601 instant; without an offset it is this machine's local time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now wants an ISO-8601 time like 2027-01-04T10:00 or 2027-01-04T09:00+00:00, not {value!r}.")
    return parsed if parsed.tzinfo else parsed.astimezone()


@app.command()
def dispatch(
    now: Annotated[
        str | None,
        typer.Option("--now", help="Run the pass as of this ISO-8601 time (no offset: local time)."),
    ] = None,
) -> None:
    """Send the check-ins and reminders due now (or at --now) once, then exit.

    Console check-ins are printed; a second pass at the same time prints nothing new.
    """
    import logging

    from bot.observability.logging import skip_unlogged_debug_messages

    instant = parse_now(now)
    skip_unlogged_debug_messages(logging.getLogger().getEffectiveLevel())

    async def work(application: App) -> str:
        dispatcher = await application.open_dispatcher()
        moment = instant or application.clock()
        report = await dispatcher.run_pass(moment)
        return (
            f"Dispatched as of {moment.isoformat(timespec='seconds')}: {report.sent} sent, "
            f"{report.skipped} with nothing to ask, {report.retried} to retry, {report.failed} failed."
        )

    typer.echo(run(work), err=True)


@app.command()
def serve() -> None:
    """Run the check-in scheduler, the HTTP server and Slack (when configured) until SIGTERM or Ctrl-C.

    Sends already under way finish and nudges claimed but not started are handed back,
    so another replica (or the next start) sends them; then the Discord client and the
    database are closed (``App.close``) and the process exits 0. Everything it reports
    goes through logging: JSON lines on stderr unless ``COACH_LOG_FORMAT=text``.
    """
    import logging

    from bot.observability.logging import configure_logging
    from bot.settings import Settings

    configure_logging(Settings())
    log = logging.getLogger("bot.serve")

    async def work(application: App) -> None:
        from bot.gateway import LOCK_NAME, GatewayOwner
        from bot.http.serving import start_web
        from bot.scheduling.runner import DispatchRunner
        from bot.storage.leadership import Leadership

        runner = DispatchRunner(
            await application.open_dispatcher(),
            clock=application.clock,
            interval=application.settings.coach_dispatch_interval,
            daily=partial(prune_now, application),
        )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        web = await start_web(application)
        lost_gateway = False

        def gateway_lost() -> None:
            nonlocal lost_gateway
            lost_gateway = True
            stopping.set()

        gateway = None
        if (discord := await application.discord_bot()) is not None:
            gateway = GatewayOwner(
                Leadership(application.engine, LOCK_NAME),
                discord,
                retry=application.settings.coach_gateway_retry,
                on_lost=gateway_lost,
            )
            gateway.start()
        runner.start()
        log.info(
            "Coach scheduler running (a pass every %gs); stop with Ctrl-C or SIGTERM.",
            application.settings.coach_dispatch_interval,
        )
        log.info("HTTP on %s%s.", web.server.url, " with Slack" if web.slack else "")
        if discord is not None:
            log.info("Discord bot logged in; add it to a server with %s", discord.invite_url)
        await stopping.wait()
        # Both at once: the dispatcher claims nothing more from this moment, so the nudges
        # it holds go back to the other replicas without waiting for HTTP to drain.
        log.info("Stopping: HTTP, Slack and the scheduler's sends together, then Discord.")
        await asyncio.gather(web.stop(), runner.stop())
        if discord is not None:
            await discord.close()  # the gateway closes before its lock is handed on
        if gateway is not None:
            await gateway.stop()
        log.info("Coach scheduler stopped.")
        if lost_gateway:
            raise typer.Exit(1)

    run(work)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (every command also does this on start)."""

    async def work(application: App) -> None:
        return None

    run(work)
    typer.echo("Database is up to date.")


async def prune_now(application: App, now: datetime) -> PruneReport:
    """Apply the retention settings once, as of ``now``: ``coach db prune``, and daily in ``coach serve``."""
    settings = application.settings
    return await prune(
        application.engine,
        now=now,
        checkin_days=settings.coach_checkin_retention_days,
        event_hours=settings.coach_event_retention_hours,
    )


@db_app.command("prune")
def db_prune(
    now: Annotated[
        str | None,
        typer.Option("--now", help="Prune as of this ISO-8601 time (no offset: local time)."),
    ] = None,
) -> None:
    """Delete check-in answers, finished nudges and handled event ids past their retention.

    COACH_CHECKIN_RETENTION_DAYS and COACH_EVENT_RETENTION_HOURS say how long; `coach serve`
    does this daily by itself.
    """
    instant = parse_now(now)

    async def work(application: App) -> str:
        moment = instant or application.clock()
        report = await prune_now(application, moment)
        return (
            f"Pruned as of {moment.isoformat(timespec='seconds')}: {report.checkin_entries} check-in "
            f"answers, {report.nudges} finished nudges, {report.processed_events} handled event ids."
        )

    typer.echo(run(work))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
