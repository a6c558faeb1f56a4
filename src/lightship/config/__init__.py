"""Typed config schemas, their registration, and compose-time validation."""
