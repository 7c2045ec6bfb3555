#!/usr/bin/env python3
"""Generate a GitHub settings evidence directory of a large organisation (deterministic).

    python3 bench/gen_evidence.py [--out DIR] [--members 500] [--collaborators 200] [--rulesets 20]

Writes DIR/.soc2/github/acme/... in the collector's layout: the repository, classic protection
of `main`, N rulesets (each with rules and bypass actors) and their listing, the branch rules,
environments, Actions workflow permissions, collaborators (all and outside), the organisation,
its admins and its members without 2FA. Measures nothing.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def user(i: int, **extra: object) -> dict[str, object]:
    return {
        "login": f"user{i:04d}",
        "id": 1000 + i,
        "node_id": f"MDQ6VXNlcj{i}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{1000 + i}",
        "url": f"https://api.github.com/users/user{i:04d}",
        "type": "User",
        "site_admin": False,
        **extra,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / ".work" / "evidence-org")
    ap.add_argument("--members", type=int, default=500)
    ap.add_argument("--collaborators", type=int, default=200)
    ap.add_argument("--rulesets", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    org = args.out / ".soc2" / "github" / "acme"
    repo = org / "shop"
    (repo / "branches" / "main").mkdir(parents=True, exist_ok=True)
    (repo / "rulesets").mkdir(exist_ok=True)

    def dump(path: Path, data: object) -> None:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    dump(
        repo / "repo.json",
        {
            "id": 1,
            "full_name": "acme/shop",
            "name": "shop",
            "private": True,
            "default_branch": "main",
            "owner": {"login": "acme", "type": "Organization"},
        },
    )
    dump(
        repo / "branches" / "main" / "protection.json",
        {
            "url": "https://api.github.com/repos/acme/shop/branches/main/protection",
            "required_status_checks": {"strict": True, "contexts": ["ci/test"], "checks": []},
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
    listing, rules = [], []
    for i in range(args.rulesets):
        enforcement = rnd.choice(["active", "active", "evaluate", "disabled"])
        rs = {
            "id": 100 + i,
            "name": f"ruleset-{i}",
            "target": "branch",
            "source_type": "Repository",
            "source": "acme/shop",
            "enforcement": enforcement,
            "bypass_actors": [
                {
                    "actor_id": j,
                    "actor_type": rnd.choice(["Team", "Integration", "RepositoryRole"]),
                    "bypass_mode": rnd.choice(["always", "pull_request"]),
                }
                for j in range(3)
            ],
            "conditions": {
                "ref_name": {
                    "include": [rnd.choice(["~DEFAULT_BRANCH", "refs/heads/release/*", "~ALL"])],
                    "exclude": [],
                }
            },
            "rules": [
                {
                    "type": "pull_request",
                    "parameters": {
                        "required_approving_review_count": rnd.choice([1, 2]),
                        "dismiss_stale_reviews_on_push": rnd.random() < 0.5,
                        "require_code_owner_review": False,
                        "require_last_push_approval": False,
                        "required_review_thread_resolution": False,
                    },
                },
                {"type": "non_fast_forward"},
                {"type": "deletion"},
            ],
        }
        dump(repo / "rulesets" / f"{100 + i}.json", rs)
        listing.append(
            {k: rs[k] for k in ("id", "name", "target", "source_type", "source", "enforcement")}
        )
        if enforcement == "active":
            rules.extend(
                {
                    **r,
                    "ruleset_source_type": "Repository",
                    "ruleset_source": "acme/shop",
                    "ruleset_id": 100 + i,
                }
                for r in rs["rules"]
            )
    dump(repo / "rulesets.json", listing)
    dump(repo / "branches" / "main" / "rules.json", rules)
    dump(
        repo / "environments.json",
        {
            "total_count": 3,
            "environments": [
                {
                    "id": i,
                    "name": name,
                    "protection_rules": []
                    if name != "production"
                    else [
                        {
                            "id": 9,
                            "type": "required_reviewers",
                            "prevent_self_review": False,
                            "reviewers": [{"type": "Team", "reviewer": {"slug": "sre"}}],
                        }
                    ],
                    "deployment_branch_policy": None,
                }
                for i, name in enumerate(["dev", "staging", "production"])
            ],
        },
    )
    dump(
        repo / "actions-permissions-workflow.json",
        {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False},
    )
    perms = [
        {"pull": True, "triage": True, "push": p, "maintain": False, "admin": a}
        for p, a in ((True, False), (False, False), (True, True))
    ]
    dump(
        repo / "collaborators-all.json",
        [
            user(i, permissions=rnd.choice(perms), role_name="write")
            for i in range(args.collaborators)
        ],
    )
    dump(
        repo / "collaborators-outside.json",
        [
            user(i, permissions=rnd.choice(perms), role_name="read")
            for i in range(args.collaborators // 10)
        ],
    )
    dump(
        org / "org.json",
        {
            "login": "acme",
            "id": 7,
            "two_factor_requirement_enabled": False,
            "default_repository_permission": "read",
            "members_can_create_repositories": True,
        },
    )
    dump(org / "members-admin.json", [user(i) for i in range(12)])
    dump(org / "members-2fa-disabled.json", [user(i) for i in range(args.members)])
    print(
        f"wrote {args.out}/.soc2: {args.members} members, {args.collaborators} collaborators, "
        f"{args.rulesets} rulesets"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
