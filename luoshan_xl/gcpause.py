"""Python's cyclic garbage collector paused while large, cycle-free object graphs are built.

A province's master is some 400,000 rows read into records and written back; the collector
walks the growing heap again and again while they are made (a sixth of a merge into such a
master, a fifth of a rank) and finds nothing, since records and rows hold no cycles.  Reference
counting still frees everything as usual; only cycles wait until the collector is back on.
"""

from __future__ import annotations

import functools
import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    """The collector off for the block, then on again if it was on (nesting is fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def with_paused_gc(function):
    """`function` run inside `paused_gc()`."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with paused_gc():
            return function(*args, **kwargs)

    return run
