"""Settings of the demo service."""

import os

DATABASE_URL = os.environ["DATABASE_URL"]
# Pasted "for now" during an incident and never removed: soc2lint reports it (SEC001, critical).
# The value is AWS's documented example key, not a live credential.
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
