"""Every git command soc2lint runs goes through here: read-only, and nothing the scanned
repository names is ever executed.

soc2lint scans repositories it has no reason to trust (a pull request's checkout in CI), and a
repository can name programs for git to run: in `.git/config` (and the files it includes) an
fsmonitor hook, diff textconv and external diff drivers, clean/smudge filters, `gpg.program` for
`log.showSignature`, `core.hooksPath`, a pager, `core.sshCommand` (run by a partial clone's
lazy fetch of a missing object), credential helpers; through a committed `.gitattributes` it
picks which driver or filter applies to which file. So every invocation here

- overrides, on the command line (which beats every config file), the settings that run a
  program: `core.fsmonitor=false`, `core.hooksPath=/dev/null`, `log.showSignature=false` and the
  gpg programs, `credential.helper=` and `core.askPass=`, and `protocol.allow=never`, so that no
  transport (ssh, a remote helper, a lazy fetch) can start at all;
- runs `git --no-pager`, and `log`/`diff` with `--no-textconv --no-ext-diff` (and
  `--no-show-signature` for `log`);
- only runs the subcommands listed in `_READ_ONLY` (none of them applies clean/smudge filters
  or runs hooks; `cat-file` without `--filters`/`--textconv`);
- runs with stdin closed unless given input, and an environment scrubbed of the variables that
  name programs or inject configuration (`GIT_EXTERNAL_DIFF`, `GIT_PAGER`, `GIT_SSH_COMMAND`,
  `GIT_CONFIG_PARAMETERS`, `GIT_EXEC_PATH`...: every `GIT_*` but the few that say where the
  repository and its index are), with `GIT_CONFIG_NOSYSTEM=1`, `GIT_TERMINAL_PROMPT=0`,
  `GIT_OPTIONAL_LOCKS=0`; replace refs and grafts are ignored, so the history read is the one
  stored, not a substitute for it;
- passes `safe.directory=<the repository's top>`: a CI job running as another user than the
  checkout's owner still reads the history and `.gitignore` (git refuses such a repository
  because its config could run programs; here none of it can).

Not overridden, because no command here reaches them: `uploadpack.packObjectsHook` (only
`upload-pack`, which serves fetches), `core.alternateRefsCommand` (only fetch and receive-pack
with alternates), `core.editor`/`sequence.editor`, `remote.*.uploadpack`, `core.gitProxy` (a
transport, refused by `protocol.allow=never`).
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

# Settings given to every invocation with `-c`: command-line configuration wins over the
# repository's, the user's and the system's.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.askPass", ""),
    ("credential.helper", ""),  # an empty value resets the list of helpers
    ("protocol.allow", "never"),
    ("log.showSignature", "false"),
    ("gpg.program", os.devnull),
    ("gpg.openpgp.program", os.devnull),
    ("gpg.x509.program", os.devnull),
    ("gpg.ssh.program", os.devnull),
    ("core.attributesFile", os.devnull),
    ("core.quotePath", "false"),
    ("diff.noprefix", "false"),  # the history parser reads `+++ b/path`
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("color.ui", "false"),
)

# The git environment variables kept: where the repository, its work tree and its index are (a
# git hook, where `scan --staged` runs, sets them). Every other GIT_* variable is dropped.
_KEPT_GIT_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    }
)
# Variables outside GIT_* that git reads to run a program.
_DROPPED = frozenset({"PAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "LESSOPEN", "LESSCLOSE"})
_SET = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",  # read-only: no index refresh written behind the scan
    "GIT_NO_REPLACE_OBJECTS": "1",  # the commits stored, not replacements for them
    "GIT_GRAFT_FILE": os.path.join(os.devnull, "grafts"),  # none (and no deprecation hint)
    "GIT_PAGER": "cat",
    "GIT_NO_LAZY_FETCH": "1",  # (git 2.44 and later; protocol.allow=never covers the others)
}

# Subcommands soc2lint runs: each only reads, and none applies filters or runs hooks.
_READ_ONLY = frozenset(
    {
        "rev-parse",
        "log",
        "rev-list",
        "for-each-ref",
        "cat-file",
        "fsck",
        "diff",
        "ls-files",
        "ls-tree",
        "check-attr",
    }
)
_REFUSED_OPTIONS = frozenset({"--filters", "--textconv", "--ext-diff", "--show-signature"})


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs with: `base` (os.environ) without the variables that name a
    program or carry configuration, plus the settings above."""
    source = os.environ if base is None else base
    env = {
        k: v
        for k, v in source.items()
        if k not in _DROPPED and (not k.startswith("GIT_") or k in _KEPT_GIT_VARIABLES)
    }
    env.update(_SET)
    return env


@functools.lru_cache(maxsize=64)
def repository_top(root: str) -> str | None:
    """The directory git would find the repository in from `root`, found as git does (the
    nearest directory holding `.git`, or a bare repository), without running git: git itself
    refuses to say when the owner differs."""
    path = os.path.realpath(root)
    while True:
        if os.path.lexists(os.path.join(path, ".git")):
            return path
        if all(os.path.exists(os.path.join(path, n)) for n in ("HEAD", "objects", "refs")):
            return path  # a bare repository
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def command(root: Path, *args: str, config: Mapping[str, str] | None = None) -> list[str]:
    """The argv of `git <args>` run in `root`, with every repository-controlled program off."""
    if not args or args[0] not in _READ_ONLY:
        raise ValueError(f"git {args[0] if args else ''}: not a read-only command soc2lint runs")
    refused = _REFUSED_OPTIONS.intersection(args)
    if refused:
        raise ValueError(f"git {args[0]}: {sorted(refused)[0]} runs repository-named programs")
    settings = [*SAFE_CONFIG, *(config or {}).items()]
    top = repository_top(str(root))
    if top is not None:
        settings.append(("safe.directory", top))
    argv = ["git", "--no-pager", "-C", str(root)]
    for key, value in settings:
        argv += ["-c", f"{key}={value}"]
    subcommand, rest = args[0], list(args[1:])
    if subcommand in ("log", "diff"):
        rest[:0] = ["--no-textconv", "--no-ext-diff"]
        if subcommand == "log":
            rest[:0] = ["--no-show-signature"]
    return [*argv, subcommand, *rest]


def run(
    root: Path,
    *args: str,
    stdin: bytes | None = None,
    timeout: float = 120,
    config: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git <args>` in `root`; stdout and stderr captured as bytes, the exit code unchecked.
    Raises OSError (no git) and subprocess.TimeoutExpired as subprocess.run does."""
    return subprocess.run(
        command(root, *args, config=config),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
        env=environment(),
    )


def popen(
    root: Path,
    *args: str,
    config: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `git <args>` in `root` with stdin, stdout and stderr as pipes (a streamed read)."""
    return subprocess.Popen(
        command(root, *args, config=config),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )


def repository_prefix(root: Path) -> str:
    """Where `root` lies below the top of its git work tree (`services/api/`), "" at the top or
    outside one: SARIF paths start at the repository's root, where code scanning resolves them."""
    try:
        proc = run(root, "rev-parse", "--show-prefix", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    prefix = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return prefix if proc.returncode == 0 and prefix.endswith("/") else ""


def is_shallow(root: Path) -> bool:
    """A shallow clone: history stops at a grafted commit."""
    try:
        proc = run(root, "rev-parse", "--is-shallow-repository", timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == b"true"
