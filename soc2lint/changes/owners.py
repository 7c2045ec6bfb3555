"""CM011 code-owner-approval-missing: when the base branch requires code-owner review, every
changed file that CODEOWNERS assigns to owners needs a qualifying approval from one of them.

CODEOWNERS is read as the base branch had it when the pull request was merged (`baseRefOid`),
never from the working tree, which may be years newer than the change: GitHub requests and
requires the owners named on the base branch. It is the first of `.github/CODEOWNERS`,
`CODEOWNERS` and `docs/CODEOWNERS` there, parsed as `formats/codeowners.py` parses the working
tree's (a line with a syntax error is skipped, as GitHub skips it; the last matching line wins).
The whole population costs two `git cat-file` calls, through gitrun, whatever its size.

An owner approved when a qualifying approval (decide.py: not a code author, not a bot, not
withdrawn, before the merge) is theirs: `@login` case-blind; `@org/team` through a members
export, `.soc2/github/ORG/teams/SLUG/members.json` (GET /orgs/ORG/teams/SLUG/members); an email
never matches a login. Without the export, or with email owners only, the file is unknown.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from soc2lint import gitrun
from soc2lint.changes.decide import (
    FAIL,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    PASSED,
    Decision,
    Evaluated,
    short,
)
from soc2lint.changes.model import Change, Protection
from soc2lint.detectors.codeowners import Entry, entries_of, last_match

PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")  # the order GitHub reads them in
MAX_BYTES = 3 * 1024 * 1024  # GitHub does not load a larger CODEOWNERS
_OID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

Entries = Sequence[Entry]  # CODEOWNERS' valid lines, in file order


class Codeowners(NamedTuple):
    """CODEOWNERS at one base commit."""

    entries: Entries | None  # None: unknown, and `source` says why
    source: str  # the path read; "" when the commit has none


def _git(root: Path, args: Sequence[str], stdin: bytes) -> bytes | str:
    """git's output, or why there is none."""
    try:
        proc = gitrun.run(root, *args, stdin=stdin)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"git could not run ({exc})"
    if proc.returncode != 0:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        return f"git {args[0]} failed ({last[0] if last else proc.returncode})"
    return proc.stdout


def _partial_clone(root: Path) -> bool:
    """A partial clone (`--filter=blob:none`): an object git reports missing may exist."""
    out = _git(root, ("rev-parse", "--git-common-dir"), b"")
    if not isinstance(out, bytes):
        return True  # cannot tell: assume the worst
    # relative to `root`, or absolute (then the join keeps it)
    pack = root / out.decode("utf-8", "surrogateescape").strip() / "objects" / "pack"
    return any(pack.glob("*.promisor"))


def at_base(root: Path | None, oids: Iterable[str]) -> dict[str, Codeowners]:
    """CODEOWNERS at each base commit in `oids`, read from the clone at `root`."""
    wanted = sorted(set(oids))
    if root is None or gitrun.repository_top(str(root)) is None:
        return {o: Codeowners(None, "no git clone at the scan root") for o in wanted}
    out = {o: Codeowners(None, f"baseRefOid {o!r} is not a commit id") for o in wanted}
    valid = [o for o in wanted if _OID.match(o)]
    if not valid:
        return out
    # one line per question: does the commit exist, and which of the three files it has
    questions = [q for o in valid for q in (f"{o}^{{commit}}", *(f"{o}:{p}" for p in PATHS))]
    answer = _git(
        root, ("cat-file", "--batch-check"), "".join(q + "\n" for q in questions).encode()
    )
    if not isinstance(answer, bytes):
        if _partial_clone(root):  # git stops at the first object it would have to fetch
            answer = "a partial clone (--filter) lacks CODEOWNERS at the base commits"
        return {**out, **{o: Codeowners(None, answer) for o in valid}}
    lines = answer.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != len(questions):
        return {**out, **{o: Codeowners(None, "git cat-file answered in part") for o in valid}}
    partial: bool | None = None
    blobs: dict[str, tuple[str, str]] = {}  # base commit -> (blob, path)
    step = 1 + len(PATHS)
    for i, oid in enumerate(valid):
        # `<sha> <type> <size>`, or `<question> missing`
        commit, *files = (
            line.split() or ["", "missing"] for line in lines[i * step : (i + 1) * step]
        )
        if commit[-1] == "missing" or commit[1:2] != ["commit"]:
            out[oid] = Codeowners(None, f"the base commit {oid[:7]} is not in the git clone")
            continue
        found = next((j for j, f in enumerate(files) if f[1:2] == ["blob"]), None)
        absent = files if found is None else files[:found]
        if any(f[-1] == "missing" for f in absent):
            partial = _partial_clone(root) if partial is None else partial
            if partial:  # in case git answers `missing` for a file it did not fetch
                out[oid] = Codeowners(None, "a partial clone cannot show CODEOWNERS at the base")
                continue
        if found is None:
            out[oid] = Codeowners([], "")  # no CODEOWNERS: no file has an owner
            continue
        blob, _, size = files[found]
        if int(size) > MAX_BYTES:
            out[oid] = Codeowners(None, f"{PATHS[found]} at {oid[:7]} is over 3 MB")
            continue
        blobs[oid] = (blob, PATHS[found])
    texts = _blobs(root, sorted({b for b, _ in blobs.values()}))
    parsed: dict[str, Entries] = {}
    for oid, (blob, path) in blobs.items():
        text = texts.get(blob)
        if text is None:
            out[oid] = Codeowners(None, f"{path} at {oid[:7]} is not in the git clone")
            continue
        if blob not in parsed:
            parsed[blob] = parse(path, text)
        out[oid] = Codeowners(parsed[blob], path)
    return out


def _blobs(root: Path, shas: Sequence[str]) -> dict[str, str]:
    """The text of each blob the clone has, in one `git cat-file --batch`."""
    if not shas:
        return {}
    data = _git(root, ("cat-file", "--batch"), "".join(s + "\n" for s in shas).encode())
    if not isinstance(data, bytes):
        return {}
    texts = {}
    pos = 0
    for sha in shas:
        end = data.find(b"\n", pos)
        header = data[pos:end].split()
        if end < 0 or len(header) != 3 or header[1] != b"blob":
            pos = end + 1
            if end < 0:
                break
            continue
        size = int(header[2])
        texts[sha] = data[end + 1 : end + 1 + size].decode("utf-8", "replace")
        pos = end + 1 + size + 1
    return texts


def parse(path: str, text: str) -> Entries:
    """CODEOWNERS' valid entries (pattern, owners), in file order."""
    from soc2lint.formats.codeowners import parse_codeowners
    from soc2lint.model import Artifact

    parsed = parse_codeowners(Artifact(path, path, "codeowners", len(text)), text)
    return entries_of(parsed.documents[0].root)


def team_members(github: Path | None, team: str) -> frozenset[str] | None:
    """The logins (lower-cased) of `@org/team` from its members export
    (`<evidence dir>/github/ORG/teams/SLUG/members.json`; `github` is that `github/`
    directory); None without one."""
    org, _, slug = team.lstrip("@").partition("/")
    if github is None or not _SLUG.match(org) or not _SLUG.match(slug):
        return None
    for o, s in dict.fromkeys(((org, slug), (org.lower(), slug.lower()))):
        path = github.joinpath(o, "teams", s, "members.json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            return None
        if not isinstance(data, list):
            return None
        return frozenset(
            str(m["login"]).lower() for m in data if isinstance(m, dict) and m.get("login")
        )
    return None


def _approved(
    owners: Sequence[str],
    approvers: frozenset[str],
    members: Callable[[str], frozenset[str] | None],
) -> bool | None:
    """Whether one of `owners` approved; None when only owners that cannot be matched did not."""
    unknown = False
    for owner in owners:
        if not owner.startswith("@"):
            unknown = True  # an email: never a login
        elif "/" in owner:
            team = members(owner)
            if team is None:
                unknown = True
            elif team & approvers:
                return True
        elif owner[1:].lower() in approvers:
            return True
    return None if unknown else False


def merge_parents(root: Path | None, oids: Iterable[str]) -> dict[str, str]:
    """The first parent of each merge commit in `oids` that the clone at `root` has: the base
    branch as it was when a pull request was merged (gh pr list cannot export `baseRefOid`).
    For a rebase merge it is the commit before the last rebased one."""
    wanted = sorted({o for o in oids if _OID.match(o)})
    if root is None or not wanted or gitrun.repository_top(str(root)) is None:
        return {}
    out = _git(root, ("cat-file", "--batch-check"), "".join(f"{o}^\n" for o in wanted).encode())
    if not isinstance(out, bytes):
        return {}
    found = {}
    for oid, line in zip(wanted, out.decode("ascii", "replace").splitlines(), strict=False):
        parts = line.split()
        if len(parts) == 3 and parts[1] == "commit" and _OID.match(parts[0]):
            found[oid] = parts[0]
    return found


def decide(
    ev: Evaluated,
    required: bool,
    codeowners: Codeowners | None,
    members: Callable[[str], frozenset[str] | None],
    memo: MutableMapping[Any, Any] | None = None,
    base: str = "",
) -> Decision:
    """CM011 for one evaluated change; `memo` keeps each path's owners for the next change
    with the same CODEOWNERS (matching is the costly part of a large population). `base`: the
    base commit when the export has no `baseRefOid` (the merge commit's first parent)."""
    change: Change = ev.change
    if not required:
        return NOT_APPLICABLE
    if change.files is None:
        return Decision(INCONCLUSIVE, "the export has no `files`")
    if "files" in change.truncated:
        return Decision(INCONCLUSIVE, "files cut at 100")
    if "reviews" in change.missing:
        return Decision(INCONCLUSIVE, "the export has no `reviews`")
    if not (change.base_oid or base):
        return Decision(
            INCONCLUSIVE, "the export has no `baseRefOid` and its merge commit is not in the clone"
        )
    if codeowners is None or codeowners.entries is None:
        why = codeowners.source if codeowners else "CODEOWNERS at the base commit was not read"
        return Decision(INCONCLUSIVE, why)
    entries = codeowners.entries
    known = {} if memo is None else memo
    approvers = frozenset(short(r.author) for r in ev.counted)
    missing: list[tuple[str, Sequence[str]]] = []
    unknown: list[tuple[str, Sequence[str]]] = []
    for changed in change.files:
        key = ("owners", id(entries), changed)  # the entries stay cached, so their id holds
        if key not in known:
            found = last_match(entries, changed)  # GitHub's rule: the last matching line wins
            known[key] = found.owners if found is not None else ()
        owned: tuple[str, ...] = known[key]
        if not owned:
            continue  # nobody owns it: nobody has to approve it
        verdict = _approved(owned, approvers, members)
        if verdict is False:
            missing.append((changed, owned))
        elif verdict is None:
            unknown.append((changed, owned))
    if missing and "reviews" in change.truncated:
        return Decision(INCONCLUSIVE, "reviews cut at 100")
    if missing:
        path, owners = missing[0]
        more = len(missing) - 1
        rest = f" and {more} more file{'s' if more > 1 else ''}" if more else ""
        names = ", ".join(sorted({r.author for r in ev.counted}))
        return Decision(
            FAIL,
            f"no approval from a code owner of {path} (owners: {', '.join(owners)}){rest}; "
            + (f"approved by {names}" if names else "no qualifying approval"),
        )
    if unknown:
        path, owners = unknown[0]
        return Decision(
            INCONCLUSIVE,
            f"the owners of {path} ({', '.join(owners)}) are teams without a members export "
            "(.soc2/github/ORG/teams/SLUG/members.json) or emails",
        )
    return PASSED


def decide_all(
    evaluated: Sequence[Evaluated],
    protection: Mapping[str, Protection],
    policy_requires: bool,
    root: Path | None,
    cache: MutableMapping[Any, Any],
    github: Path | None = None,
) -> None:
    """Fill `results["CM011"]` of every evaluated change. CODEOWNERS is read once per (root,
    base commit) and a team's members once per team (from the `github/` directory of the
    evidence the population came from), kept in `cache`."""

    def required(change: Change) -> bool:
        rules = protection.get(change.base)
        return policy_requires or bool(rules is not None and rules.code_owner_reviews)

    where = str(root)
    judged = [ev.change for ev in evaluated if required(ev.change) and ev.change.files is not None]
    parents = merge_parents(root, (c.merge_oid for c in judged if not c.base_oid))

    def base_of(change: Change) -> str:
        return change.base_oid or parents.get(change.merge_oid, "")

    wanted = {base_of(c) for c in judged} - {""}
    unread = [o for o in wanted if ("codeowners", where, o) not in cache]
    for oid, found in at_base(root, unread).items():
        cache[("codeowners", where, oid)] = found

    def members(team: str) -> frozenset[str] | None:
        key = ("team-members", str(github), team.lower())
        if key not in cache:
            cache[key] = team_members(github, team)
        result: frozenset[str] | None = cache[key]
        return result

    for ev in evaluated:
        base = base_of(ev.change)
        read: Codeowners | None = cache.get(("codeowners", where, base))
        ev.results["CM011"] = decide(ev, required(ev.change), read, members, cache, base)
