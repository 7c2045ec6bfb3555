"""Audit records kept in the repository under the evidence directory (`.soc2/records/`):
quarterly access reviews, incident records and rollback drills. `read` turns a record file's
nodes into plain data checked against its JSON Schema (soc2lint/schema/records-*.schema.json);
`dates` holds the audit period and quarters; `generate` writes new records (`access-review new`,
`incident new`). The rules reading them are in soc2lint/detectors/records.py.
"""
