"""A PNG chart of each objective's metric over the weeks, for adapters to attach.

matplotlib is imported inside the function: it costs half a second of start-up that
turns which draw no chart should never pay. The Agg backend needs no display.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from coaching.progress import ObjectiveProgress


def progress_chart(progress: Sequence[ObjectiveProgress]) -> bytes | None:
    """One small panel per objective that has readings; None when there is nothing to draw."""
    tracked = [p for p in progress if p.readings and p.objective.target is not None]
    if not tracked:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(len(tracked), 1, figsize=(6, 2.4 * len(tracked)), squeeze=False)
    try:
        for ax, p in zip(axes[:, 0], tracked, strict=True):
            o = p.objective
            days = [r.day for r in p.readings]
            values = [r.value for r in p.readings]
            ax.plot(days, values, marker="o", color="#2b6cb0", label="reading")
            assert o.target is not None
            ax.axhline(o.target, color="#38a169", linestyle="--", label=f"target {o.target:g}")
            if o.baseline is not None:
                ax.axhline(o.baseline, color="#a0aec0", linestyle=":", label=f"baseline {o.baseline:g}")
            title = o.metric or o.description
            ax.set_title(title if len(title) <= 60 else title[:57] + "...", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=7, loc="best")
        fig.autofmt_xdate()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        return buffer.getvalue()
    finally:
        plt.close(fig)
