"""CM007 and the collection-level CM012 over the files of `collect github --changes` besides
the pull request pages: the branch's activity, rule-suite bypasses and the collection manifest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from soc2lint.model import Document, Hit


def detect(doc: Document, params: Mapping[str, Any], context: Any = None) -> Iterator[Hit]:
    return iter(())
