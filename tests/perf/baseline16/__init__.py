"""The code as it was before issue 16 (commit 82e19cd), kept verbatim so that
``tests/perf/bench_limits.py`` measures today's and yesterday's code side by side in one run
on one machine: ``qr.py`` (printing/qr.py), ``render.py`` (printing/render.py, importing this
``qr``) and ``scheme.py`` (codes/scheme.py). Benchmarks only; nothing imports them otherwise.
"""
