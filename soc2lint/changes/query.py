"""The GraphQL queries of `collect github --changes` and the layout their answers are stored in.

One module for the collector that sends them, the reader that parses their answers and the
synthetic generator in bench/ that emits answers of the same shape. Cost per page of 50 pull
requests (GitHub: the sum of requests per connection at full pages, / 100, rounded): 1 + 50 x 7
nested lists + 50 contexts = 401 -> 4 points; `commit.authors` and `parents` under the commit list are
left out on purpose (each would add 50 points per page): co-authors come from the message
trailers.

Layout under `.soc2/github/OWNER/REPO/changes/`:

    manifest.json                 period, branch, query sha256, every request (status, sha256)
    graphql/query.graphql         PULL_REQUESTS, the exact text sent
    graphql/prs-0001.json ...     raw answers of PULL_REQUESTS, one per page, in order
    graphql/pr-<N>-<list>-<K>.json  raw answers of FOLLOW_UP[list] for pull request N, page K >= 2
    graphql/history-0001.json ... raw answers of HISTORY: the branch's commits in the period
    activity.json                 GET /repos/O/R/activity?ref=refs/heads/B (a list)
    rule-suites/YYYY-MM-DD.json   GET /repos/O/R/rulesets/rule-suites?ref=B&time_period=month,
                                  named by the UTC day it was collected: GitHub answers for the
                                  30 days before, so a file covers whole days D-29 .. D
"""

from __future__ import annotations

import re

PAGE_SIZE = 50  # pull requests per page; halved on a 502 or a timeout, down to MIN_PAGE_SIZE
MIN_PAGE_SIZE = 5
NESTED = {"reviews": 50, "commits": 100, "files": 100, "timelineItems": 50}

PAGE_FILE = re.compile(r"^prs-(\d{4,})\.json$")
FOLLOW_UP_FILE = re.compile(r"^pr-(\d+)-(reviews|commits|files|timelineItems)-(\d+)\.json$")
HISTORY_FILE = re.compile(r"^history-(\d{4,})\.json$")
# YYYY-MM-DD (the day collected); a YYYY-MM file (no day) is read for its events, but says
# nothing certain about which days it covers
RULE_SUITE_FILE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?\.json$")
RULE_SUITE_REACH_DAYS = 30  # what `time_period=month` reaches back


def page_file(index: int) -> str:
    return f"prs-{index:04d}.json"


def follow_up_file(number: int, field: str, index: int) -> str:
    return f"pr-{number}-{field}-{index}.json"


def history_file(index: int) -> str:
    return f"history-{index:04d}.json"


_REVIEW = (
    "databaseId state submittedAt authorAssociation body author { __typename login } commit { oid }"
)
_COMMIT = (
    "commit { oid messageHeadline messageBody committedDate authoredDate "
    "author { name email user { login } } committer { name email user { login } } }"
)
_TIMELINE_TYPES = (
    "HEAD_REF_FORCE_PUSHED_EVENT, REVIEW_DISMISSED_EVENT, READY_FOR_REVIEW_EVENT, "
    "ADDED_TO_MERGE_QUEUE_EVENT, REMOVED_FROM_MERGE_QUEUE_EVENT, LABELED_EVENT, "
    "BASE_REF_CHANGED_EVENT, ASSIGNED_EVENT"
)
_TIMELINE = """__typename
            ... on HeadRefForcePushedEvent { createdAt actor { login } beforeCommit { oid } afterCommit { oid } }
            ... on ReviewDismissedEvent { createdAt actor { login } dismissalMessage previousReviewState review { databaseId } }
            ... on ReadyForReviewEvent { createdAt }
            ... on AddedToMergeQueueEvent { createdAt actor { login } }
            ... on RemovedFromMergeQueueEvent { createdAt reason }
            ... on LabeledEvent { createdAt actor { login } label { name } }
            ... on BaseRefChangedEvent { createdAt previousRefName currentRefName }
            ... on AssignedEvent { createdAt actor { login } assignee { __typename ... on Bot { login } ... on User { login } } }"""

PULL_REQUESTS = f"""query MergedPullRequests($owner: String!, $name: String!, $base: String!, $first: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt nodeCount }}
  repository(owner: $owner, name: $name) {{
    pullRequests(states: MERGED, baseRefName: $base, first: $first, after: $after,
                 orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        number url title body createdAt updatedAt mergedAt isCrossRepository
        author {{ __typename login }} mergedBy {{ __typename login }}
        baseRefName baseRefOid headRefName headRefOid mergeCommit {{ oid }}
        additions deletions changedFiles
        autoMergeRequest {{ enabledAt mergeMethod enabledBy {{ login }} }}
        labels(first: 20) {{ nodes {{ name }} }}
        closingIssuesReferences(first: 10) {{ nodes {{ number url }} }}
        reviews(first: {NESTED["reviews"]}) {{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {_REVIEW} }} }}
        commits(first: {NESTED["commits"]}) {{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {_COMMIT} }} }}
        files(first: {NESTED["files"]}) {{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ path additions deletions }} }}
        head: commits(last: 1) {{ nodes {{ commit {{ oid statusCheckRollup {{ state
          contexts(first: 50) {{ totalCount nodes {{ __typename
            ... on CheckRun {{ name status conclusion startedAt completedAt checkSuite {{ app {{ slug }} workflowRun {{ event }} }} }}
            ... on StatusContext {{ context state createdAt }} }} }} }} }} }} }}
        timelineItems(first: {NESTED["timelineItems"]}, itemTypes: [{_TIMELINE_TYPES}]) {{
          totalCount pageInfo {{ hasNextPage endCursor }}
          nodes {{ {_TIMELINE} }} }}
      }}
    }}
  }}
}}
"""

_FOLLOW_UP_NODES = {
    "reviews": _REVIEW,
    "commits": _COMMIT,
    "files": "path additions deletions",
    "timelineItems": _TIMELINE,
}


def follow_up(field: str) -> str:
    """The query for the next pages of one nested list of one pull request."""
    args = f"first: {NESTED[field]}, after: $after"
    if field == "timelineItems":
        args += f", itemTypes: [{_TIMELINE_TYPES}]"
    return (
        f"query PullRequest_{field}($owner: String!, $name: String!, $number: Int!, "
        "$after: String) {\n"
        "  rateLimit { cost remaining resetAt nodeCount }\n"
        "  repository(owner: $owner, name: $name) { pullRequest(number: $number) {\n"
        f"    {field}({args}) {{ totalCount pageInfo {{ hasNextPage endCursor }}\n"
        f"      nodes {{ {_FOLLOW_UP_NODES[field]} }} }}\n"
        "  } }\n}\n"
    )


FOLLOW_UP = {field: follow_up(field) for field in NESTED}

# The branch's commits in the period, all ancestors (not only first-parent: the reader rebuilds
# the first-parent chain from `parents`), each with the pull requests GitHub associates with it.
HISTORY = """query BranchHistory($owner: String!, $name: String!, $ref: String!, $since: GitTimestamp!, $until: GitTimestamp!, $after: String) {
  rateLimit { cost remaining resetAt nodeCount }
  repository(owner: $owner, name: $name) {
    ref(qualifiedName: $ref) { target { ... on Commit {
      oid
      history(first: 100, since: $since, until: $until, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { oid committedDate messageHeadline
          author { name email user { login } }
          committer { name email user { login } }
          parents(first: 2) { nodes { oid } }
          associatedPullRequests(first: 5) { nodes { number mergedAt baseRefName mergeCommit { oid } } } }
      } } } }
  }
}
"""
