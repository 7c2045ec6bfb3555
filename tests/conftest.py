from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from soc2lint.cli import main

REPO = Path(__file__).resolve().parent.parent
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
_SHARED_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
# The official schema: the workspace's shared copy where it exists, else the identical copy
# vendored in tests/data (see its README) so that a clone elsewhere can validate too.
SARIF_SCHEMA = (
    _SHARED_SCHEMA
    if _SHARED_SCHEMA.is_file()
    else REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write("path/in/tree", "content") -> the file, dedented, under tmp_path."""

    def _write(rel: str, content: str | bytes, root: Path = tmp_path) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """run(*argv, cwd=path) -> (exit code, stdout, stderr) of the real CLI entry point."""

    def _run(*argv: str, cwd: Path | None = None) -> tuple[int, str, str]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run
