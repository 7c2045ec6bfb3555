"""The commands besides `scan`, one module per job; soc2lint.cli registers them on its group.

Heavy modules (jsonschema, the engine, the collectors) are imported inside command bodies, so
that importing these modules costs `soc2lint --version` nothing but click.
"""
