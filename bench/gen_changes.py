#!/usr/bin/env python3
"""Generate a synthetic organisation's merged pull requests as a `gh pr list` dump (deterministic).

    python3 bench/gen_changes.py [--prs 10000] [--seed 1] [--violation-rate 0.15] [--out DIR]

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

Standard library only; `random.Random(seed)` through `random()` only, identifiers from SHA-1 of
the seed and the PR number, so the same arguments give byte-identical files. Measures nothing.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import json
import math
import random
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
        t_last_commit = max(
            calendar.timegm(time.strptime(str(c["committedDate"]), "%Y-%m-%dT%H:%M:%SZ"))
            for c in commits
        )

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
        rules = sorted({r for k in kinds for r in KINDS[k][0]})
        return pr, rules, kinds, near


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--violation-rate", type=float, default=0.15)
    ap.add_argument("--near-miss-rate", type=float, default=0.08)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    out = args.out or Path(__file__).parent / ".work" / f"changes-{args.prs}-s{args.seed}"
    gen = Gen(args.seed, args.prs, args.violation_rate, args.near_miss_rate)
    prs, truth, planted, near = [], {}, {}, {}
    for i in range(args.prs):
        pr, rules, kinds, nm = gen.pr(i)
        cid = f"pr:{pr['number']}"
        prs.append(pr)
        truth[cid] = rules
        if kinds:
            planted[cid] = kinds
        if nm:
            near[cid] = {"kind": nm, "what": NEAR_MISSES[nm]}
    prs.reverse()  # gh pr list: newest first
    base = out / ".soc2" / "github" / OWNER / REPO
    (base / "changes").mkdir(parents=True, exist_ok=True)
    (base / "branches" / "main").mkdir(parents=True, exist_ok=True)

    def dump(path: Path, data: object, compact: bool = False) -> None:
        if compact:
            text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        else:
            text = json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")

    dump(base / "changes" / "gh-pr-list.json", prs, compact=True)
    dump(
        base / "branches" / "main" / "protection.json",
        {
            "url": f"https://api.github.com/repos/{OWNER}/{REPO}/branches/main/protection",
            "required_status_checks": {
                "strict": False,
                "contexts": list(REQUIRED),
                "checks": [{"context": c, "app_id": None if "/" in c else 15368} for c in REQUIRED],
            },
            "required_pull_request_reviews": {
                "dismiss_stale_reviews": False,
                "require_code_owner_reviews": False,
                "required_approving_review_count": 1,
                "require_last_push_approval": False,
            },
            "enforce_admins": {"enabled": False},
            "allow_force_pushes": {"enabled": False},
            "allow_deletions": {"enabled": False},
        },
    )
    dump(
        base / "repo.json",
        {
            "id": 1,
            "full_name": f"{OWNER}/{REPO}",
            "name": REPO,
            "private": True,
            "default_branch": "main",
            "owner": {"login": OWNER, "type": "Organization"},
        },
    )
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


if __name__ == "__main__":
    raise SystemExit(main())
