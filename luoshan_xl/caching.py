"""A cache for the pure parses every form from the template repeats (its named ranges, its styles)."""

from __future__ import annotations

import functools


def cache_when_short(max_len: int, maxsize: int = 256):
    """`functools.lru_cache` for a function of one text or bytes argument, used only when that
    argument is at most `max_len` long: a file's long texts are never kept (a hostile form could
    otherwise park megabytes in the cache for the rest of the run)."""

    def decorate(parse):
        cached = functools.lru_cache(maxsize=maxsize)(parse)

        @functools.wraps(parse)
        def call(arg):
            return cached(arg) if len(arg) <= max_len else parse(arg)

        call.cache_info = cached.cache_info
        return call

    return decorate
