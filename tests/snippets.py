"""Inputs several test modules share."""

# A valid workflow with one finding: GHA002 at line 2, column 14 (the `write-all` value).
# Indented: the `write` fixture dedents what it writes.
WRITE_ALL_WORKFLOW = """\
    on: push
    permissions: write-all
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - run: make test
    """
