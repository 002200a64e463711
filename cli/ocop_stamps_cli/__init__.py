"""``ocop-stamps``: the command line for producers, print shops and inspectors (standard library only)."""
