"""Terraform: parse (`parse.py` -> `syntax.py`), evaluate (`evaluate.py`, `config.py`) and the
value model (`values.py`); `soc2lint.formats.terraform` puts the result on the format seam.

See `config.py` for how module directories, calls and instances are evaluated.
"""
