"""Dotted config keys (``tier2.threshold``), as ``--set``, sweeps and ``[uncertain]`` name them."""

from __future__ import annotations

import functools
import typing
from typing import Any, Iterable

from pydantic import BaseModel

from stress.config.schema import Config
from stress.errors import UsageError


def refuse_repeated(keys: Iterable[str], option: str) -> None:
    """Each key once per option: a second --grid (--set, --uncertain, ...) of a key
    would silently replace the first."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise UsageError(f"{option}: {key} is given twice; give each key once")
        seen.add(key)


@functools.lru_cache(maxsize=None)
def field_type(key: str) -> Any:
    """The annotation of a dotted config key (None where it is not a fixed field)."""
    model: Any = Config
    annotation = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = fields[part].annotation
        model = next((a for a in (annotation, *typing.get_args(annotation))
                      if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return annotation
