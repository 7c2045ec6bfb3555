#!/usr/bin/env python3
"""Generate a synthetic organisation's merged pull requests as change evidence (deterministic).

    python3 bench/gen_changes.py [--prs 10000] [--seed 1] [--violation-rate 0.15]
        [--near-miss-rate 0.08] [--out DIR] [--git] [--graphql] [--activity] [--code-owners]
        [--no-dump]

Writes, under DIR (default bench/.work/changes-<prs>-s<seed>):

- `.soc2/github/acme/shop/changes/gh-pr-list.json`: a JSON array as printed by
  `gh pr list --state merged --json number,url,title,body,author,mergedBy,mergedAt,createdAt,
  baseRefName,headRefName,headRefOid,mergeCommit,additions,deletions,changedFiles,labels,reviews,
  statusCheckRollup,closingIssuesReferences,commits` (newest first, keys sorted as Go prints maps,
  gh's quirks: `app/<slug>` bot logins, `app/` for a deleted user, review authors with a login
  only, `0001-01-01T00:00:00Z` and `""` for a pending check's completedAt and conclusion);
- `.soc2/github/acme/shop/branches/main/protection.json` (required checks `build`, `test`,
  `security/snyk`; one required approval) and `.soc2/github/acme/shop/repo.json`;
- `truth.json`: `{"pr:<number>": [rule ids]}` for every PR (empty list: clean), rule ids of design
  §5.2 (CM002 CM003 CM004 CM005 CM006 CM008 CM009 CM010 CM012);
- `planted.json`: the planted violation kinds of each PR that has any;
- `near_misses.json`: `{"pr:<number>": {"kind": ..., "what": ...}}`, PRs that must pass.

Without the flags below that is all, byte-identical to what this script always wrote. Any of
them switches on the extended model (class World: a second random stream, so the pull requests
above stay the same; the dump then also has dismissal and label near-misses; gh cannot export
`baseRefOid`, so the dump has none: the base is its merge commit's first parent). One
model, whatever is written:

- `--git`: DIR becomes the clone (`git fast-import`, fixed identities and dates): `main` holds the
  initial commit (README, .github/CODEOWNERS) before the period, then every merge in order -
  merge 40 % (2 parents, committer GitHub), squash 45 % (1 parent, `Title (#N)`), rebase 10 %
  (the commits recreated, committed by the merger), merge queue 5 % (a merge commit) - and the
  planted direct pushes (CM001): a plain commit, a web-editor commit (committer GitHub), a
  single-parent `Merge pull request #N from ...` (N merged otherwise, or no such PR) and a
  `... (#N)` subject; every pull request's commits sit under `refs/pull/N/head`. The real SHAs
  replace the model's ids in every file. `.soc2/` and the truth files stay untracked.
- `--graphql`: what `soc2lint collect github --changes` stores (layout of
  soc2lint/changes/query.py): `changes/graphql/query.graphql`, `prs-0001.json`... (answers to
  PULL_REQUESTS, 50 a page, newest `updatedAt` first, every selected field in the query's order),
  `pr-N-<field>-K.json` follow-ups where a nested list exceeds its `first:`, `history-0001.json`...
  (HISTORY: every ancestor of main in the period, 100 a page, direct pushes with no
  associated pull request), plus everything `--activity` writes; `--no-dump` omits the dump.
- `--activity`: `changes/activity.json` (pushes, merges, planted force pushes to main),
  `changes/rule-suites/2026-MM-DD.json` (collected on the 15th and the last day of each month,
  each holding the rule suites of its half month; planted bypasses; one month missing: CM012
  `collection:rule-suites`), the history pages and `changes/manifest.json`.
- `--code-owners` (needs `--git`): protection requires code-owner review and the dump gets
  `files` (gh's first 100); CODEOWNERS changes mid-period in a pull request of its own, so the
  base commit decides; planted CM011 (an owned file approved by a non-owner at the base).
- `truth-graphql.json` (with `--graphql`): the truth for the pages, which differs from the dump's:
  no CM012 for lists gh cuts at 100 (the pages have follow-ups), CM002 where those 100 reviews
  held no approval, CM007 for a merger who dismissed a request for changes (timeline). Both
  truths add `commit:<sha>` (CM001), `event:activity:<id>` / `event:rule-suite:<id>` (CM007)
  and `collection:rule-suites` (CM012) where the evidence shows them.

Standard library only (plus git for `--git`); `random.Random` through `random()` only,
identifiers from SHA-1 of the seed and the PR number, so the same arguments give byte-identical
files (and the same commits). Measures nothing.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

OWNER, REPO = "acme", "shop"
T0 = calendar.timegm((2026, 1, 2, 0, 0, 0))
T1 = calendar.timegm((2026, 12, 15, 0, 0, 0))
REQUIRED = ("build", "test", "security/snyk")
PENDING_TIME = "0001-01-01T00:00:00Z"  # gh prints Go's zero time for a check not completed
CLAUDE_TRAILER = (
    "\n\n\N{ROBOT FACE} Generated with [Claude Code](https://claude.com/claude-code)\n\n"
    "Co-authored-by: Claude <noreply@anthropic.com>"
)

FIRST = [
    "Alice",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Keiko",
    "Liam",
    "Mara",
    "Nikhil",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Beatriz",
    "Cyril",
    "Dana",
    "Emil",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Ursula",
    "Viktor",
    "Willa",
    "Xavier",
    "Yara",
    "Zack",
    "Amara",
    "Bastian",
    "Carmen",
    "Diego",
    "Esther",
    "Felix",
    "Gemma",
    "Henrik",
    "Ilse",
]
LAST = [
    "Adams",
    "Berg",
    "Costa",
    "Dietrich",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quiroga",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmer",
]
VERBS = [
    "add",
    "fix",
    "refactor",
    "remove",
    "update",
    "tune",
    "simplify",
    "rename",
    "extract",
    "cache",
    "validate",
]
NOUNS = [
    "cart",
    "checkout",
    "invoice",
    "discount",
    "catalog",
    "search",
    "payment",
    "refund",
    "shipping",
    "inventory",
    "session",
    "wishlist",
    "coupon",
    "tax",
    "receipt",
    "newsletter",
    "profile",
    "address",
    "order",
    "webhook",
]
PACKAGES = [
    "lodash",
    "axios",
    "express",
    "react",
    "webpack",
    "jest",
    "eslint",
    "pg",
    "redis",
    "zod",
]
TOPIC_LABELS = ("backend", "frontend", "bug", "enhancement", "chore")

# Violation kinds: rule ids they make fail, and the groups of facts they occupy (a second
# violation on the same PR must use another group, so that the two stay independent).
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "no-approval": (("CM002",), ("approval",), "no review at all, self-merged"),
    "commented-only": (("CM002",), ("approval",), "only COMMENTED reviews, self-merged"),
    "merged-by-colleague": (("CM002",), ("approval",), "no review; a colleague merged it"),
    "lgtm-label-only": (("CM002",), ("approval",), "an `lgtm` label, no review"),
    "bot-approval": (("CM002",), ("approval",), "the only APPROVED review is by github-actions"),
    "approval-withdrawn": (("CM002",), ("approval",), "APPROVED, then CHANGES_REQUESTED"),
    "approval-dismissed": (("CM002",), ("approval",), "the only approval was DISMISSED"),
    "approval-after-merge": (("CM002",), ("approval",), "APPROVED only after mergedAt"),
    "approval-no-write-access": (("CM002",), ("approval",), "APPROVED by a CONTRIBUTOR"),
    "coauthor-trailer-approval": (
        ("CM002", "CM003"),
        ("approval",),
        "the approver is in a Co-authored-by trailer",
    ),
    "applied-suggestion-approval": (
        ("CM002", "CM003"),
        ("approval",),
        "the approver is Co-authored-by of an 'Apply suggestions' commit",
    ),
    "reviewer-pushed-commit": (
        ("CM002", "CM003"),
        ("approval",),
        "the approver authored a commit ('Merge branch main') in the PR",
    ),
    "stale-approval-push": (
        ("CM004",),
        ("approval",),
        "approved an older commit, then ordinary commits were pushed",
    ),
    "stale-approval-force-push": (
        ("CM004",),
        ("approval",),
        "approved a commit that is no longer in the PR (force push)",
    ),
    "rubber-stamp": (
        ("CM006",),
        ("approval",),
        ">= 500 lines, the only approval < 120 s after creation, empty body",
    ),
    "ai-prompter-approval": (
        ("CM002", "CM003", "CM009"),
        ("approval",),
        "Copilot agent PR approved only by the human who prompted it (a co-author)",
    ),
    "ai-coauthor-approval": (
        ("CM002", "CM003", "CM009"),
        ("approval",),
        "Claude-assisted PR approved only by a human co-author",
    ),
    "ai-bot-approval": (
        ("CM002", "CM009"),
        ("approval",),
        "AI-assisted PR approved only by a bot (github-actions)",
    ),
    "ai-no-approval": (
        ("CM002", "CM009"),
        ("approval",),
        "AI-assisted PR with only a Copilot COMMENTED review",
    ),
    "required-check-failing": (("CM005",), ("checks",), "a required check failed at head"),
    "required-check-missing": (("CM005",), ("checks",), "a required check is absent"),
    "required-check-pending": (("CM005",), ("checks",), "a required check was pending"),
    "check-green-after-merge": (
        ("CM005",),
        ("checks",),
        "a required check completed SUCCESS only after mergedAt",
    ),
    "no-ticket": (("CM008",), ("ticket",), "no ticket key, #N or closing issue anywhere"),
    "emergency-no-retro-approval": (
        ("CM002", "CM010"),
        ("approval", "checks"),
        "hotfix without approval, no retro review (or one later than 72 h)",
    ),
    "emergency-no-retro-checks": (
        ("CM005", "CM010"),
        ("approval", "checks"),
        "approved hotfix merged with a failing required check, no retro review",
    ),
    "truncated-reviews": (
        ("CM012",),
        ("approval", "checks", "ticket"),
        "exactly 100 reviews (gh truncates nested lists at 100)",
    ),
    "truncated-commits": (
        ("CM012",),
        ("approval", "checks", "ticket"),
        "exactly 100 commits (gh truncates nested lists at 100)",
    ),
}

NEAR_MISSES = {
    "self-merge-after-approval": "independent approval on head, then merged by the author",
    "bot-pr-human-approval": "Dependabot/Renovate PR approved by a human member",
    "small-fast-approval": "20-line PR approved with an empty body 30 s after creation",
    "large-slow-approval": ">= 500 lines, empty-body approval 15-40 min after the last push",
    "nonrequired-check-failing": "a non-required check (lint, codecov/patch) failed",
    "required-check-skipped": "a required check concluded SKIPPED / NEUTRAL (passes)",
    "changes-requested-then-approved": "CHANGES_REQUESTED, new push, then APPROVED on head",
    "emergency-retro-review": "hotfix merged without approval, non-author review 1-60 h after merge",
    "reviewer-mentioned": "the approver is only @-mentioned in the PR body",
    "ai-independent-approval": "AI-assisted PR approved by a human who is no (co-)author",
}

_CHECKS_OR_TICKET = [k for k, v in KINDS.items() if v[1] in (("checks",), ("ticket",))]
KIND_ELIGIBLE = {
    "human": [k for k in KINDS if not k.startswith("ai-")],
    "copilot": ["ai-prompter-approval", "ai-bot-approval", "ai-no-approval", *_CHECKS_OR_TICKET],
    "claude": ["ai-coauthor-approval", "ai-bot-approval", "ai-no-approval", *_CHECKS_OR_TICKET],
    "bot": [
        "no-approval",
        "merged-by-colleague",
        "lgtm-label-only",
        "bot-approval",
        "stale-approval-force-push",
        "required-check-failing",
        "required-check-missing",
        "required-check-pending",
        "check-green-after-merge",
        "no-ticket",
    ],
    "deleted": [
        "no-approval",
        "merged-by-colleague",
        "required-check-failing",
        "required-check-missing",
        "no-ticket",
    ],
}
NM_ELIGIBLE = {
    "human": [
        "self-merge-after-approval",
        "small-fast-approval",
        "large-slow-approval",
        "nonrequired-check-failing",
        "required-check-skipped",
        "changes-requested-then-approved",
        "emergency-retro-review",
        "reviewer-mentioned",
    ],
    "copilot": ["ai-independent-approval", "nonrequired-check-failing"],
    "claude": ["ai-independent-approval", "nonrequired-check-failing"],
    "bot": ["bot-pr-human-approval", "nonrequired-check-failing"],
    "deleted": ["nonrequired-check-failing"],
}
KIND_WEIGHT = {"truncated-reviews": 0.3, "truncated-commits": 0.3}


def ts(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def epoch(stamp: str) -> int:
    """The inverse of ts() (time.strptime is ten times slower)."""
    s = stamp
    return calendar.timegm(
        (int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13]), int(s[14:16]), int(s[17:19]))
    )


class Gen:
    def __init__(self, seed: int, prs: int, rate: float, near_rate: float) -> None:
        self.seed = seed
        self.n = prs
        self.rate = rate
        self.near_rate = near_rate
        self.rng = random.Random(seed)
        self.humans: list[dict[str, object]] = []
        used: set[str] = set()
        for i in range(60):
            first = FIRST[i]
            last = LAST[int(self.r() * len(LAST))]
            login = f"{first.lower()}-{last.lower()}"
            while login in used:
                login += "x"
            used.add(login)
            self.humans.append(
                {
                    "login": login,
                    "name": f"{first} {last}",
                    "uid": 4000 + 37 * i,
                    "assoc": "OWNER" if i < 3 else "MEMBER",
                    "role": "admin" if i < 6 else ("lead" if i < 16 else "dev"),
                }
            )
        self.outsiders = [
            {"login": f"outside-contrib-{i}", "name": f"Outside Contributor {i}", "uid": 9000 + i}
            for i in range(4)
        ]

    # -- randomness (random() only: stable across Python versions) --
    def r(self) -> float:
        return self.rng.random()

    def pick(self, seq):  # noqa: ANN001, ANN201
        return seq[int(self.r() * len(seq))]

    def between(self, lo: float, hi: float) -> int:
        return int(lo + (hi - lo) * self.r())

    def weighted(self, items: list[str]) -> str:
        total = sum(KIND_WEIGHT.get(k, 1.0) for k in items)
        x = self.r() * total
        for k in items:
            x -= KIND_WEIGHT.get(k, 1.0)
            if x < 0:
                return k
        return items[-1]

    def h(self, *parts: object) -> str:
        return hashlib.sha1("|".join(map(str, (self.seed, *parts))).encode()).hexdigest()

    # -- identities --
    def human_except(self, *logins: str) -> dict[str, object]:
        while True:
            c = self.pick(self.humans)
            if c["login"] not in logins:
                return c

    def gh_user(self, u: dict[str, object]) -> dict[str, object]:
        return {
            "id": "MDQ6VXNlcj" + str(u["uid"]),
            "is_bot": False,
            "login": u["login"],
            "name": u["name"],
        }

    @staticmethod
    def email(u: dict[str, object]) -> str:
        return f"{u['uid']}+{u['login']}@users.noreply.github.com"

    def commit_author(self, u: dict[str, object]) -> dict[str, str]:
        return {
            "email": self.email(u),
            "id": "MDQ6VXNlcj" + str(u["uid"]),
            "login": str(u["login"]),
            "name": str(u["name"]),
        }

    @staticmethod
    def trailer(u: dict[str, object]) -> str:
        return f"Co-authored-by: {u['name']} <{Gen.email(u)}>"

    # -- one PR --
    def pr(self, i: int) -> tuple[dict[str, object], list[str], list[str], str | None]:
        num = 1001 + i
        slot = (T1 - T0) / self.n
        created = int(T0 + (i + 0.05 + 0.9 * self.r()) * slot)
        x = self.r()
        if x < 0.05:
            akind, bot = "bot", "dependabot"
        elif x < 0.08:
            akind, bot = "bot", "renovate"
        elif x < 0.11:
            akind, bot = "ai", "copilot-swe-agent"
        elif x < 0.12:
            akind, bot = "deleted", ""
        else:
            akind, bot = "human", ""
        claude = akind == "human" and self.r() < 0.08
        pool = "claude" if claude else ("copilot" if akind == "ai" else akind)
        if claude:
            akind = "ai"
        kinds: list[str] = []
        near: str | None = None
        if self.r() < self.rate:
            first = self.weighted(KIND_ELIGIBLE[pool])
            kinds.append(first)
            groups = set(KINDS[first][1])
            if self.r() < 0.25:
                rest = [k for k in KIND_ELIGIBLE[pool] if not set(KINDS[k][1]) & groups]
                if rest:
                    kinds.append(self.weighted(rest))
        elif self.r() < self.near_rate:
            near = self.pick(NM_ELIGIBLE[pool])
        ks = set(kinds)
        approval_kind = next((k for k in kinds if "approval" in KINDS[k][1]), None)
        check_kind = next(
            (k for k in kinds if k.startswith(("required", "check", "emergency-no-retro-checks"))),
            None,
        )

        # identities
        prompter = None
        if akind == "human" or claude:
            author = self.pick(self.humans)
            author_login = str(author["login"])
            author_json = self.gh_user(author)
        elif akind == "ai":  # Copilot coding agent
            author = None
            prompter = self.pick(self.humans)
            author_login = "copilot-swe-agent"
            author_json = {"is_bot": True, "login": "app/copilot-swe-agent"}
        elif akind == "bot":
            author = None
            author_login = bot
            author_json = {"is_bot": True, "login": f"app/{bot}"}
        else:
            author = None
            author_login = ""
            author_json = {"is_bot": True, "login": "app/"}
        authors_set = {author_login} | ({str(prompter["login"])} if prompter else set())
        reviewer = self.human_except(*authors_set)
        coauthor = None  # a human in a Co-authored-by trailer
        if claude and self.r() < 0.3 or approval_kind == "ai-coauthor-approval":
            coauthor = (
                reviewer
                if approval_kind == "ai-coauthor-approval"
                else self.human_except(*authors_set, str(reviewer["login"]))
            )
        if approval_kind == "coauthor-trailer-approval":
            coauthor = reviewer

        # size
        if approval_kind == "rubber-stamp" or near == "large-slow-approval":
            lines = self.between(500, 4000)
        elif near == "small-fast-approval":
            lines = 20
        elif akind == "bot":
            lines = self.between(2, 60)
        else:
            lines = max(1, int(math.exp(1.5 + 2.4 * self.r() + 1.2 * self.r())))
        additions = max(0, int(lines * (0.4 + 0.5 * self.r())))
        deletions = lines - additions
        changed_files = max(1, min(lines, int(1 + lines / self.between(15, 80))))
        if akind == "bot":
            changed_files = self.between(1, 3)

        # ticket
        ticket = f"SHOP-{self.between(100, 9999)}"
        where = self.pick(["title"] * 6 + ["branch"] * 2 + ["body", "commit", "closing"])
        if "no-ticket" in ks:
            where = "none"
        if where == "commit" and "truncated-commits" in ks:
            where = "title"
        verb, noun = self.pick(VERBS), self.pick(NOUNS)
        emergency = approval_kind and approval_kind.startswith("emergency")
        emergency = bool(emergency) or near == "emergency-retro-review"
        subject = f"{verb.capitalize()} {noun} {self.pick(NOUNS)} handling"
        if emergency:
            subject = f"Hotfix: {verb} {noun} outage"
        slug = f"{verb}-{noun}"
        if akind == "bot":
            pkg = self.pick(PACKAGES)
            a, b = self.between(1, 9), self.between(0, 30)
            old, new = f"{a}.{b}.{self.between(0, 9)}", f"{a}.{b + 1}.0"
            if bot == "dependabot":
                subject = f"Bump {pkg} from {old} to {new}"
                branch = f"dependabot/npm_and_yarn/{pkg}-{new}"
                body = (
                    f"Bumps [{pkg}](https://github.com/example/{pkg}) from {old} to {new}.\n\n"
                    "Dependabot will resolve any conflicts with this PR as long as you don't "
                    "alter it yourself."
                )
                if where != "none":
                    ticket, where = "SHOP-100", "title"  # dependabot.yml commit-message prefix
            else:
                subject = f"Update dependency {pkg} to v{new}"
                branch = f"renovate/{pkg}-{a}.x"
                body = f"This PR contains the following updates: {pkg} {old} -> {new}."
                if where != "none":
                    ticket, where = "SHOP-101", "title"  # renovate commitMessagePrefix
        else:
            owner_part = author_login or "deleted"
            if prompter is not None:
                owner_part = "copilot"
            branch = f"{owner_part}/{slug}-{self.between(1, 99)}"
            body = (
                f"## Summary\n\n{verb.capitalize()} the {noun} flow.\n\n"
                f"## Test plan\n\nUnit tests for {noun}; checked on staging."
            )
        title = subject
        closing: list[dict[str, object]] = []
        if where == "title":
            title = f"{ticket} {subject}"
        elif where == "branch":
            branch = f"feature/{ticket}-{slug}"
        elif where == "body":
            body += f"\n\nJira: {ticket}"
        elif where == "closing":
            inum = self.between(10, 999)
            body += f"\n\nFixes #{inum}"
            closing.append(
                {
                    "id": "I_kwDOAB" + self.h("issue", inum)[:10],
                    "number": inum,
                    "repository": {
                        "id": "R_kgDOAB12cd",
                        "name": REPO,
                        "owner": {"id": "O_kgDOAA3x", "login": OWNER},
                    },
                    "url": f"https://github.com/{OWNER}/{REPO}/issues/{inum}",
                }
            )
        if near == "reviewer-mentioned":
            body += f"\n\ncc @{reviewer['login']} for the {noun} part"

        # commits
        commits: list[dict[str, object]] = []

        def add_commit(t: int, headline: str, who: dict, extra: str = "") -> str:
            oid = self.h("commit", num, len(commits), headline)
            auth = who if "email" in who else self.commit_author(who)
            msg_body = extra.strip("\n")
            if where == "commit" and not commits:
                msg_body = (f"Refs {ticket}\n\n" + msg_body).strip("\n")
            commits.append(
                {
                    "authoredDate": ts(t),
                    "authors": [auth],
                    "committedDate": ts(t),
                    "messageBody": msg_body,
                    "messageHeadline": headline,
                    "oid": oid,
                }
            )
            return oid

        if akind == "bot":
            bot_id = "49699333" if bot == "dependabot" else "29139614"
            who = {
                "email": f"{bot_id}+{bot}[bot]@users.noreply.github.com",
                "id": "",
                "login": "",
                "name": f"{bot}[bot]",
            }
        elif prompter is not None:
            who = {
                "email": "198982749+Copilot@users.noreply.github.com",
                "id": "",
                "login": "",
                "name": "copilot-swe-agent[bot]",
            }
        elif akind == "deleted":
            who = {"email": "former.employee@acme.example", "id": "", "login": "", "name": "Ex"}
        else:
            who = author
        n_pre = 1 + int(self.r() * self.r() * 4)
        trunc_commits = "truncated-commits" in ks
        if trunc_commits:
            n_pre = 100
        # commits before the PR was opened: all dated before createdAt
        t = created - 600 * n_pre - self.between(600, 5 * 3600)
        t_last = t
        for k in range(n_pre):
            extra = ""
            if prompter is not None:
                extra = self.trailer(prompter)
            elif claude and (k == 0 or self.r() < 0.5):
                extra = CLAUDE_TRAILER.strip("\n")
            if coauthor is not None and k == n_pre - 1:
                extra = (extra + "\n\n" + self.trailer(coauthor)).strip("\n")
            headline = subject if k == 0 else f"{self.pick(VERBS).capitalize()} {noun} tests"
            if prompter is not None and k == 0:
                headline = "Initial plan"
            add_commit(t, headline, who, extra)
            t_last = t
            t += self.between(60, 600)
        # pushes during review (before the approval)
        n_push = 0 if (approval_kind == "rubber-stamp" or trunc_commits) else int(self.r() * 2.2)
        if near in ("changes-requested-then-approved", "large-slow-approval"):
            n_push = max(n_push, 1) if near.startswith("changes") else 0
        if akind == "bot":
            n_push = 0
        t = created + self.between(600, 3 * 3600)
        cr_time = None
        if near == "changes-requested-then-approved":
            cr_time = created + self.between(300, 3600)
            t = cr_time + self.between(600, 7200)
        reviews: list[dict[str, object]] = []
        for _ in range(n_push):
            add_commit(t, f"Address review: {self.pick(VERBS)} {noun}", who)
            t_last = t
            t += self.between(300, 7200)
        if approval_kind == "reviewer-pushed-commit":
            add_commit(t, f"Merge branch 'main' into {branch}", reviewer)
            t_last = t
            t += self.between(120, 1800)
        if approval_kind == "applied-suggestion-approval":
            add_commit(t, "Apply suggestions from code review", who, self.trailer(reviewer))
            t_last = t
            t += self.between(120, 1800)
        if (
            akind == "human"
            and not kinds
            and near is None
            and self.r() < 0.1
            and approval_kind is None
        ):
            add_commit(t, f"Merge branch 'main' into {branch}", who)
            t_last = t
            t += self.between(120, 1800)

        def review(
            u: dict[str, object] | str,
            state: str,
            when: int,
            oid: str,
            body: str = "",
            assoc: str | None = None,
        ) -> None:
            login = u if isinstance(u, str) else str(u["login"])
            if assoc is None:
                assoc = "NONE" if isinstance(u, str) else str(u.get("assoc", "CONTRIBUTOR"))
            reviews.append(
                {
                    "author": {"login": login},
                    "authorAssociation": assoc,
                    "body": body,
                    "commit": {"oid": oid},
                    "id": "PRR_kwDOAB" + self.h("review", num, len(reviews))[:12],
                    "includesCreatedEdit": False,
                    "reactionGroups": [],
                    "state": state,
                    "submittedAt": ts(when),
                    "_t": when,
                }
            )

        head = str(commits[-1]["oid"])
        ready = max(created, t_last)
        latency = self.between(900, 4 * 3600) if lines >= 500 else self.between(300, 3 * 3600)
        if approval_kind == "rubber-stamp":
            latency = self.between(15, 110)
        elif near == "small-fast-approval":
            latency = 30
        elif near == "large-slow-approval":
            latency = self.between(900, 2400)
        t_appr = ready + latency
        approval_body = (
            ""
            if (lines >= 500 or self.r() < 0.6)
            else self.pick(["LGTM", "Looks good, thanks!", "Nice cleanup."])
        )
        if approval_kind == "rubber-stamp" or near in (
            "small-fast-approval",
            "large-slow-approval",
        ):
            approval_body = ""
        if cr_time is not None:
            review(
                reviewer, "CHANGES_REQUESTED", cr_time, str(commits[0]["oid"]), "Please add tests."
            )
        if self.r() < 0.25 and approval_kind is None and not trunc_commits:
            skip = [str(reviewer["login"])] + ([str(coauthor["login"])] if coauthor else [])
            other = self.human_except(*authors_set, *skip)
            review(other, "COMMENTED", ready + self.between(60, latency), head, "A question.")
        labels = [self.pick(TOPIC_LABELS)] if self.r() < 0.6 else []
        if akind == "bot":
            labels = ["dependencies"]
        if emergency:
            labels = ["hotfix"]
        merged_by = author if (akind == "human" or claude) else reviewer
        if akind == "ai" and prompter is not None:
            merged_by = prompter
        t_merge_min = t_appr
        post_merge: list[tuple] = []  # reviews submitted after merge: (u, state, delay, body)

        if approval_kind is None or approval_kind in (
            "rubber-stamp",
            "emergency-no-retro-checks",
            "truncated-commits",
        ):
            if near == "emergency-retro-review":
                merged_by = author
                t_merge_min = created + self.between(300, 1800)
                retro = self.human_except(*authors_set)
                if self.r() < 0.6:
                    post_merge.append((retro, "APPROVED", self.between(3600, 60 * 3600), ""))
                else:
                    post_merge.append(
                        (
                            retro,
                            "COMMENTED",
                            self.between(3600, 60 * 3600),
                            "Retro review: the fix is correct; follow-up tracked.",
                        )
                    )
            else:
                review(reviewer, "APPROVED", t_appr, head, approval_body)
                if near == "self-merge-after-approval":
                    merged_by = author
                elif self.r() < 0.3:
                    merged_by = reviewer
        elif approval_kind in ("no-approval", "commented-only", "emergency-no-retro-approval"):
            if approval_kind == "commented-only":
                review(reviewer, "COMMENTED", t_appr, head, "Some thoughts inline.")
            t_merge_min = created + self.between(300, 3600)
            merged_by = author if author is not None else reviewer
        elif approval_kind == "merged-by-colleague":
            merged_by = reviewer
            t_merge_min = created + self.between(600, 6 * 3600)
        elif approval_kind == "lgtm-label-only":
            labels.append("lgtm")
            merged_by = author if author is not None else reviewer
        elif approval_kind == "bot-approval" or approval_kind == "ai-bot-approval":
            review("github-actions", "APPROVED", t_appr, head, "Auto-approved.")
            if approval_kind == "ai-bot-approval":
                review(
                    "copilot-pull-request-reviewer",
                    "COMMENTED",
                    ready + 120,
                    head,
                    "Copilot reviewed 3 files.",
                )
        elif approval_kind == "ai-no-approval":
            review(
                "copilot-pull-request-reviewer",
                "COMMENTED",
                ready + 120,
                head,
                "Copilot reviewed 4 files.",
            )
            t_merge_min = ready + 600
        elif approval_kind == "approval-withdrawn":
            review(reviewer, "APPROVED", t_appr, head)
            t_appr += self.between(600, 7200)
            review(reviewer, "CHANGES_REQUESTED", t_appr, head, "Wait, this breaks refunds.")
        elif approval_kind == "approval-dismissed":
            review(reviewer, "DISMISSED", t_appr, head)
        elif approval_kind == "approval-after-merge":
            t_merge_min = created + self.between(300, 3600)
            merged_by = author
            post_merge.append((reviewer, "APPROVED", self.between(600, 48 * 3600), ""))
        elif approval_kind == "approval-no-write-access":
            review(self.pick(self.outsiders), "APPROVED", t_appr, head, "", "CONTRIBUTOR")
        elif approval_kind in (
            "coauthor-trailer-approval",
            "applied-suggestion-approval",
            "reviewer-pushed-commit",
            "ai-coauthor-approval",
        ):
            review(reviewer, "APPROVED", t_appr, head)
        elif approval_kind == "ai-prompter-approval":
            review(prompter, "APPROVED", t_appr, head)  # type: ignore[arg-type]
        elif approval_kind == "stale-approval-push":
            review(reviewer, "APPROVED", t_appr, head, approval_body)
            t = t_appr + self.between(300, 7200)
            for _ in range(1 + int(self.r() * 2)):
                add_commit(t, f"{self.pick(VERBS).capitalize()} {noun} edge case", who)
                t += self.between(120, 3600)
            t_merge_min = t
        elif approval_kind == "stale-approval-force-push":
            gone = self.h("force-pushed", num)
            review(reviewer, "APPROVED", t_appr, gone, approval_body)
            # the force push replaced the last commit: same headline, new oid, later date
            last = commits[-1]
            last["oid"] = self.h("commit-after-force-push", num)
            t = t_appr + self.between(300, 7200)
            last["committedDate"] = ts(t)
            t_merge_min = t
        elif approval_kind == "truncated-reviews":
            pool = [u for u in self.humans if u["login"] not in authors_set]
            for k in range(100):
                u = pool[k % len(pool)]
                state = "COMMENTED"
                if k == 99 and self.r() < 0.5:
                    state = "APPROVED"
                review(
                    u,
                    state,
                    ready + 60 * (k + 1),
                    head,
                    "" if state == "APPROVED" else f"Note {k}.",
                )
            t_merge_min = ready + 60 * 101
        if emergency and approval_kind == "emergency-no-retro-approval":
            merged_by = author
            if self.r() < 0.5:
                late = self.human_except(*authors_set)
                post_merge.append((late, "APPROVED", self.between(80 * 3600, 240 * 3600), ""))
        if approval_kind == "emergency-no-retro-checks" and self.r() < 0.5:
            late = self.human_except(*authors_set)
            post_merge.append((late, "APPROVED", self.between(80 * 3600, 240 * 3600), ""))

        t_merge_min = max([t_merge_min] + [int(rv.pop("_t")) for rv in reviews])
        head = str(commits[-1]["oid"])
        # gh lists commits(first: 100): half the time the PR has more, head not listed
        if trunc_commits and self.r() < 0.5:
            head = self.h("commit-beyond-100", num)
            for rv in reviews:
                rv["commit"] = {"oid": head}
        t_last_commit = max(epoch(str(c["committedDate"])) for c in commits)

        # checks, on head
        checks_start = max(t_last_commit, created) + self.between(10, 60)
        checks: list[dict[str, object]] = []

        def run(name: str, wf: str, concl: str, start: int, dur: int) -> None:
            checks.append(
                {
                    "__typename": "CheckRun",
                    "completedAt": ts(start + dur),
                    "conclusion": concl,
                    "detailsUrl": f"https://github.com/{OWNER}/{REPO}/actions/runs/"
                    f"{int(self.h('run', num, name)[:9], 16)}",
                    "name": name,
                    "startedAt": ts(start),
                    "status": "COMPLETED",
                    "workflowName": wf,
                }
            )

        def status(ctx: str, state: str, when: int, url: str) -> None:
            checks.append(
                {
                    "__typename": "StatusContext",
                    "context": ctx,
                    "startedAt": ts(when),
                    "state": state,
                    "targetUrl": url,
                }
            )

        run("build", "ci", "SUCCESS", checks_start, self.between(60, 400))
        run("test", "ci", "SUCCESS", checks_start, self.between(200, 1200))
        run("lint", "ci", "SUCCESS", checks_start, self.between(30, 200))
        status("security/snyk", "SUCCESS", checks_start + 40, "https://app.snyk.io/org/acme")
        if akind != "bot":
            status(
                "codecov/patch",
                "SUCCESS",
                checks_start + 900,
                "https://app.codecov.io/gh/acme/shop",
            )
        done = checks_start + 1300
        if near == "nonrequired-check-failing":
            if akind == "bot" or self.r() < 0.5:
                checks[2]["conclusion"] = "FAILURE"
            else:
                checks[-1]["state"] = self.pick(["FAILURE", "ERROR"])
        if near == "required-check-skipped":
            checks[self.pick([0, 1])]["conclusion"] = self.pick(["SKIPPED", "NEUTRAL"])
        if check_kind in ("required-check-failing", "emergency-no-retro-checks"):
            c = self.pick([0, 1, 3])
            if c == 3:
                checks[3]["state"] = self.pick(["FAILURE", "ERROR"])
            else:
                checks[c]["conclusion"] = self.pick(
                    ["FAILURE", "FAILURE", "TIMED_OUT", "CANCELLED"]
                )
        elif check_kind == "required-check-missing":
            if self.r() < 0.2:
                checks = []
            else:
                del checks[self.pick([0, 1, 3])]
        elif check_kind == "required-check-pending":
            c = self.pick([0, 1, 3])
            if c == 3:
                checks[3]["state"] = "PENDING"
            else:
                checks[c]["status"] = self.pick(["IN_PROGRESS", "QUEUED"])
                checks[c]["conclusion"] = ""
                checks[c]["completedAt"] = PENDING_TIME

        t_merge = max(t_merge_min, done) + self.between(60, 3 * 3600)
        if approval_kind in ("no-approval", "commented-only", "emergency-no-retro-approval") or (
            near == "emergency-retro-review"
        ):
            t_merge = max(t_merge_min, done) + self.between(60, 1800)
        for rv in reviews:
            assert rv["submittedAt"] <= ts(t_merge), (num, kinds, near)
        if check_kind == "check-green-after-merge":
            c = self.pick([0, 1])
            start = t_merge + self.between(30, 1800)
            checks[c]["startedAt"] = ts(start)
            checks[c]["completedAt"] = ts(start + self.between(60, 900))
        for who_, state, delay, body_ in post_merge:
            review(who_, state, t_merge + delay, head, body_)
            reviews[-1].pop("_t")

        pr = {
            "additions": additions,
            "author": author_json,
            "baseRefName": "main",
            "body": body,
            "changedFiles": changed_files,
            "closingIssuesReferences": closing,
            "commits": commits,
            "createdAt": ts(created),
            "deletions": deletions,
            "headRefName": branch,
            "headRefOid": head,
            "labels": [
                {
                    "color": "d73a4a" if name == "hotfix" else "ededed",
                    "description": "",
                    "id": "LA_kwDOAB" + self.h("label", name)[:10],
                    "name": name,
                }
                for name in labels
            ],
            "mergeCommit": {"oid": self.h("merge", num)},
            "mergedAt": ts(t_merge),
            "mergedBy": self.gh_user(merged_by),  # type: ignore[arg-type]
            "number": num,
            "reviews": reviews,
            "statusCheckRollup": checks,
            "title": title,
            "url": f"https://github.com/{OWNER}/{REPO}/pull/{num}",
        }
        # facts the extended model (World) builds on; dropped before the dump is written
        pr["_x"] = {
            "akind": akind,
            "claude": claude,
            "bot": bot,
            "author": None if author is None else str(author["login"]),
            "prompter": None if prompter is None else str(prompter["login"]),
            "reviewer": str(reviewer["login"]),
            "merged_by": str(merged_by["login"]),  # type: ignore[index]
            "merged_by_uid": int(merged_by["uid"]),  # type: ignore[index, call-overload]
            "created": created,
            "ready": ready,
            "t_appr": t_appr,
            "t_merge": t_merge,
            "lines": lines,
            "who": {
                k: (who if "email" in who else self.commit_author(who))[k]
                for k in ("name", "email", "login")
            },
            "emergency": emergency,
            "approval_kind": approval_kind,
            "check_kind": check_kind,
            "gone": (
                self.h("force-pushed", num)
                if approval_kind == "stale-approval-force-push"
                else None
            ),
        }
        rules = sorted({r for k in kinds for r in KINDS[k][0]})
        return pr, rules, kinds, near


# ---------------------------------------------------------------------------------------------
# The extended model (any of --git, --graphql, --activity, --code-owners). Built on the pull
# requests above without drawing from their random stream (a second Random, seeded apart), so
# the dump without these flags stays byte-identical. One model, whatever is emitted: merge
# methods, the production branch's commit graph (merge, squash, rebase, merge-queue merges and
# planted direct pushes), files and CODEOWNERS, timeline events, the branch's activity and rule
# suites, with their own planted violations and near-misses.

SINCE, UNTIL = "2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z"
COLLECTED_AT = "2027-01-04T06:00:00Z"
T_INITIAL = calendar.timegm((2025, 12, 1, 9, 0, 0))
T_CODEOWNERS_CHANGE = calendar.timegm((2026, 7, 1, 0, 0, 0))
T_COLLECTED = calendar.timegm((2027, 1, 4, 6, 0, 0))
GITHUB_IDENT = ("GitHub", "noreply@github.com", "web-flow")
SCRATCH = "refs/gen-changes/scratch"  # the ref fast-import builds the pull requests' commits on
REVIEW_BOTS = frozenset({"github-actions", "copilot-pull-request-reviewer"})
OWNED_V1 = ("payment", "refund", "tax", "invoice")
UNOWNED_AREAS = tuple(n for n in NOUNS if n not in (*OWNED_V1, "checkout"))
STEMS = ("service", "model", "api", "view", "utils", "client", "store", "schema", "handler")
CHECK_NEAR = ("nonrequired-check-failing", "required-check-skipped")
QUERY_PATH = Path(__file__).resolve().parent.parent / "soc2lint" / "changes" / "query.py"

# planted on top of the pull-request kinds: (rule ids, what)
EXT_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "code-owner-not-approved": (
        ("CM011",),
        "changes a file CODEOWNERS assigns (at the base commit); approved only by a non-owner",
    ),
    "code-owner-changed-at-base": (
        ("CM011",),
        "changes a file that got (new) owners in the mid-period CODEOWNERS change before its "
        "base commit; approved only by someone who is no owner at the base",
    ),
    "dismissed-by-merger": (
        ("CM007",),
        "the merger dismissed a CHANGES_REQUESTED review, then merged (timeline: GraphQL only)",
    ),
}
COMMIT_KINDS = {
    "direct-push": "a commit pushed straight to main",
    "web-editor-commit": "a commit made in GitHub's web editor on main (committer GitHub)",
    "fake-merge-message": "a single-parent commit 'Merge pull request #N from ...' for a pull "
    "request merged as another commit",
    "fake-merge-message-unknown-pr": "a single-parent 'Merge pull request #N' commit naming "
    "no pull request",
    "fake-squash-subject": "a direct commit whose subject ends in '(#N)' like a squash merge",
}
EVENT_KINDS = {
    "force-push-main": "a force push to main (activity)",
    "force-push-main-bypass": "the rule suite of a force push to main: result bypass",
    "direct-push-bypass": "the rule suite of a direct push to main: result bypass",
    "missing-rule-suite-month": "one month of the period has no rule-suites file",
}
EXT_NEAR = {
    "code-owner-approved": "changes an owned file; an owner at the base commit approved",
    "unowned-at-base": "changes src/checkout/ before CODEOWNERS gave it owners; non-owner approval",
    "former-owner-at-base": "changes src/tax/ before its owners changed; approved by an owner "
    "at the base commit (no longer one in the working tree's CODEOWNERS)",
    "unowned-lookalike": "changes src/payments/ or test/src/payment/ (not under /src/payment/)",
    "dismissed-by-other": "a CHANGES_REQUESTED review dismissed by someone other than the merger",
    "force-push-before-approval": "a force push to the head branch before the approval on head",
    "many-force-pushes-before-approval": "55-70 force pushes before the approval on head "
    "(timeline needs a follow-up page)",
    "base-changed-before-merge": "a stacked PR whose base was changed to main before the merge",
    "emergency-label-after-merge": "a clean PR labelled hotfix only after its merge",
    "codeowners-change": "the PR that changed .github/CODEOWNERS mid-period",
    "force-push-other-branch": "a force push to a pull request's branch (not production)",
    "force-push-before-period": "a force push to main before the period",
    "rule-suite-fail": "a rule suite with result fail (the push was blocked)",
}


class Rng:
    """The extended model's own random stream (random() only)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(int(hashlib.sha1(f"world|{seed}".encode()).hexdigest()[:15], 16))

    def r(self) -> float:
        return self.rng.random()

    def pick(self, seq):  # noqa: ANN001, ANN201
        return seq[int(self.r() * len(seq))]

    def between(self, lo: float, hi: float) -> int:
        return int(lo + (hi - lo) * self.r())


class GCommit:
    """A commit of the model's repository; `fake` is its id until git names it."""

    __slots__ = (
        "fake",
        "parents",
        "author",
        "committer",
        "adate",
        "cdate",
        "message",
        "changes",
        "ref",
        "gen",
        "mark",
        "pull",
    )

    def __init__(
        self,
        fake: str,
        parents: list[GCommit],
        author: tuple[str, str, str | None],
        committer: tuple[str, str, str | None],
        adate: int,
        cdate: int,
        message: str,
        changes: dict[str, str],
        ref: str,
        pull: int | None = None,
    ) -> None:
        self.fake = fake
        self.parents = parents
        self.author = author
        self.committer = committer
        self.adate = adate
        self.cdate = cdate
        self.message = message
        self.changes = changes
        self.ref = ref
        self.gen = 1 + max((p.gen for p in parents), default=0)
        self.mark = 0
        self.pull = pull  # the merged pull request GitHub associates it with


class PR:
    """One pull request of the model with what the extended model adds to it."""

    def __init__(self, pr: dict, rules: list[str], kinds: list[str], near: str | None) -> None:
        self.pr = pr
        self.x: dict = pr.pop("_x")
        self.number: int = int(pr["number"])
        self.rules = rules
        self.kinds = kinds
        self.near = near
        self.commits: list[dict] = list(pr["commits"])  # every commit (gh lists the first 100)
        self.method = "merge"
        self.files: list[tuple[str, int, int]] = []
        self.events: list[tuple[int, dict]] = []  # (time, timeline node)
        self.ext_kind: str | None = None
        self.ext_near: str | None = None
        self.updated = 0
        self.merge_index = 0  # position in merge order
        self.chain: list[GCommit] = []  # its commits on main (merge / squash / rebased)
        self.base: GCommit | None = None  # main before its merge
        self.head: GCommit | None = None
        self.branch: list[GCommit] = []  # its own commits
        self.own: dict[str, str] = {}
        self.codeowners_v2 = False  # CODEOWNERS at its base commit is the mid-period version

    @property
    def t_merge(self) -> int:
        return int(self.x["t_merge"])

    @property
    def clean(self) -> bool:
        return not self.rules and self.near is None and self.x["akind"] == "human"


class World:
    """The extended model over the generated pull requests (in creation order)."""

    def __init__(self, gen: Gen, items: list[tuple], rate: float, near_rate: float) -> None:
        self.g = gen
        self.q = load_query()
        self.rng = Rng(gen.seed)
        self.rate = rate
        self.near_rate = near_rate
        self.prs = [PR(*item) for item in items]
        self.by_number = {p.number: p for p in self.prs}
        self.merged = sorted(self.prs, key=lambda p: (p.t_merge, p.number))
        for i, p in enumerate(self.merged):
            p.merge_index = i
        self.humans = gen.humans
        self.admins = gen.humans[:6]
        picked: list[dict] = []
        while len(picked) < 10:
            u = self.rng.pick(self.humans)
            if u not in picked:
                picked.append(u)
        self.owner = [str(u["login"]) for u in picked]
        o = self.owner
        self.owners_v1 = {
            "src/payment/": (o[0], o[1]),
            "src/refund/": (o[2],),
            "src/tax/": (o[3], o[4]),
            "src/invoice/": (o[5],),
            "db/migrations/": (o[6],),
        }
        self.owners_v2 = {**self.owners_v1, "src/checkout/": (o[8], o[9]), "src/tax/": (o[7],)}
        self.codeowners_v1 = (
            "# Code owners of acme/shop. The last matching pattern takes precedence.\n"
            "# A change to an owned path needs an approval from one of its owners.\n\n"
            + "".join(
                f"/{path:<16}{' '.join('@' + w for w in who)}\n"
                for path, who in self.owners_v1.items()
            )
        )
        self.codeowners_v2 = (
            self.codeowners_v1
            + "\n# 2026-07: checkout gets owners; tax moves to one owner (this line wins)\n"
            + f"/{'src/checkout/':<16}@{o[8]} @{o[9]}\n"
            + f"/{'src/tax/':<16}@{o[7]}\n"
        )
        # the pull request that changes CODEOWNERS: the first clean one merged in July or later
        self.codeowners_pr = next(
            (p for p in self.merged if p.t_merge >= T_CODEOWNERS_CHANGE and p.clean), None
        )
        if self.codeowners_pr is not None:
            self.codeowners_pr.ext_near = "codeowners-change"
            for p in self.merged:
                p.codeowners_v2 = p.merge_index > self.codeowners_pr.merge_index
        self.commit_truth: dict[str, tuple[str, str]] = {}  # fake oid -> (kind, what)
        self.activity: list[dict] = []
        self.rule_suites: dict[str, list[dict]] = {}
        self.event_truth: dict[str, str] = {}  # event:...:id -> kind
        self.event_near: dict[str, str] = {}
        self.missing_month = f"2026-{self.rng.between(2, 12):02d}"
        for p in self.prs:
            self._shape(p)
        self.order: list[GCommit] = []
        self._graph()
        self._events()

    # -- helpers --
    def h(self, *parts: object) -> str:
        return self.g.h("world", *parts)

    def human(self, *not_logins: str | None) -> dict:
        while True:
            u = self.rng.pick(self.humans)
            if u["login"] not in not_logins:
                return u

    def owners_at(self, p: PR) -> dict[str, tuple[str, ...]]:
        return self.owners_v2 if p.codeowners_v2 else self.owners_v1

    @staticmethod
    def person(login: str | None) -> dict | None:
        return None if login is None else {"login": login}

    # -- per pull request: merge method, extra commits, timeline, files, plants --
    def _shape(self, p: PR) -> None:
        rng, x, num = self.rng, p.x, p.number
        created, t_merge = int(x["created"]), p.t_merge
        headlines = [str(c["messageHeadline"]) for c in p.commits]
        y = rng.r()
        p.method = (
            "merge" if y < 0.40 else "squash" if y < 0.85 else "rebase" if y < 0.95 else "queue"
        )
        if p.method == "rebase" and (
            any(hl.startswith("Merge branch ") for hl in headlines)
            or len(p.commits) > 30
            or "truncated-commits" in p.kinds
        ):
            p.method = "squash"
        if p.method == "queue" and (x["check_kind"] or p.near in CHECK_NEAR):
            p.method = "merge"
        # a pull request with more than 100 commits: gh listed the first 100, head is later
        if p.pr["headRefOid"] != p.commits[-1]["oid"]:
            last = p.commits[-1]
            t0 = epoch(str(last["committedDate"]))
            extra = rng.between(1, 41)
            for k in range(extra):
                t = t0 + 10 * (k + 1)
                oid = str(p.pr["headRefOid"]) if k == extra - 1 else self.h("beyond", num, k)
                p.commits.append(
                    {
                        "authoredDate": ts(t),
                        "authors": last["authors"],
                        "committedDate": ts(t),
                        "messageBody": "",
                        "messageHeadline": f"Continue step {101 + k}",
                        "oid": oid,
                    }
                )
        # timeline
        actor = self._actor_of(p)
        for name in [str(label["name"]) for label in p.pr["labels"]]:
            t = created + rng.between(5, 900)
            if t >= t_merge:
                t = created + (t_merge - created) // 2
            p.events.append((t, self._labeled(t, actor, name)))
        if x["prompter"] is not None and not x["claude"]:
            t = created + rng.between(1, 30)
            p.events.append(
                (
                    t,
                    {
                        "__typename": "AssignedEvent",
                        "createdAt": ts(t),
                        "actor": {"login": x["prompter"]},
                        "assignee": {"__typename": "Bot", "login": "Copilot"},
                    },
                )
            )
        ready = int(x["ready"])
        if ready > created and (x["prompter"] is not None or rng.r() < 0.2):
            p.events.append((ready, {"__typename": "ReadyForReviewEvent", "createdAt": ts(ready)}))
        if p.method == "queue":
            t = t_merge - rng.between(30, 60)
            p.events.append(
                (
                    t,
                    {
                        "__typename": "AddedToMergeQueueEvent",
                        "createdAt": ts(t),
                        "actor": {"login": x["merged_by"]},
                    },
                )
            )
        for rv in p.pr["reviews"]:
            if rv["state"] == "DISMISSED":  # the approval-dismissed kind: someone dismissed it
                t0 = epoch(str(rv["submittedAt"]))
                t = t0 + max(1, (t_merge - t0) // 2)
                by = self.human(x["merged_by"], x["author"], str(rv["author"]["login"]))
                p.events.append((t, self._dismissed(t, str(by["login"]), "APPROVED", self.db(rv))))
        if x["gone"] is not None:  # stale-approval-force-push: the approved commit was replaced
            t = epoch(str(p.commits[-1]["committedDate"]))
            p.events.append(
                (t, self._force_pushed(t, actor, str(x["gone"]), str(p.commits[-1]["oid"])))
            )
        self._extra(p)
        p.files = self._files(p)
        after = [t_merge] + [epoch(str(rv["submittedAt"])) for rv in p.pr["reviews"]]
        after += [t for t, _ in p.events]
        p.updated = max(after) + rng.between(1, 1800)
        if rng.r() < 0.1:  # a comment long after the merge
            p.updated = min(p.updated + rng.between(3600, 20 * 86400), T_COLLECTED - 3600)
        p.events.sort(key=lambda e: e[0])
        p.pr["reviews"].sort(key=lambda rv: str(rv["submittedAt"]))

    def _actor_of(self, p: PR) -> str | None:
        x = p.x
        if x["akind"] == "bot":
            return str(x["bot"])
        if x["prompter"] is not None and not x["claude"]:
            return str(x["prompter"])
        return x["author"] or x["reviewer"]

    @staticmethod
    def _labeled(t: int, actor: str | None, name: str) -> dict:
        return {
            "__typename": "LabeledEvent",
            "createdAt": ts(t),
            "actor": None if actor is None else {"login": actor},
            "label": {"name": name},
        }

    @staticmethod
    def _dismissed(t: int, actor: str, previous: str, database_id: int) -> dict:
        return {
            "__typename": "ReviewDismissedEvent",
            "createdAt": ts(t),
            "actor": {"login": actor},
            "dismissalMessage": "Outdated; addressed in a follow-up."
            if previous == "APPROVED"
            else "Discussed offline, merging as is.",
            "previousReviewState": previous,
            "review": {"databaseId": database_id},
        }

    @staticmethod
    def _force_pushed(t: int, actor: str | None, before: str, after: str) -> dict:
        return {
            "__typename": "HeadRefForcePushedEvent",
            "createdAt": ts(t),
            "actor": None if actor is None else {"login": actor},
            "beforeCommit": {"oid": before},
            "afterCommit": {"oid": after},
        }

    @staticmethod
    def db(review: dict) -> int:
        """A review's databaseId, from its node id."""
        digest = hashlib.sha1(str(review["id"]).encode()).hexdigest()
        return 2_000_000_000 + int(digest[:8], 16) % 1_000_000_000

    def _extra(self, p: PR) -> None:
        """An extra planted violation or near-miss on a clean pull request."""
        rng, x = self.rng, p.x
        if not p.clean or p.ext_near is not None:
            return
        reviewer, author, merger = x["reviewer"], x["author"], x["merged_by"]
        owners = self.owners_at(p)
        owned_by = [d for d, who in owners.items() if reviewer in who]
        not_owned = [d for d, who in owners.items() if reviewer not in who]
        small = int(p.pr["changedFiles"]) <= 90
        choice: str | None = None
        if rng.r() < self.rate * 0.25:
            y = rng.r()
            if y < 0.35:
                choice = "dismissed-by-merger"
            elif (
                small
                and y < 0.55
                and p.codeowners_v2
                and (
                    reviewer in self.owners_v1["src/tax/"]
                    or reviewer not in self.owners_v2["src/checkout/"]
                )
            ):
                choice = "code-owner-changed-at-base"
            elif small and not_owned:
                choice = "code-owner-not-approved"
            if choice is not None:
                p.ext_kind = choice
        elif rng.r() < self.near_rate * 0.6:
            options = [
                "dismissed-by-other",
                "force-push-before-approval",
                "base-changed-before-merge",
                "emergency-label-after-merge",
                "unowned-lookalike",
            ]
            if small and owned_by:
                options += ["code-owner-approved"] * 3
            if small and not p.codeowners_v2:
                options.append("unowned-at-base")
                if reviewer in self.owners_v1["src/tax/"]:
                    options += ["former-owner-at-base"] * 5
            if int(x["lines"]) < 500 and len(p.commits) < 50:
                options.append("many-force-pushes-before-approval")
            choice = rng.pick(options)
            p.ext_near = choice
        if choice is None:
            return
        num, created, t_merge = p.number, int(x["created"]), p.t_merge
        t_appr = int(x["t_appr"])
        if choice in ("dismissed-by-merger", "dismissed-by-other"):
            who = self.human(author, reviewer, merger)
            tx = created + max(1, int((t_merge - 180 - created) * (0.2 + 0.5 * rng.r())))
            at = [c for c in p.commits if epoch(str(c["committedDate"])) <= tx] or p.commits[:1]
            p.pr["reviews"].append(
                {
                    "author": {"login": who["login"]},
                    "authorAssociation": who["assoc"],
                    "body": "Please split this change before it goes in.",
                    "commit": {"oid": at[-1]["oid"]},
                    "id": "PRR_kwDOAB" + self.h("review-x", num)[:12],
                    "includesCreatedEdit": False,
                    "reactionGroups": [],
                    "state": "DISMISSED",
                    "submittedAt": ts(tx),
                }
            )
            td = tx + max(1, int((t_merge - tx) * (0.2 + 0.6 * rng.r())))
            by = (
                merger
                if choice == "dismissed-by-merger"
                else str(self.human(merger, author)["login"])
            )
            p.events.append(
                (td, self._dismissed(td, by, "CHANGES_REQUESTED", self.db(p.pr["reviews"][-1])))
            )
        elif choice == "force-push-before-approval":
            t = max(created + 1, epoch(str(p.commits[-1]["committedDate"])))
            t = min(t, t_appr - 150)
            p.events.append(
                (
                    t,
                    self._force_pushed(
                        t, author, self.h("rewritten", num), str(p.commits[-1]["oid"])
                    ),
                )
            )
        elif choice == "many-force-pushes-before-approval":
            n = rng.between(55, 71)
            start, end = created + 1, t_appr - 150
            step = max(1, (end - start) // (n + 1))
            for k in range(n):
                t = min(start + step * (k + 1), end)
                after = str(p.commits[-1]["oid"]) if k == n - 1 else self.h("rewrite", num, k)
                before = self.h("rewrite", num, k - 1) if k else self.h("rewritten", num)
                p.events.append((t, self._force_pushed(t, author, before, after)))
        elif choice == "base-changed-before-merge":
            t = created + max(1, (min(t_appr, t_merge) - created) // 3)
            p.events.append(
                (
                    t,
                    {
                        "__typename": "BaseRefChangedEvent",
                        "createdAt": ts(t),
                        "previousRefName": f"{author}/stack-base-{num - 1}",
                        "currentRefName": "main",
                    },
                )
            )
        elif choice == "emergency-label-after-merge":
            t = t_merge + rng.between(600, 48 * 3600)
            p.pr["labels"].append(
                {
                    "color": "d73a4a",
                    "description": "",
                    "id": "LA_kwDOAB" + self.g.h("label", "hotfix")[:10],
                    "name": "hotfix",
                }
            )
            p.events.append((t, self._labeled(t, author, "hotfix")))

    def _files(self, p: PR) -> list[tuple[str, int, int]]:
        """(path, additions, deletions) of every changed file; the extra kinds pick owned ones."""
        rng, x = self.rng, p.x
        n = max(1, int(p.pr["changedFiles"]))
        if x["akind"] == "bot":
            paths = ["package.json", "package-lock.json", "yarn.lock"][:n]
        else:
            area = rng.pick(UNOWNED_AREAS)
            first: list[str] = []
            kind = p.ext_kind or p.ext_near
            reviewer = x["reviewer"]
            owners = self.owners_at(p)
            stem = rng.pick(STEMS)
            if kind == "code-owner-not-approved":
                d = rng.pick([d for d, who in owners.items() if reviewer not in who])
                first = [f"{d}{stem}.ts"]
            elif kind == "code-owner-changed-at-base":
                if reviewer in self.owners_v1["src/tax/"]:
                    first = [f"src/tax/{stem}.ts"]
                else:
                    first = [f"src/checkout/{stem}.ts"]
            elif kind == "code-owner-approved":
                d = rng.pick([d for d, who in owners.items() if reviewer in who])
                first = [f"{d}{stem}.ts"]
            elif kind == "unowned-at-base":
                first = [f"src/checkout/{stem}.ts"]
            elif kind == "former-owner-at-base":
                first = [f"src/tax/{stem}.ts"]
            elif kind == "unowned-lookalike":
                first = [rng.pick([f"src/payments/{stem}.ts", f"test/src/payment/{stem}.test.ts"])]
            elif kind == "codeowners-change":
                first = [".github/CODEOWNERS"]
            paths = first[:n]
            k = 0
            while len(paths) < n:
                top, ext = (("src", "ts"), ("tests", "test.ts"), ("docs", "md"))[k % 3]
                paths.append(f"{top}/{area}/{STEMS[k % len(STEMS)]}{k // len(STEMS) or ''}.{ext}")
                k += 1
        adds, dels = int(p.pr["additions"]), int(p.pr["deletions"])
        m = len(paths)
        return [
            (path, adds // m + (i < adds % m), dels // m + (i < dels % m))
            for i, path in enumerate(paths)
        ]

    # -- the production branch and the pull requests' commits --
    @staticmethod
    def ident(c: dict) -> tuple[str, str, str | None]:
        a = c["authors"][0]
        return (str(a["name"]), str(a["email"]), str(a["login"]) or None)

    def user_ident(self, login: str) -> tuple[str, str, str | None]:
        u = next(h for h in self.humans if h["login"] == login)
        return (str(u["name"]), Gen.email(u), login)

    def _graph(self) -> None:
        """Every commit, in an order git can import (parents first), and the direct pushes."""
        rng = self.rng
        admin = self.admins[0]
        init = GCommit(
            self.h("initial"),
            [],
            self.user_ident(str(admin["login"])),
            self.user_ident(str(admin["login"])),
            T_INITIAL,
            T_INITIAL,
            "Initial commit\n",
            {
                "README.md": "# shop\n\nacme's storefront.\n",
                ".github/CODEOWNERS": self.codeowners_v1,
            },
            "refs/heads/main",
        )
        self.order.append(init)
        chain = [init]
        self.init = init
        self.updates: list[tuple[int, str, str, GCommit, GCommit]] = []
        # the planted direct pushes, in gaps between merges
        merges = self.merged
        n_direct = max(5, round(len(self.prs) * self.rate * 0.04))
        directs: list[tuple[int, int, str, dict, int]] = []  # (time, k, kind, pusher, before#)
        kinds = list(COMMIT_KINDS)
        gaps = [
            i for i in range(len(merges) - 1) if merges[i + 1].t_merge - merges[i].t_merge >= 300
        ]
        for k in range(n_direct if gaps else 0):
            i = rng.pick(gaps)
            lo, hi = merges[i].t_merge, merges[i + 1].t_merge
            t = lo + rng.between(60, hi - lo - 60)
            directs.append((t, k, kinds[k % len(kinds)], rng.pick(self.admins), i))
        events: list[tuple[int, int, int, int]] = []
        for p in self.prs:
            for k, c in enumerate(p.commits):
                events.append((epoch(str(c["committedDate"])), 0, p.number, k))
        for p in merges:
            events.append((p.t_merge, 1, p.number, 0))
        for t, k, *_ in directs:
            events.append((t, 1, 0, k))
        events.sort()
        state: dict[int, tuple[GCommit, int]] = {}  # number -> (last commit, main index based on)
        self.chain = chain
        for _, rank, num, k in events:
            if rank == 0:
                p = self.by_number[num]
                c = p.commits[k]
                hl = str(c["messageHeadline"])
                if k == 0:
                    prev, based = chain[-1], len(chain) - 1
                else:
                    prev, based = state[num]
                message = hl + ("\n\n" + str(c["messageBody"]) if c["messageBody"] else "") + "\n"
                if hl.startswith("Merge branch 'main' into"):
                    changes: dict[str, str] = {}
                    for m in chain[based + 1 :]:
                        changes.update(m.changes)
                    parents, based = [prev, chain[-1]], len(chain) - 1
                else:
                    changes = {f"pulls/{num // 100}/{num}.txt": f"#{num} {hl}\n"}
                    if k == 0 and p is self.codeowners_pr:
                        changes[".github/CODEOWNERS"] = self.codeowners_v2
                    p.own.update(changes)
                    parents = [prev]
                author = self.ident(c)
                committer = GITHUB_IDENT if hl == "Apply suggestions from code review" else author
                gc_ = GCommit(
                    str(c["oid"]),
                    parents,
                    author,
                    committer,
                    epoch(str(c["authoredDate"])),
                    epoch(str(c["committedDate"])),
                    message,
                    changes,
                    SCRATCH,
                    num,
                )
                p.branch.append(gc_)  # imported just before the merge: one branch at a time
                state[num] = (gc_, based)
                p.head = gc_
            elif num:
                self._merge(self.by_number[num], chain)
            else:
                t, k, kind, pusher, i = directs[k]
                self._direct(t, k, kind, pusher, merges[: i + 1], chain)

    def _merge(self, p: PR, chain: list[GCommit]) -> None:
        x, num, t = p.x, p.number, p.t_merge
        tip = chain[-1]
        p.base = tip
        merger = self.user_ident(str(x["merged_by"]))
        title, branch = str(p.pr["title"]), str(p.pr["headRefName"])
        assert p.head is not None
        if p.method in ("merge", "queue"):
            new = [
                GCommit(
                    self.g.h("merge", num),
                    [tip, p.head],
                    merger,
                    GITHUB_IDENT,
                    t,
                    t,
                    f"Merge pull request #{num} from {OWNER}/{branch}\n\n{title}\n",
                    dict(p.own),
                    "refs/heads/main",
                    num,
                )
            ]
        elif p.method == "squash":
            first = self.ident(p.commits[0])
            author = first if x["author"] is None else self.user_ident(str(x["author"]))
            lines, trailers = [], []
            for c in p.commits:
                lines.append(f"* {c['messageHeadline']}")
                for line in str(c["messageBody"]).splitlines():
                    if line.lower().startswith("co-authored-by:") and line not in trailers:
                        trailers.append(line)
            for c in p.commits:
                name, email, _ = self.ident(c)
                line = f"Co-authored-by: {name} <{email}>"
                if (name, email) != author[:2] and line not in trailers:
                    trailers.append(line)
            body = "\n".join(lines) + ("\n\n" + "\n".join(trailers) if trailers else "")
            new = [
                GCommit(
                    self.g.h("merge", num),
                    [tip],
                    author,
                    GITHUB_IDENT,
                    t,
                    t,
                    f"{title} (#{num})\n\n{body}\n",
                    dict(p.own),
                    "refs/heads/main",
                    num,
                )
            ]
        else:  # rebase: the commits recreated on main, committed by the merger, unsigned
            new, prev = [], tip
            for k, c in enumerate(p.commits):
                last = k == len(p.commits) - 1
                hl = str(c["messageHeadline"])
                message = hl + ("\n\n" + str(c["messageBody"]) if c["messageBody"] else "") + "\n"
                prev = GCommit(
                    self.g.h("merge", num) if last else self.h("rebased", num, k),
                    [prev],
                    self.ident(c),
                    merger,
                    epoch(str(c["authoredDate"])),
                    t,
                    message,
                    {f"pulls/{num // 100}/{num}.txt": f"#{num} {hl}\n"}
                    | (
                        {".github/CODEOWNERS": self.codeowners_v2}
                        if k == 0 and p is self.codeowners_pr
                        else {}
                    ),
                    "refs/heads/main",
                    num,
                )
                new.append(prev)
        self.order.extend(p.branch)
        self.order.extend(new)
        chain.extend(new)
        p.chain = new
        kind = "merge_queue_merge" if p.method == "queue" else "pr_merge"
        self.updates.append((t, kind, str(x["merged_by"]), tip, new[-1]))

    def _direct(
        self, t: int, k: int, kind: str, pusher: dict, before: list[PR], chain: list[GCommit]
    ) -> None:
        rng = self.rng
        who = self.user_ident(str(pusher["login"]))
        committer = who
        if kind == "direct-push":
            subject = rng.pick(
                [
                    f"Bump version to 3.{k}.0",
                    "Fix typo in deploy notes",
                    "Disable flaky integration test",
                    "Raise gateway timeout to 30 s",
                    "Rotate staging config",
                ]
            )
            path = f"ops/direct-{k}.md"
        elif kind == "web-editor-commit":
            subject = rng.pick(["Update README.md", f"Create docs/runbook-{k}.md"])
            path = "README.md" if subject == "Update README.md" else f"docs/runbook-{k}.md"
            committer = GITHUB_IDENT
        elif kind == "fake-merge-message":
            p = rng.pick(before)
            subject = f"Merge pull request #{p.number} from {OWNER}/{p.pr['headRefName']}"
            path = f"ops/direct-{k}.md"
        elif kind == "fake-merge-message-unknown-pr":
            subject = f"Merge pull request #{90000 + k} from {OWNER}/release-train"
            path = f"ops/direct-{k}.md"
        else:
            p = rng.pick(before)
            subject = f"Tidy {rng.pick(NOUNS)} constants (#{p.number})"
            path = f"ops/direct-{k}.md"
        content = f"{subject}\n{k}\n" if path != "README.md" else f"# shop\n\nedit {k}\n"
        c = GCommit(
            self.h("direct", k),
            [chain[-1]],
            who,
            committer,
            t,
            t,
            subject + "\n",
            {path: content},
            "refs/heads/main",
        )
        self.updates.append((t, "push", str(pusher["login"]), chain[-1], c))
        self.order.append(c)
        chain.append(c)
        self.commit_truth[c.fake] = (kind, COMMIT_KINDS[kind])

    # -- the branch's activity and rule suites --
    def _events(self) -> None:
        rng, main = self.rng, "refs/heads/main"
        acts: list[tuple[int, str, str, str, str, str, str | None]] = []
        suites: list[tuple[int, str, str, str, str, str | None]] = []
        for t, kind, actor, before, after in self.updates:
            acts.append((t, kind, actor, before.fake, after.fake, main, None))
            if kind == "push" and rng.r() < 0.5:
                suites.append((t, actor, before.fake, after.fake, "bypass", "direct-push-bypass"))
            else:
                suites.append((t, actor, before.fake, after.fake, "pass", None))
        ups = self.updates
        used: set[int] = set()
        for k in range(max(2, round(len(self.prs) * self.rate * 0.01))):
            for _ in range(1000):
                i = rng.between(0, len(ups) - 1)
                lo, hi = ups[i][0], ups[i + 1][0]
                if hi - lo >= 1800 and i not in used:
                    break
            else:
                break
            used.add(i)
            tip, bad = ups[i][4].fake, self.h("force-pushed-away", k)
            actor = str(rng.pick(self.admins)["login"])
            t1, t2 = lo + (hi - lo) // 3, lo + 2 * (hi - lo) // 3
            acts.append((t1, "push", actor, tip, bad, main, None))
            acts.append((t2, "force_push", actor, bad, tip, main, "force-push-main"))
            if rng.r() < 0.6:
                suites.append((t2, actor, bad, tip, "bypass", "force-push-main-bypass"))
        n_near = max(3, round(len(self.prs) * self.near_rate * 0.02))
        for k in range(n_near):
            p = rng.pick(self.prs)
            created = int(p.x["created"])
            t = created + rng.between(1, max(2, p.t_merge - created))
            actor = p.x["author"] or p.x["merged_by"]
            ref = f"refs/heads/{p.pr['headRefName']}"
            before, after = self.h("branch-before", k), self.h("branch-after", k)
            acts.append(
                (t, "force_push", str(actor), before, after, ref, "force-push-other-branch")
            )
        t = calendar.timegm((2025, 12, 10, 14, 0, 0))
        admin = str(self.admins[1]["login"])
        acts.append(
            (
                t,
                "force_push",
                admin,
                self.h("pre-period"),
                self.init.fake,
                main,
                "force-push-before-period",
            )
        )
        times = [u[0] for u in ups]
        for k in range(n_near):
            i = rng.between(0, len(ups))
            t = ups[i][0] + rng.between(1, 600)
            if i + 1 < len(ups) and t >= ups[i + 1][0]:
                t = ups[i][0] + 1
            j = bisect.bisect_right(times, t) - 1
            suites.append(
                (
                    t,
                    str(rng.pick(self.humans)["login"]),
                    ups[j][4].fake,
                    self.h("rejected", k),
                    "fail",
                    "rule-suite-fail",
                )
            )
        acts.sort(key=lambda a: a[0])
        for n, (t, kind, actor, before, after, ref, mark) in enumerate(acts):
            ident = 21_500_000_000 + n
            self.activity.append(
                {
                    "id": ident,
                    "node_id": "RA_kwDOAB" + self.h("activity", ident)[:16],
                    "before": before,
                    "after": after,
                    "ref": ref,
                    "timestamp": ts(t),
                    "activity_type": kind,
                    "actor": {"login": actor, "type": "User"},
                }
            )
            if mark in EVENT_KINDS:
                self.event_truth[f"event:activity:{ident}"] = mark
            elif mark:
                self.event_near[f"event:activity:{ident}"] = mark
        self.activity.reverse()  # newest first, as the API lists them
        uid = {str(u["login"]): int(u["uid"]) for u in self.humans}
        suites.sort(key=lambda s_: s_[0])
        months = {f"2026-{m:02d}": [] for m in range(1, 13)}  # type: dict[str, list[dict]]
        for n, (t, actor, before, after, result, mark) in enumerate(suites):
            ident = 700_000_000 + n
            month = ts(t)[:7]
            if month == self.missing_month or month not in months:
                continue
            months[month].append(
                {
                    "id": ident,
                    "actor_id": uid[actor],
                    "actor_name": actor,
                    "before_sha": before,
                    "after_sha": after,
                    "ref": "refs/heads/main",
                    "repository_id": 1,
                    "repository_name": REPO,
                    "pushed_at": ts(t),
                    "result": result,
                    "evaluation_result": "pass" if result == "pass" else "fail",
                }
            )
            if mark in EVENT_KINDS:
                self.event_truth[f"event:rule-suite:{ident}"] = mark
            elif mark:
                self.event_near[f"event:rule-suite:{ident}"] = mark
        del months[self.missing_month]
        self.rule_suites = {m: list(reversed(v)) for m, v in months.items()}
        self.event_truth["collection:rule-suites"] = "missing-rule-suite-month"

    # -- GraphQL answers (field order as the query selects them) --
    @staticmethod
    def git_actor(ident: tuple[str, str, str | None]) -> dict:
        name, email, login = ident
        return {"name": name, "email": email, "user": None if login is None else {"login": login}}

    @staticmethod
    def connection(items: list, cap: int, key: str) -> list[dict]:
        """The connection of a nested list as the first answer and each follow-up gives it."""
        out = []
        for start in range(0, max(len(items), 1), cap):
            chunk = items[start : start + cap]
            out.append(
                {
                    "totalCount": len(items),
                    "pageInfo": {
                        "hasNextPage": start + cap < len(items),
                        "endCursor": f"cursor-{key}-{start + len(chunk)}" if chunk else None,
                    },
                    "nodes": chunk,
                }
            )
        return out

    def node(self, p: PR) -> tuple[dict, dict[str, list[dict]]]:
        """A pull request as PULL_REQUESTS answers it, and its follow-up connections per field."""
        pr, num = p.pr, p.number
        login = str(pr["author"]["login"])
        if login.startswith("app/"):
            author = None if login == "app/" else {"__typename": "Bot", "login": login[4:]}
        else:
            author = {"__typename": "User", "login": login}
        reviews = [
            {
                "databaseId": self.db(rv),
                "state": rv["state"],
                "submittedAt": rv["submittedAt"],
                "authorAssociation": rv["authorAssociation"],
                "body": rv["body"],
                "author": {
                    "__typename": "Bot" if rv["author"]["login"] in REVIEW_BOTS else "User",
                    "login": rv["author"]["login"],
                },
                "commit": {"oid": rv["commit"]["oid"]},
            }
            for rv in pr["reviews"]
        ]
        commits = []
        for c in p.commits:
            ident = self.ident(c)
            committer = (
                GITHUB_IDENT
                if c["messageHeadline"] == "Apply suggestions from code review"
                else ident
            )
            commits.append(
                {
                    "commit": {
                        "oid": c["oid"],
                        "messageHeadline": c["messageHeadline"],
                        "messageBody": c["messageBody"],
                        "committedDate": c["committedDate"],
                        "authoredDate": c["authoredDate"],
                        "author": self.git_actor(ident),
                        "committer": self.git_actor(committer),
                    }
                }
            )
        files = [{"path": f, "additions": a, "deletions": d} for f, a, d in p.files]
        events = [e for _, e in p.events]
        contexts, states = [], []
        for c in pr["statusCheckRollup"]:
            if c["__typename"] == "CheckRun":
                done = c["completedAt"] != PENDING_TIME
                contexts.append(
                    {
                        "__typename": "CheckRun",
                        "name": c["name"],
                        "status": c["status"],
                        "conclusion": c["conclusion"] or None,
                        "startedAt": c["startedAt"],
                        "completedAt": c["completedAt"] if done else None,
                        "checkSuite": {
                            "app": {"slug": "github-actions"},
                            "workflowRun": {"event": "pull_request"},
                        },
                    }
                )
                if c["status"] != "COMPLETED":
                    states.append("PENDING")
                elif c["conclusion"] in ("SUCCESS", "NEUTRAL", "SKIPPED"):
                    states.append("SUCCESS")
                else:
                    states.append("FAILURE")
            else:
                contexts.append(
                    {
                        "__typename": "StatusContext",
                        "context": c["context"],
                        "state": c["state"],
                        "createdAt": c["startedAt"],
                    }
                )
                states.append(c["state"])
        rollup = None
        if contexts:
            state = next(
                (s for s in ("ERROR", "FAILURE", "PENDING", "EXPECTED") if s in states), "SUCCESS"
            )
            rollup = {
                "state": state,
                "contexts": {"totalCount": len(contexts), "nodes": contexts},
            }
        conns = {
            "reviews": self.connection(reviews, self.q.NESTED["reviews"], f"{num}-reviews"),
            "commits": self.connection(commits, self.q.NESTED["commits"], f"{num}-commits"),
            "files": self.connection(files, self.q.NESTED["files"], f"{num}-files"),
            "timelineItems": self.connection(
                events, self.q.NESTED["timelineItems"], f"{num}-timeline"
            ),
        }
        assert p.base is not None and p.chain
        node = {
            "number": num,
            "url": pr["url"],
            "title": pr["title"],
            "body": pr["body"],
            "createdAt": pr["createdAt"],
            "updatedAt": ts(p.updated),
            "mergedAt": pr["mergedAt"],
            "isCrossRepository": False,
            "author": author,
            "mergedBy": {"__typename": "User", "login": pr["mergedBy"]["login"]},
            "baseRefName": pr["baseRefName"],
            "baseRefOid": p.base.fake,
            "headRefName": pr["headRefName"],
            "headRefOid": pr["headRefOid"],
            "mergeCommit": {"oid": p.chain[-1].fake},
            "additions": pr["additions"],
            "deletions": pr["deletions"],
            "changedFiles": pr["changedFiles"],
            "autoMergeRequest": None,
            "labels": {"nodes": [{"name": label["name"]} for label in pr["labels"]]},
            "closingIssuesReferences": {
                "nodes": [
                    {"number": i["number"], "url": i["url"]} for i in pr["closingIssuesReferences"]
                ]
            },
            "reviews": conns["reviews"][0],
            "commits": conns["commits"][0],
            "files": conns["files"][0],
            "head": {
                "nodes": [{"commit": {"oid": p.commits[-1]["oid"], "statusCheckRollup": rollup}}]
            },
            "timelineItems": conns["timelineItems"][0],
        }
        return node, {field: pages[1:] for field, pages in conns.items() if len(pages) > 1}

    def requests(self, with_pages: bool) -> list[tuple[str, str, str, int]]:
        """(path under changes/graphql, endpoint, answer text, cost) of every GraphQL request,
        in the order a collector sends them: each page of pull requests, then the follow-ups of
        its nested lists, then the history."""
        out: list[tuple[str, str, str, int]] = []
        remaining = 5000
        reset = "2027-01-04T07:00:00Z"

        def answer(data: dict, cost: int, nodes: int) -> str:
            nonlocal remaining
            remaining -= cost
            wrapped = {
                "data": {
                    "rateLimit": {
                        "cost": cost,
                        "remaining": remaining,
                        "resetAt": reset,
                        "nodeCount": nodes,
                    },
                    **data,
                }
            }
            return json.dumps(wrapped, separators=(",", ":"), ensure_ascii=False) + "\n"

        def variables(**kw: object) -> str:
            return json.dumps({"owner": OWNER, "name": REPO, **kw}, separators=(",", ":"))

        if with_pages:
            ordered = sorted(self.prs, key=lambda p: (-p.updated, -p.number))
            size = self.q.PAGE_SIZE
            per_pr = 1 + 20 + 10 + 50 + 100 + 100 + 1 + 50 + 50
            cursor = None
            for index, start in enumerate(range(0, len(ordered), size), 1):
                chunk = ordered[start : start + size]
                built = [self.node(p) for p in chunk]
                end = f"cursor-prs-{start + len(chunk)}"
                data = {
                    "repository": {
                        "pullRequests": {
                            "pageInfo": {
                                "hasNextPage": start + size < len(ordered),
                                "endCursor": end,
                            },
                            "nodes": [n for n, _ in built],
                        }
                    }
                }
                sent = variables(base="main", first=size, after=cursor)
                out.append(
                    (
                        self.q.page_file(index),
                        f"POST /graphql MergedPullRequests {sent}",
                        answer(data, 4, size * per_pr),
                        4,
                    )
                )
                cursor = end
                for (n, follow), p in zip(built, chunk, strict=True):
                    for field, pages in follow.items():
                        after = n[field]["pageInfo"]["endCursor"]
                        for k, conn in enumerate(pages, 2):
                            data = {"repository": {"pullRequest": {field: conn}}}
                            sent = variables(number=p.number, after=after)
                            out.append(
                                (
                                    self.q.follow_up_file(p.number, field, k),
                                    f"POST /graphql PullRequest_{field} {sent}",
                                    answer(data, 1, self.q.NESTED[field]),
                                    1,
                                )
                            )
                            after = conn["pageInfo"]["endCursor"]
        # the branch's history in the period: every ancestor of main, newest first
        tip = self.chain[-1]
        seen, stack = {id(tip)}, [tip]
        reach = []
        while stack:
            c = stack.pop()
            reach.append(c)
            for q in c.parents:
                if id(q) not in seen:
                    seen.add(id(q))
                    stack.append(q)
        lo, hi = epoch(SINCE), epoch(UNTIL)
        nodes = sorted((c for c in reach if lo <= c.cdate <= hi), key=lambda c: (-c.cdate, -c.gen))
        cursor = None
        for index, start in enumerate(range(0, max(len(nodes), 1), 100), 1):
            chunk = nodes[start : start + 100]
            end = f"cursor-history-{start + len(chunk)}" if chunk else None
            items = []
            for c in chunk:
                pull = self.by_number[c.pull] if c.pull is not None else None
                items.append(
                    {
                        "oid": c.fake,
                        "committedDate": ts(c.cdate),
                        "messageHeadline": c.message.split("\n", 1)[0],
                        "author": self.git_actor(c.author),
                        "committer": self.git_actor(c.committer),
                        "parents": {"nodes": [{"oid": q.fake} for q in c.parents[:2]]},
                        "associatedPullRequests": {
                            "nodes": []
                            if pull is None
                            else [
                                {
                                    "number": pull.number,
                                    "mergedAt": pull.pr["mergedAt"],
                                    "baseRefName": "main",
                                    "mergeCommit": {"oid": pull.chain[-1].fake},
                                }
                            ]
                        },
                    }
                )
            data = {
                "repository": {
                    "ref": {
                        "target": {
                            "oid": tip.fake,
                            "history": {
                                "pageInfo": {
                                    "hasNextPage": start + 100 < len(nodes),
                                    "endCursor": end,
                                },
                                "nodes": items,
                            },
                        }
                    }
                }
            }
            sent = variables(ref="refs/heads/main", since=SINCE, until=UNTIL, after=cursor)
            out.append(
                (
                    self.q.history_file(index),
                    f"POST /graphql BranchHistory {sent}",
                    answer(data, 2, 100 + 100 * 2 + 100 * 5),
                    2,
                )
            )
            cursor = end
        return out

    # -- git --
    def write_git(self, out: Path) -> dict[str, str]:
        """The repository at `out` via git fast-import; the real id of every fake one."""
        env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            # glibc gave fast-import's heap back after every commit (one brk per allocation):
            # keeping 64 MB of slack halves the import
            "MALLOC_TOP_PAD_": str(64 << 20),
            "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
        }
        for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
            env.pop(k, None)
        subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True, env=env)
        chunks: list[bytes] = []
        for i, c in enumerate(self.order, 1):
            c.mark = i
            msg = c.message.encode()
            head = (
                f"commit {c.ref}\nmark :{i}\n"
                f"author {c.author[0]} <{c.author[1]}> {c.adate} +0000\n"
                f"committer {c.committer[0]} <{c.committer[1]}> {c.cdate} +0000\n"
                f"data {len(msg)}\n"
            )
            chunks += [head.encode(), msg, b"\n"]
            if c.parents:
                chunks.append(f"from :{c.parents[0].mark}\n".encode())
                for q in c.parents[1:]:
                    chunks.append(f"merge :{q.mark}\n".encode())
            for path, content in c.changes.items():
                data = content.encode()
                chunks += [f"M 100644 inline {path}\ndata {len(data)}\n".encode(), data, b"\n"]
            chunks.append(b"\n")
        chunks.append(f"reset refs/heads/main\nfrom :{self.chain[-1].mark}\n\n".encode())
        marks = out / ".git" / "gen-changes.marks"
        subprocess.run(
            ["git", "-C", str(out), "fast-import", "--quiet", f"--export-marks={marks}"],
            input=b"".join(chunks),
            check=True,
            env=env,
        )
        subprocess.run(["git", "-C", str(out), "update-ref", "-d", SCRATCH], check=True, env=env)
        by_mark = {}
        for line in marks.read_text(encoding="ascii").splitlines():
            mark, sha = line.split()
            by_mark[int(mark[1:])] = sha
        marks.unlink()
        # refs/pull/N/head as a clone with GitHub's pull refs has them; one packed-refs file
        # (fast-import writing 10,000 loose refs took most of the import's time)
        pulls = sorted(
            (f"refs/pull/{p.number}/head", by_mark[p.head.mark]) for p in self.prs if p.head
        )
        packed = "# pack-refs with: peeled fully-peeled sorted \n" + "".join(
            f"{sha} {ref}\n" for ref, sha in pulls
        )
        (out / ".git" / "packed-refs").write_text(packed, encoding="ascii")
        return {c.fake: by_mark[c.mark] for c in self.order}


def load_query():  # noqa: ANN201
    """soc2lint/changes/query.py (standard library only), without importing the package."""
    spec = importlib.util.spec_from_file_location("soc2lint_changes_query", QUERY_PATH)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {QUERY_PATH}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATED = (
    ".soc2/github/acme/shop/changes/gh-pr-list.json",
    ".soc2/github/acme/shop/changes/graphql",
    ".soc2/github/acme/shop/changes/rule-suites",
    ".soc2/github/acme/shop/changes/activity.json",
    ".soc2/github/acme/shop/changes/manifest.json",
    "truth.json",
    "truth-graphql.json",
)
GIT_MARKER = "gen-changes"  # in .git: the repository is this script's, it may replace it


def clear(out: Path, git: bool) -> str | None:
    """Remove what an earlier run wrote into `out` (so no stale page or repository is read);
    why not, when `out` holds a git repository this script did not make."""
    dot_git = out / ".git"
    if dot_git.exists() and not (dot_git / GIT_MARKER).exists():
        if git:
            return f"{out} holds a git repository this script did not make: choose another --out"
    elif dot_git.exists():
        shutil.rmtree(dot_git)
    for rel in GENERATED:
        path = out / rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--violation-rate", type=float, default=0.15)
    ap.add_argument("--near-miss-rate", type=float, default=0.08)
    ap.add_argument("--out", type=Path)
    ap.add_argument(
        "--git", action="store_true", help="make OUT a git repository whose main holds every merge"
    )
    ap.add_argument(
        "--graphql",
        action="store_true",
        help="also write the answers of `collect github --changes` (pages, follow-ups, history, "
        "activity, rule suites, manifest)",
    )
    ap.add_argument(
        "--activity",
        action="store_true",
        help="write the collection without pull request pages (history, activity, rule suites, "
        "manifest)",
    )
    ap.add_argument(
        "--code-owners",
        action="store_true",
        help="protection requires code-owner review; the dump gets `files` (needs --git)",
    )
    ap.add_argument("--no-dump", action="store_true", help="omit the gh dump (needs --graphql)")
    args = ap.parse_args(argv)
    if args.code_owners and not args.git:
        ap.error("--code-owners needs --git: CM011 reads CODEOWNERS at each base commit")
    if args.no_dump and not args.graphql:
        ap.error("--no-dump needs --graphql: nothing would hold the pull requests")
    if args.prs < 2:
        ap.error("--prs must be at least 2")
    extended = args.git or args.graphql or args.activity or args.code_owners
    out = args.out or Path(__file__).parent / ".work" / f"changes-{args.prs}-s{args.seed}"
    gen = Gen(args.seed, args.prs, args.violation_rate, args.near_miss_rate)
    if extended:
        return extended_main(args, out, gen)
    prs, truth, planted, near = [], {}, {}, {}
    for i in range(args.prs):
        pr, rules, kinds, nm = gen.pr(i)
        pr.pop("_x")
        cid = f"pr:{pr['number']}"
        prs.append(pr)
        truth[cid] = rules
        if kinds:
            planted[cid] = kinds
        if nm:
            near[cid] = {"kind": nm, "what": NEAR_MISSES[nm]}
    prs.reverse()  # gh pr list: newest first
    out.mkdir(parents=True, exist_ok=True)
    clear(out, False)
    base = out / ".soc2" / "github" / OWNER / REPO
    (base / "changes").mkdir(parents=True, exist_ok=True)
    (base / "branches" / "main").mkdir(parents=True, exist_ok=True)
    dump(base / "changes" / "gh-pr-list.json", prs, compact=True)
    dump(base / "branches" / "main" / "protection.json", protection(False))
    dump(base / "repo.json", REPO_JSON)
    dump(out / "truth.json", truth)
    dump(out / "planted.json", planted)
    dump(out / "near_misses.json", near)
    counts: dict[str, int] = {}
    for rules in truth.values():
        for r in rules:
            counts[r] = counts.get(r, 0) + 1
    print(
        f"{out}: {len(prs)} PRs, {len(planted)} with planted violations, "
        f"{len(near)} near-misses; per rule: "
        + ", ".join(f"{r} {n}" for r, n in sorted(counts.items()))
    )
    return 0


REPO_JSON = {
    "id": 1,
    "full_name": f"{OWNER}/{REPO}",
    "name": REPO,
    "private": True,
    "default_branch": "main",
    "owner": {"login": OWNER, "type": "Organization"},
}


def protection(code_owners: bool) -> dict:
    return {
        "url": f"https://api.github.com/repos/{OWNER}/{REPO}/branches/main/protection",
        "required_status_checks": {
            "strict": False,
            "contexts": list(REQUIRED),
            "checks": [{"context": c, "app_id": None if "/" in c else 15368} for c in REQUIRED],
        },
        "required_pull_request_reviews": {
            "dismiss_stale_reviews": False,
            "require_code_owner_reviews": code_owners,
            "required_approving_review_count": 1,
            "require_last_push_approval": False,
        },
        "enforce_admins": {"enabled": False},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
    }


def dump(path: Path, data: object, compact: bool = False) -> None:
    if compact:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


OID = re.compile(r"\b[0-9a-f]{40}\b")


def extended_main(args: argparse.Namespace, out: Path, gen: Gen) -> int:
    started = time.perf_counter()
    items = [gen.pr(i) for i in range(args.prs)]
    world = World(gen, items, args.violation_rate, args.near_miss_rate)
    out.mkdir(parents=True, exist_ok=True)
    problem = clear(out, args.git)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    real: dict[str, str] = {}
    if args.git:
        real = world.write_git(out)
        (out / ".git" / GIT_MARKER).write_text(
            "made by bench/gen_changes.py; it replaces this repository on the next run\n",
            encoding="utf-8",
        )

    def oid(fake: str) -> str:
        return real.get(fake, fake)

    def remap(text: str) -> str:
        return OID.sub(lambda m: real.get(m.group(0), m.group(0)), text) if real else text

    def write(path: Path, text: str) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = remap(text)
        path.write_text(data, encoding="utf-8")
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    base = out / ".soc2" / "github" / OWNER / REPO
    changes = base / "changes"
    collection = args.graphql or args.activity
    # the dump
    if not args.no_dump:
        prs = []
        for p in reversed(world.prs):  # gh pr list: newest first
            item = dict(p.pr)  # no baseRefOid: not a field gh pr list can export
            if args.code_owners:  # gh lists the first 100 files
                item["files"] = [
                    {"additions": a, "deletions": d, "path": f} for f, a, d in p.files[:100]
                ]
            prs.append(item)
        text = json.dumps(prs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        write(changes / "gh-pr-list.json", text + "\n")
    (base / "branches" / "main").mkdir(parents=True, exist_ok=True)
    dump(base / "branches" / "main" / "protection.json", protection(args.code_owners))
    dump(base / "repo.json", REPO_JSON)
    # the collection
    requests = 0
    if collection:
        q = world.q
        entries = []
        points = 0
        at = T_COLLECTED
        graphql_dir = changes / "graphql"
        if args.graphql:
            write(graphql_dir / "query.graphql", q.PULL_REQUESTS)
        for name, endpoint, text, cost in world.requests(args.graphql):
            digest = write(graphql_dir / name, text)
            at += 2
            points += cost
            entries.append(
                {
                    "path": f"github/{OWNER}/{REPO}/changes/graphql/{name}",
                    "endpoint": endpoint,
                    "status": 200,
                    "collected_at": ts(at),
                    "sha256": digest,
                    "evidence": True,
                }
            )
        text = json.dumps(world.activity, indent=2, ensure_ascii=False) + "\n"
        digest = write(changes / "activity.json", text)
        at += 2
        entries.append(
            {
                "path": f"github/{OWNER}/{REPO}/changes/activity.json",
                "endpoint": f"GET /repos/{OWNER}/{REPO}/activity?ref=refs/heads/main"
                "&time_period=year&per_page=100",
                "status": 200,
                "collected_at": ts(at),
                "sha256": digest,
                "evidence": True,
            }
        )
        days = []
        for month, suites in sorted(world.rule_suites.items()):
            # collected twice a month, on the 15th and the last day: GitHub answers for the 30
            # days before, so the two files cover the whole month; each suite is in the file
            # of its half
            y, m = int(month[:4]), int(month[5:])
            last = calendar.monthrange(y, m)[1]
            for day, half in (
                (15, [x for x in suites if int(x["pushed_at"][8:10]) <= 15]),
                (last, [x for x in suites if int(x["pushed_at"][8:10]) > 15]),
            ):
                name = f"{month}-{day:02d}"
                days.append(name)
                collected = calendar.timegm((y, m, day, 23, 0, 0))
                text = json.dumps(half, indent=2, ensure_ascii=False) + "\n"
                digest = write(changes / "rule-suites" / f"{name}.json", text)
                entries.append(
                    {
                        "path": f"github/{OWNER}/{REPO}/changes/rule-suites/{name}.json",
                        "endpoint": f"GET /repos/{OWNER}/{REPO}/rulesets/rule-suites?ref=main"
                        "&time_period=month&rule_suite_result=bypass&per_page=100",
                        "status": 200,
                        "collected_at": ts(collected),
                        "sha256": digest,
                        "evidence": True,
                    }
                )
        requests = len(entries)
        manifest = {
            "tool": "soc2lint",
            "version": "synthetic",
            "api_url": "https://api.github.com",
            "repository": f"{OWNER}/{REPO}",
            "branch": "main",
            "since": SINCE,
            "until": UNTIL,
            "query_sha256": hashlib.sha256(q.PULL_REQUESTS.encode("utf-8")).hexdigest(),
            "collected_at": COLLECTED_AT,
            "complete": True,
            "rule_suite_days": sorted(days),
            "totals": {
                "requests": requests,
                "points": points,
                "pull_requests": len(world.prs) if args.graphql else 0,
            },
            "files": entries,
        }
        write(changes / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    # truth, per input
    commits_seen = args.git or collection  # CM001: the clone's chain, or the collected history
    truth_dump: dict[str, list[str]] = {}
    truth_graphql: dict[str, list[str]] = {}
    planted: dict[str, list[str]] = {}
    near: dict[str, dict[str, str]] = {}
    for p in world.prs:
        cid = f"pr:{p.number}"
        dump_rules, graphql_rules = set(p.rules), set(p.rules)
        truncated = {"truncated-reviews", "truncated-commits"} & set(p.kinds)
        if truncated:  # the pages are complete: nothing cut, so the decisions can be made
            graphql_rules.discard("CM012")
            approved = any(rv["state"] == "APPROVED" for rv in p.pr["reviews"])
            if "truncated-reviews" in truncated and not approved:
                graphql_rules.add("CM002")
        if args.code_owners and len(p.files) >= 100:
            dump_rules.add("CM012")  # gh cut the files at 100
        kinds = list(p.kinds)
        if p.ext_kind == "dismissed-by-merger" and args.graphql:
            graphql_rules.add("CM007")
            kinds.append(p.ext_kind)
        elif args.code_owners and p.ext_kind in (
            "code-owner-not-approved",
            "code-owner-changed-at-base",
        ):
            dump_rules.add("CM011")
            graphql_rules.add("CM011")
            kinds.append(p.ext_kind)
        truth_dump[cid] = sorted(dump_rules)
        truth_graphql[cid] = sorted(graphql_rules)
        if kinds:
            planted[cid] = kinds
        if p.near:
            near[cid] = {"kind": p.near, "what": NEAR_MISSES[p.near]}
        elif p.ext_near:
            near[cid] = {"kind": p.ext_near, "what": EXT_NEAR[p.ext_near]}
    for fake, (kind, _) in world.commit_truth.items():
        cid = f"commit:{oid(fake)}"
        truth_graphql[cid] = ["CM001"]
        if commits_seen:
            truth_dump[cid] = ["CM001"]
        if commits_seen or args.graphql:
            planted[cid] = [kind]
    if collection:
        for cid, kind in world.event_truth.items():
            rule = "CM012" if cid.startswith("collection:") else "CM007"
            truth_dump[cid] = truth_graphql[cid] = [rule]
            planted[cid] = [kind]
        for cid, kind in world.event_near.items():
            near[cid] = {"kind": kind, "what": EXT_NEAR[kind]}
    if not args.no_dump:
        dump(out / "truth.json", truth_dump)
    if args.graphql:
        dump(out / "truth-graphql.json", truth_graphql)
    dump(out / "planted.json", planted)
    dump(out / "near_misses.json", near)
    for name, truth in (("dump", truth_dump), ("graphql", truth_graphql)):
        if (name == "dump" and args.no_dump) or (name == "graphql" and not args.graphql):
            continue
        counts: dict[str, int] = {}
        for rules in truth.values():
            for r in rules:
                counts[r] = counts.get(r, 0) + 1
        print(
            f"{out} ({name}): {len(world.prs)} PRs, {len(planted)} changes with planted "
            f"violations, {len(near)} near-misses; per rule: "
            + ", ".join(f"{r} {n}" for r, n in sorted(counts.items()))
        )
    methods: dict[str, int] = {}
    for p in world.prs:
        methods[p.method] = methods.get(p.method, 0) + 1
    print(
        f"  main: {len(world.chain)} first-parent commits ({len(world.commit_truth)} direct "
        f"pushes), {len(world.order)} commits in all; merges: "
        + ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
        + (f"; {requests} requests in the manifest" if collection else "")
        + f"; {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
