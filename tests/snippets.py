"""Inputs and helpers several test modules share."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Run = Callable[..., tuple[int, str, str]]


def secret_findings(
    run: Run, root: Path, select: str = "SEC001", history: bool = False
) -> list[dict[str, Any]]:
    """The JSON findings of a secrets scan of `root` through the CLI (exit 0 asserted)."""
    argv = [str(root), "--select", select, "--format", "json", "--fail-on", "never"]
    if not history:
        argv.append("--no-history")
    code, out, err = run(*argv)
    assert code == 0, err
    return list(json.loads(out)["findings"])


# A valid workflow with one finding: GHA002 at line 2, column 14 (the `write-all` value).
# Indented: the `write` fixture dedents what it writes.
WRITE_ALL_WORKFLOW = """\
    on: push
    permissions: write-all
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - run: make test
    """
