"""The programs under programs/ are run by test_programs.py, never imported by pytest's doctest
collection (importing one would run it)."""

collect_ignore_glob = ["programs/*"]
