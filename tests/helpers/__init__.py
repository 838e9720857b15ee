"""What the tests share: instance builders, the brute-force oracle, file locations.

Imported as ``tests.helpers.builders``, ``tests.helpers.oracle`` and
``tests.helpers.paths``; fixtures built on them are in ``tests/conftest.py``.
"""
