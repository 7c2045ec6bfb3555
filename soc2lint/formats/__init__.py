"""Artifact formats: recognising, reading and parsing files into position-carrying nodes."""
