"""Mutation testing (``make mutation``, ``python -m mutation``): do the tests catch wrong answers?

cosmic-ray makes small wrong versions (mutants) of the modules in `targets.TARGETS`, where they are
installed; each is judged by the module's focused tests. A mutant the tests let through is
either a missing test or a change no caller can see (listed, with the reason, in `equivalents`).
Results go to mutation/RESULTS.md.
"""
