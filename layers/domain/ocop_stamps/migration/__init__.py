"""Bringing stored catalog items to today's shape: pure steps on an item dict (``steps``) and a
runner that applies them across the table without overwriting a concurrent change (``runner``).

Run ``python -m ocop_stamps.migration`` (docs/OPERATIONS.md, "Migrations"); the local stack runs
it on start.
"""
