"""Running a list of chunk tasks with checkpoints: the common core of run, sweep and
compare.

Results come back in task order. In a result folder each finished chunk is saved as
soon as it is in, and a chunk already saved there (by an earlier, interrupted session)
is read instead of run again, so a resumed job ends exactly where an uninterrupted one
would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from stress.storage import folders as store
from stress.execution.pools import ChunkResult, ChunkTask, execute


def ordered_results(tasks: list[ChunkTask], partial: Path | None, pool: Any) -> Iterator[ChunkResult]:
    saved = store.saved_chunks(partial) if partial is not None else set()
    todo = [t for t in tasks if (t.point, t.index) not in saved]
    live = execute(todo, pool)
    for task in tasks:
        result = None
        if (task.point, task.index) in saved:
            result = store.load_chunk(partial, task.point, task.index)
            if result is not None and task.keep_records and result.values is None:
                result = None
            if result is None:  # unreadable or without the records asked for: run it now
                result = next(execute([task], pool))
                store.save_chunk(partial, result)
        else:
            result = next(live)
            if partial is not None:
                store.save_chunk(partial, result)
        yield result
