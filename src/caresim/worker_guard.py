"""Worker processes that end when their parent does.

A local worker (``ProcessPoolExecutor``, spawn start method) blocks reading its call queue. If
the parent is killed outright (``kill -9``, the out-of-memory killer) nothing closes that queue,
so the worker, and with it multiprocessing's resource tracker, would stay alive for good.
:func:`exit_with_parent` is the pool's initializer: it starts a daemon thread that waits on the
parent's sentinel (:func:`multiprocessing.parent_process`, which becomes ready when the parent
ends) and then ends the worker at once. Once every worker has gone, the resource tracker sees
its pipe close and ends too.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

PARENT_GONE_EXIT = 70
"""Exit status of a worker whose parent ended (EX_SOFTWARE)."""


def _watch(sentinel: int) -> None:
    wait([sentinel])
    os._exit(PARENT_GONE_EXIT)  # no clean-up: the parent that would collect results is gone


def exit_with_parent() -> None:
    """Make this worker process end as soon as its parent process ends (pool initializer)."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return
    threading.Thread(target=_watch, args=(parent.sentinel,), name="caresim-parent-watch",
                     daemon=True).start()
