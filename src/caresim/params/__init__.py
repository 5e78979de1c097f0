"""Typed, frozen, sourced parameters: the schema of a scenario, its sections and leaf value types.

Import what you need from the submodules (``schema``, ``section``, ``values``, ``vocabulary``);
this package imports nothing itself, so a process module can use the leaf types without pulling in
the whole schema.
"""
