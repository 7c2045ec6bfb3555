"""The wheel as users get it: built from a copy of this checkout with `python -m build`, installed
into a fresh virtualenv, and run from a directory that has nothing to do with the checkout, so
that rules, the controls catalog and the schemas must come from inside the installed package.

The wheel is built and installed once for the module (~30 s, most of it pip).
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from snippets import WRITE_ALL_WORKFLOW as WRITE_ALL

try:  # the test extra is what CI installs: without it these tests fail, they are not skipped
    import build  # noqa: F401
except ImportError as e:  # pragma: no cover
    raise ImportError(f"{__name__} needs build, from the test extra: pip install '.[test]'") from e

REPO = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""
# Only what a checkout copy can never need (the sdist/build inputs are whatever git lists).
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".ci-venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
)


def _checkout_files() -> list[str] | None:
    """Tracked and untracked-but-not-ignored files of the checkout; None outside a work tree."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return sorted({n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n})


def _copy_checkout(dest: Path) -> Path:
    names = _checkout_files()
    if names is None:  # e.g. tests run from an unpacked sdist
        shutil.copytree(REPO, dest, ignore=_NOT_SOURCE)
        return dest
    for name in names:
        src = REPO / name
        if not src.is_file():  # listed by git but deleted from the work tree since
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def _run(*argv: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"{proc.args} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_checkout(tmp_path_factory.mktemp("checkout") / "soc2lint")


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("dist")
    _ok(
        _run(
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            outdir,
            source,
            cwd=source,
            timeout=600,
        )
    )
    (built,) = outdir.glob("soc2lint-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed: its runtime dependencies from the package
    index, as the wheel's metadata names them, then the wheel itself with --no-deps."""
    root = tmp_path_factory.mktemp("venv")
    _ok(_run(sys.executable, "-m", "venv", root / "env", cwd=root))
    python = root / "env" / BIN / f"python{EXE}"
    requirements = _requires_dist(wheel)
    assert requirements, "the wheel declares no dependencies"
    _ok(_run(python, "-m", "pip", "install", "--quiet", *requirements, cwd=root, timeout=600))
    _ok(_run(python, "-m", "pip", "install", "--quiet", "--no-deps", wheel, cwd=root))
    _ok(_run(python, "-m", "pip", "check", cwd=root))  # the declared dependencies are satisfied
    return root / "env"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory unrelated to the checkout (no rules/, no soc2lint/ beside it)."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


def _requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        message = email.parser.Parser().parsestr(zf.read(meta).decode("utf-8"))
    return [r for r in message.get_all("Requires-Dist", []) if "extra ==" not in r]


def _version() -> str:
    text = (REPO / "soc2lint" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M)
    assert match
    return match.group(1)


def _rule_files() -> list[str]:
    root = REPO / "rules"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.y*ml"))


def test_wheel_ships_rules_catalog_and_schemas(wheel_names: set[str]) -> None:
    rules = _rule_files()
    assert any(r.startswith("gha/") for r in rules)
    missing = [f"soc2lint/rules/{r}" for r in rules if f"soc2lint/rules/{r}" not in wheel_names]
    assert not missing, f"rule files missing from the wheel: {missing}"
    for data in (
        "soc2lint/controls/soc2.yaml",
        "soc2lint/schema/rule.schema.json",
        "soc2lint/schema/config.schema.json",
    ):
        assert data in wheel_names
    assert any(
        re.fullmatch(r"soc2lint/rules/gha/GHA\d{3}-[a-z0-9-]+\.yaml", n) for n in wheel_names
    )
    # The rules live inside the package only: no top-level `rules/`, no tests or docs.
    assert not [n for n in wheel_names if n.split("/")[0] in ("rules", "tests", "docs", "examples")]


def test_wheel_declares_the_console_script(wheel: Path, wheel_names: set[str]) -> None:
    (entry_points,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(entry_points).decode("utf-8")
    assert re.search(r"^soc2lint\s*=\s*soc2lint\.cli:main\s*$", text, re.M), text


def test_installed_package_runs_from_the_virtualenv_not_the_checkout(
    venv: Path, elsewhere: Path
) -> None:
    proc = _ok(
        _run(
            venv / BIN / f"python{EXE}",
            "-c",
            "import soc2lint, soc2lint.language.load as r; print(soc2lint.__file__); "
            "print(r.builtin_rules_dir())",
            cwd=elsewhere,
        )
    )
    package, rules_dir = (Path(line) for line in proc.stdout.splitlines())
    assert package.resolve().is_relative_to(venv.resolve())
    assert rules_dir.resolve().is_relative_to(venv.resolve())
    assert rules_dir.name == "rules" and rules_dir.parent.name == "soc2lint"


def test_installed_rules_command_lists_the_builtin_rules(venv: Path, elsewhere: Path) -> None:
    proc = _ok(_run(venv / BIN / f"soc2lint{EXE}", "rules", cwd=elsewhere))
    assert re.search(r"^GHA001\s+deploy-without-environment\s", proc.stdout, re.M), proc.stdout
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    # `_conditions.yaml` files are libraries of named conditions, not rules
    shipped = {
        Path(r).name.split("-")[0] for r in _rule_files() if not Path(r).name.startswith("_")
    }
    assert listed == shipped


def test_installed_module_reports_its_version(venv: Path, elsewhere: Path) -> None:
    proc = _ok(_run(venv / BIN / f"python{EXE}", "-m", "soc2lint", "--version", cwd=elsewhere))
    assert proc.stdout.strip() == f"soc2lint, version {_version()}"


def test_installed_explain_and_controls_read_the_packaged_catalog(
    venv: Path, elsewhere: Path
) -> None:
    soc2lint = venv / BIN / f"soc2lint{EXE}"
    explained = _ok(_run(soc2lint, "explain", "CC8.1", cwd=elsewhere))
    assert "GHA001" in explained.stdout and "deploy-without-environment" in explained.stdout
    controls = _ok(_run(soc2lint, "controls", cwd=elsewhere))
    assert re.search(r"^\s+CC6\.1\s.*GHA001", controls.stdout, re.M), controls.stdout


def test_installed_scan_fails_on_a_bad_workflow(venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    workflow = project / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(textwrap.dedent(WRITE_ALL), encoding="utf-8")
    soc2lint = venv / BIN / f"soc2lint{EXE}"

    proc = _run(soc2lint, ".", cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ".github/workflows/ci.yml:2:14: GHA002" in proc.stdout, proc.stdout

    sarif = _ok(
        _run(
            soc2lint,
            ".",
            "--format",
            "sarif",
            "--output",
            tmp_path / "out.sarif",
            "--fail-on",
            "never",
            cwd=project,
        )
    )
    assert sarif.stdout == ""
    run = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["GHA002"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"GHA001", "GHA002", "KUB001"}
