"""Talent moves as data: extraction at ingest, a SQLite store, and queries over it."""
