"""The cyclic garbage collector held back while a pass fans out, with a bound on what waits.

A large pass is a burst of short-lived objects: 50 requests in flight, each with its
coroutines, futures, headers and Block Kit, and batches of claimed nudges and outcomes.
Reference counting frees nearly all of them; the HTTP client leaves about four objects
a message in reference cycles. CPython's collector meanwhile runs every 700 net
allocations and walks every young object each time: in a 10,000-nudge pass that was
about 170 collections and 0.15 s, and it slowed the sends around them by more than its
own time (it sweeps their data out of the processor's caches). Measured with paired
rounds, holding it back cut a pass's wall time by about a tenth (``bench/README.md``).

So a pass pauses it, and collects the young generations itself whenever more than
``young_limit`` allocations are waiting, which bounds the garbage a long pass can hold
(a few megabytes at the default). The pause is process-wide, as the collector is:
passes that overlap (two dispatchers in one process) share it, and it ends with the
last of them. A process that had the collector disabled keeps it disabled.
"""

from __future__ import annotations

import gc
from types import TracebackType

#: Allocations (net of frees) after which a paused pass collects anyway: one collection
#: of this size takes a few milliseconds and happens about once per 10,000 nudges.
YOUNG_LIMIT = 100_000

_holders = 0
_restore = False


class CollectorPause:
    """``with CollectorPause():`` around a pass; :meth:`check` from time to time inside it."""

    def __init__(self, young_limit: int = YOUNG_LIMIT) -> None:
        self._young_limit = young_limit

    def __enter__(self) -> CollectorPause:
        global _holders, _restore
        if _holders == 0:
            _restore = gc.isenabled()
            gc.disable()
        _holders += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        global _holders
        _holders -= 1
        if _holders == 0 and _restore:
            gc.enable()

    def check(self) -> None:
        """Collect the young generations if more than the limit is waiting (cheap otherwise),
        unless the process had the collector off before the pass."""
        if _restore and gc.get_count()[0] > self._young_limit:
            gc.collect(1)
