"""Benchmarks and generated corpora: tooling beside the engine, never installed with it.

`talentbot bench` and the scripts in tools/ import it from a source checkout.
"""
