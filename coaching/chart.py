"""A PNG chart of each objective's metric over the weeks, for adapters to attach.

Each panel runs from the start (the baseline, a week before the first reading, as the
progress rule counts it) to the deadline, with the straight path from the start to the
target at the deadline drawn in. Once there is a trend to judge (more than the first
reading), a reading on the target's side of that path is exactly what
:func:`coaching.progress.status_of` calls "on track", so the picture and the words agree.

matplotlib is imported inside the function: it costs half a second of start-up that
turns which draw no chart should never pay. The Agg backend needs no display.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from coaching.progress import ObjectiveProgress

_TITLE_LIMIT = 60


@dataclass(frozen=True, slots=True)
class Panel:
    """What one objective's panel shows, worked out before anything is drawn."""

    title: str
    points: tuple[tuple[date, float], ...]  # the baseline first where there is one
    from_baseline: bool
    target: float
    path: tuple[tuple[date, float], tuple[date, float]] | None  # start → target at the deadline
    span: tuple[date, date]


def chart_panel(p: ObjectiveProgress) -> Panel | None:
    """The panel for one objective; None without a target or a reading."""
    o = p.objective
    if o.target is None or not p.readings:
        return None
    points = tuple((r.day, r.value) for r in p.readings)
    if o.baseline is not None:
        points = ((points[0][0] - timedelta(weeks=1), o.baseline), *points)
    start, last = points[0][0], points[-1][0]
    path = None
    if o.deadline is not None and o.deadline > start:
        path = (points[0], (o.deadline, o.target))
    end = max(last, o.deadline) if o.deadline is not None else last
    margin = timedelta(days=max(3, (end - start).days // 20))
    title = o.metric or o.description
    if len(title) > _TITLE_LIMIT:
        title = title[: _TITLE_LIMIT - 3] + "..."
    return Panel(
        title=f"{title} · {p.status}",
        points=points,
        from_baseline=o.baseline is not None,
        target=o.target,
        path=path,
        span=(start - margin, end + margin),
    )


def progress_chart(progress: Sequence[ObjectiveProgress]) -> bytes | None:
    """One small panel per objective that has readings; None when there is nothing to draw."""
    panels = [panel for panel in map(chart_panel, progress) if panel is not None]
    if not panels:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(6, 2.4 * len(panels)), squeeze=False)
    try:
        for ax, panel in zip(axes[:, 0], panels, strict=True):
            days = [day for day, _ in panel.points]
            values = [value for _, value in panel.points]
            ax.plot(days, values, marker="o", color="#2b6cb0", label="reading")
            if panel.from_baseline:
                ax.plot(
                    days[:1], values[:1], marker="o", color="white", markeredgecolor="#2b6cb0", label="start"
                )
            ax.axhline(panel.target, color="#38a169", linestyle="--", label=f"target {panel.target:g}")
            if panel.path is not None:
                (x0, y0), (x1, y1) = panel.path
                ax.plot([x0, x1], [y0, y1], color="#a0aec0", linestyle=":", label="on-track path")
                ax.axvline(x1, color="#a0aec0", linewidth=0.8)
            ax.set_xlim(*panel.span)
            locator = mdates.AutoDateLocator(maxticks=7)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
            ax.set_title(panel.title, fontsize=9)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        return buffer.getvalue()
    finally:
        plt.close(fig)
