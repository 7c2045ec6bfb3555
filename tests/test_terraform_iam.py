"""soc2lint.terraform.iam: IAM policies (jsonencode dicts, JSON strings, aws_iam_policy_document
statement blocks) normalized into statements, and the full-admin / wildcard-action / trust
predicates in three-valued logic (unknown is None, never True)."""

from __future__ import annotations

import json
import pickle

import pytest

from soc2lint.terraform.iam import (
    UNKNOWN,
    Condition,
    PolicyError,
    Principal,
    Statement,
    any_statement,
    is_full_admin,
    is_trust_too_broad,
    is_wildcard_action,
    statements_from_document,
    statements_from_policy,
    verdicts,
)


class _Sentinel:
    """Like the evaluator's UNKNOWN: no truth value, and compared only by identity."""

    def __bool__(self) -> bool:
        raise TypeError("no truth value")

    def __eq__(self, other: object) -> bool:
        raise TypeError("compare by identity")

    __hash__ = object.__hash__


U = _Sentinel()  # the evaluator's sentinel for an unresolved value


def one(policy: object, **kw: object) -> Statement:
    got = statements_from_policy(policy, unknown=U)
    assert not isinstance(got, type(UNKNOWN)), got
    assert len(got) == 1
    return got[0]


def block(**kw: object) -> Statement:
    got = statements_from_document({"statement": [kw]}, unknown=U)
    assert not isinstance(got, type(UNKNOWN)), got
    return got[0]


# --- reading ---------------------------------------------------------------------------------

ADMIN_HEREDOC = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}
"""


def test_heredoc_json_string_with_a_statement_list() -> None:
    assert statements_from_policy(ADMIN_HEREDOC, unknown=U) == (
        Statement("Allow", ("*",), None, ("*",), None, None, None, (), None, 0),
    )


def test_jsonencode_dict_with_a_single_statement_object_and_action_list() -> None:
    s = one(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Sid": "ReadLogs",
                "Effect": "Allow",
                "Action": ["logs:GetLogEvents", "logs:DescribeLogStreams"],
                "Resource": ["arn:aws:logs:*:123456789012:log-group:/app/*"],
            },
        }
    )
    assert s.actions == ("logs:GetLogEvents", "logs:DescribeLogStreams")
    assert s.resources == ("arn:aws:logs:*:123456789012:log-group:/app/*",)
    assert (s.sid, s.index, s.conditions) == ("ReadLogs", 0, ())
    assert is_full_admin(s) is False
    assert is_wildcard_action(s) is False


def test_not_action_not_resource_and_principal_shapes() -> None:
    s = one(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "sts:*"],
                    "NotResource": "arn:aws:s3:::logs/*",
                    "Principal": {
                        "AWS": ["arn:aws:iam::111122223333:root"],
                        "Service": "ec2.amazonaws.com",
                    },
                }
            ]
        }
    )
    assert s.effect == "Deny"
    assert (s.actions, s.not_actions) == (None, ("iam:*", "sts:*"))
    assert (s.resources, s.not_resources) == (None, ("arn:aws:s3:::logs/*",))
    assert s.principals == (
        Principal("AWS", ("arn:aws:iam::111122223333:root",)),
        Principal("Service", ("ec2.amazonaws.com",)),
    )
    assert one({"Statement": {"Effect": "Allow", "Principal": "*"}}).principals == (
        Principal("*", ("*",)),
    )


def test_json_conditions_one_per_operator_and_key_values_as_strings() -> None:
    s = one(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {
                    "Bool": {"aws:SecureTransport": False},
                    "StringEquals": {
                        "aws:PrincipalOrgID": "o-abc",
                        "aws:SourceAccount": ["1", "2"],
                    },
                    "NumericLessThan": {"s3:max-keys": 10},
                },
            }
        }
    )
    assert s.conditions == (
        Condition("Bool", "aws:SecureTransport", ("false",)),
        Condition("StringEquals", "aws:PrincipalOrgID", ("o-abc",)),
        Condition("StringEquals", "aws:SourceAccount", ("1", "2")),
        Condition("NumericLessThan", "s3:max-keys", ("10",)),
    )


def test_policy_document_blocks_default_to_allow_and_read_principals_and_conditions() -> None:
    body = {
        "statement": [
            {
                "sid": "GithubActions",
                "actions": ["sts:AssumeRoleWithWebIdentity"],
                "principals": [
                    {
                        "type": "Federated",
                        "identifiers": [
                            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
                        ],
                    }
                ],
                "condition": [
                    {
                        "test": "StringEquals",
                        "variable": "token.actions.githubusercontent.com:aud",
                        "values": ["sts.amazonaws.com"],
                    },
                    {
                        "test": "StringLike",
                        "variable": "token.actions.githubusercontent.com:sub",
                        "values": ["repo:acme/deploy:ref:refs/heads/main"],
                    },
                ],
            },
            {"effect": "Deny", "actions": ["iam:*"], "resources": ["*"]},
        ]
    }
    first, second = statements_from_document(body, unknown=U)  # type: ignore[misc]
    assert first.effect == "Allow" and first.sid == "GithubActions" and first.index == 0
    assert first.principals == (
        Principal(
            "Federated",
            ("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",),
        ),
    )
    assert first.conditions[1] == Condition(  # type: ignore[index]
        "StringLike",
        "token.actions.githubusercontent.com:sub",
        ("repo:acme/deploy:ref:refs/heads/main",),
    )
    assert is_trust_too_broad(first) is False
    assert (second.effect, second.index, is_wildcard_action(second)) == ("Deny", 1, False)


def test_toset_values_read_in_a_stable_order() -> None:
    s = block(actions=frozenset({"s3:PutObject", "s3:*"}), resources={"*"})
    assert s.actions == ("s3:*", "s3:PutObject")
    assert is_wildcard_action(s) is True


def test_document_given_as_the_statement_list_or_one_block() -> None:
    blocks = [{"actions": ["*"], "resources": ["*"]}]
    assert statements_from_document(blocks, unknown=U) == statements_from_document(
        {"statement": blocks[0]}, unknown=U
    )
    assert statements_from_document({}, unknown=U) == ()


def test_source_and_override_documents_merge_by_sid() -> None:
    source = json.dumps(
        {
            "Statement": [
                {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": "*"},
            ]
        }
    )
    # the document's own "Admin" statement replaces the source's
    body = {
        "source_policy_documents": [source],
        "statement": [{"sid": "Admin", "actions": ["s3:GetObject"], "resources": ["*"]}],
    }
    got = statements_from_document(body, unknown=U)
    assert [(s.sid, s.actions, s.index) for s in got] == [  # type: ignore[union-attr]
        ("Admin", ("s3:GetObject",), 0),
        ("Logs", ("logs:*",), None),
    ]
    assert any_statement(got, is_full_admin) is False
    assert any_statement(got, is_wildcard_action) is True
    # an override statement with the same sid replaces the document's own
    override = json.dumps(
        {"Statement": {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}}
    )
    got = statements_from_document({**body, "override_policy_documents": [override]}, unknown=U)
    assert any_statement(got, is_full_admin) is True
    # a source document the evaluator could not resolve leaves the merge unknown
    assert statements_from_document({**body, "source_policy_documents": [U]}, unknown=U) is UNKNOWN


# --- unknown parts ---------------------------------------------------------------------------


def test_unknown_whole_policy_statement_list_or_statement() -> None:
    assert statements_from_policy(U, unknown=U) is UNKNOWN
    assert statements_from_policy({"Statement": U}, unknown=U) is UNKNOWN
    assert (
        statements_from_policy({"Statement": [{"Effect": "Deny", "Action": "*"}, U]}, unknown=U)
        is UNKNOWN
    )
    assert statements_from_document(U, unknown=U) is UNKNOWN
    assert statements_from_document({"statement": U}, unknown=U) is UNKNOWN
    assert statements_from_document({"statement": [U]}, unknown=U) is UNKNOWN
    assert verdicts(UNKNOWN, is_full_admin) is UNKNOWN
    assert any_statement(UNKNOWN, is_full_admin) is None


def test_unknown_parts_make_the_answer_unknown_never_true() -> None:
    # Resource from a variable without a value
    s = one({"Statement": {"Effect": "Allow", "Action": "*", "Resource": U}})
    assert s.resources is UNKNOWN
    assert is_full_admin(s) is None
    assert is_wildcard_action(s) is None
    # Effect unknown
    assert is_full_admin(one({"Statement": {"Effect": U, "Action": "*", "Resource": "*"}})) is None
    # one action unknown, none of the known ones a wildcard: unknown
    s = block(actions=["s3:GetObject", U], resources=["*"])
    assert s.actions == ("s3:GetObject", UNKNOWN)
    assert is_wildcard_action(s) is None
    # ...but a known wildcard decides it whatever the other item is
    assert is_full_admin(block(actions=["*", U], resources=["*"])) is True
    # and a known non-wildcard resource decides "no" whatever the action is
    assert is_full_admin(block(actions=U, resources=["arn:aws:s3:::b/*"])) is False
    assert is_wildcard_action(block(actions=U, resources=["arn:aws:s3:::b/*"])) is False
    # a Deny statement is never a grant, whatever is unknown in it
    assert is_full_admin(block(effect="Deny", actions=U, resources=U)) is False


def test_no_sentinel_means_nothing_is_unknown() -> None:
    s = statements_from_policy({"Statement": {"Effect": "Allow", "Action": None, "Resource": "*"}})
    assert s[0].actions is None  # type: ignore[index]


# --- predicates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "admin", "wildcard"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True, True),
        ({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}, True, True),
        ({"Effect": "Allow", "Action": "*:*", "Resource": "*"}, True, True),
        ({"effect": "allow", "action": "*", "resource": "*"}, True, True),
        ({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, False, True),
        ({"Effect": "Allow", "Action": ["ec2:Describe*", "S3:*"], "Resource": "*"}, False, True),
        ({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}, False, False),
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}, False, False),
        ({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::bucket/*"}, False, False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False, True),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False, False),
        ({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}, False, False),
    ],
)
def test_full_admin_and_wildcard_action(
    statement: dict[str, object], admin: bool, wildcard: bool
) -> None:
    s = one({"Version": "2012-10-17", "Statement": [statement]})
    assert (is_full_admin(s), is_wildcard_action(s)) == (admin, wildcard)


def test_resource_policy_statements_are_not_identity_grants() -> None:
    # every KMS key's default policy: kms:* on "*" (the key itself) to the account
    key_policy = block(
        sid="Enable IAM User Permissions",
        actions=["kms:*"],
        resources=["*"],
        principals=[{"type": "AWS", "identifiers": [U]}],
    )
    assert (is_full_admin(key_policy), is_wildcard_action(key_policy)) == (False, False)
    bucket = one(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}
    )
    assert (is_full_admin(bucket), is_wildcard_action(bucket)) == (False, False)
    deny_others = one(
        {
            "Statement": {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "x"},
                "Action": "*",
                "Resource": "*",
            }
        }
    )
    assert is_full_admin(deny_others) is False


def test_allow_admin_beside_a_deny_is_still_reported_per_statement() -> None:
    got = statements_from_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            ]
        },
        unknown=U,
    )
    assert verdicts(got, is_full_admin) == (True, False)
    assert any_statement(got, is_full_admin) is True


def trust(
    principal: object, condition: object = None, action: object = "sts:AssumeRole"
) -> Statement:
    st: dict[str, object] = {"Effect": "Allow", "Action": action, "Principal": principal}
    if condition is not None:
        st["Condition"] = condition
    return one({"Version": "2012-10-17", "Statement": [st]})


GH = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("principal", "condition", "action", "broad"),
    [
        ("*", None, "sts:AssumeRole", True),
        ({"AWS": "*"}, None, "sts:AssumeRole", True),
        (
            {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
            None,
            ["sts:AssumeRole", "sts:TagSession"],
            True,
        ),
        (
            {"AWS": "*"},
            {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3"}},
            "sts:AssumeRole",
            False,
        ),
        (
            {"AWS": "*"},
            {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3"}},
            "sts:AssumeRole",
            True,
        ),
        ({"AWS": "*"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, "sts:*", True),
        ({"AWS": "*"}, None, "sts:TagSession", False),
        ({"AWS": "arn:aws:iam::111122223333:root"}, None, "sts:AssumeRole", False),
        ({"Service": "ec2.amazonaws.com"}, None, "sts:AssumeRole", False),
        # GitHub Actions OIDC
        ({"Federated": GH}, None, "sts:AssumeRoleWithWebIdentity", True),
        (
            {"Federated": GH},
            {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
            "sts:AssumeRoleWithWebIdentity",
            True,
        ),
        (
            {"Federated": GH},
            {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
            "sts:AssumeRoleWithWebIdentity",
            True,
        ),
        (
            {"Federated": GH},
            {"StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/app:*", "*"]}},
            "sts:AssumeRoleWithWebIdentity",
            True,
        ),
        (
            {"Federated": GH},
            {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"},
            },
            "sts:AssumeRoleWithWebIdentity",
            False,
        ),
        (
            {"Federated": GH},
            {"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:evil/*"}},
            "sts:AssumeRoleWithWebIdentity",
            True,
        ),
        # another OIDC provider (EKS IRSA) is not GitHub
        (
            {
                "Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB"
            },
            None,
            "sts:AssumeRoleWithWebIdentity",
            False,
        ),
    ],
)
def test_trust_too_broad(principal: object, condition: object, action: object, broad: bool) -> None:
    assert is_trust_too_broad(trust(principal, condition, action)) is broad


def test_trust_unknowns() -> None:
    # the OIDC provider's ARN is a resource reference: GitHub is still known from the sub key
    s = trust(
        {"Federated": U},
        {
            "StringEquals": {
                "token.actions.githubusercontent.com:sub": "repo:a/b:ref:refs/heads/main"
            }
        },
    )
    assert is_trust_too_broad(s) is False
    s = trust(
        {"Federated": U},
        {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
    )
    assert is_trust_too_broad(s) is True
    # EKS IRSA: provider ARN and key by reference, the service-account subject literal
    irsa = block(
        actions=["sts:AssumeRoleWithWebIdentity"],
        principals=[{"type": "Federated", "identifiers": [U]}],
        condition=[
            {"test": "StringEquals", "variable": U, "values": ["system:serviceaccount:app:api"]},
            {"test": "StringEquals", "variable": U, "values": ["sts.amazonaws.com"]},
        ],
    )
    assert is_trust_too_broad(irsa) is False
    # the same with the subject unknown too: it may be GitHub
    irsa_unknown = block(
        actions=["sts:AssumeRoleWithWebIdentity"],
        principals=[{"type": "Federated", "identifiers": [U]}],
        condition=[{"test": "StringEquals", "variable": U, "values": U}],
    )
    assert is_trust_too_broad(irsa_unknown) is None
    # provider unknown and no GitHub key: it may be GitHub without a sub condition
    assert (
        is_trust_too_broad(trust({"Federated": U}, action="sts:AssumeRoleWithWebIdentity")) is None
    )
    # the sub value comes from a variable without a value
    s = trust({"Federated": GH}, {"StringLike": {"token.actions.githubusercontent.com:sub": U}})
    assert is_trust_too_broad(s) is None
    # principal unknown
    assert is_trust_too_broad(trust(U)) is None
    assert is_trust_too_broad(trust({"AWS": U})) is None
    # a pinning condition whose value is unknown still pins the org
    assert (
        is_trust_too_broad(trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": U}}))
        is False
    )


def test_trust_from_policy_document_blocks() -> None:
    broad = block(
        actions=["sts:AssumeRole"],
        principals=[{"type": "AWS", "identifiers": ["*"]}],
    )
    assert is_trust_too_broad(broad) is True
    everyone = block(actions=["sts:AssumeRole"], principals=[{"type": "*", "identifiers": ["*"]}])
    assert is_trust_too_broad(everyone) is True
    service = block(
        actions=["sts:AssumeRole"],
        principals={"type": "Service", "identifiers": ["lambda.amazonaws.com"]},
    )
    assert is_trust_too_broad(service) is False
    github_unpinned = block(
        actions=["sts:AssumeRoleWithWebIdentity"],
        principals=[{"type": "Federated", "identifiers": [GH]}],
        condition=[
            {
                "test": "StringLike",
                "variable": "token.actions.githubusercontent.com:sub",
                "values": ["repo:*"],
            }
        ],
    )
    assert is_trust_too_broad(github_unpinned) is True
    deny = block(
        effect="Deny",
        actions=["sts:AssumeRole"],
        principals=[{"type": "AWS", "identifiers": ["*"]}],
    )
    assert is_trust_too_broad(deny) is False


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{not json", "policy is not valid JSON"),
        ('["a"]', "policy: expected a JSON object, got a list"),
        ({"Version": "2012-10-17"}, "policy has no Statement"),
        ({"Statement": "x"}, "Statement: expected an object or a list, got a str"),
        ({"Statement": ["x"]}, "Statement[0]: expected an object, got a str"),
        ({"Statement": [{"Action": "*"}]}, "Statement[0]: no Effect"),
        (
            {"Statement": [{"Effect": "Permit"}]},
            "Statement[0]: Effect must be Allow or Deny, got 'Permit'",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": {"a": 1}}]},
            "Statement[0].Action: expected a string, got an object",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": "AWS"}]},
            'Statement[0].Principal: a string principal must be "*"',
        ),
    ],
)
def test_bad_policies_raise_one_line_errors(policy: object, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        statements_from_policy(policy, unknown=U)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_bad_document_blocks_raise() -> None:
    with pytest.raises(PolicyError, match=r"^statement\[0\]: expected a block, got a str$"):
        statements_from_document({"statement": ["x"]}, unknown=U)
    with pytest.raises(
        PolicyError,
        match=r"^statement\[0\].condition\[0\].values: expected a string, got an object$",
    ):
        statements_from_document(
            {
                "statement": [
                    {"condition": [{"test": "StringEquals", "variable": "k", "values": [{}]}]}
                ]
            },
            unknown=U,
        )


def test_unknown_marker_is_a_singleton() -> None:
    assert repr(UNKNOWN) == "UNKNOWN"
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    assert type(UNKNOWN)() is UNKNOWN
