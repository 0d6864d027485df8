"""The one set of helpers the tests and the benchmarks share.

Import them as `from tests.helpers.runs import ...` (pytest puts the repository root on the path;
benchmarks run as `python -m bench.NAME` from the repository root). Fixtures stay in conftest.py
files and call these helpers.
"""
