"""Hypothesis profiles: ``ci`` (the default) is derandomized and bounded, so every run of the
suite explores the same examples; ``nightly`` explores ten times as many, randomly, for
local runs before a release: ``HYPOTHESIS_PROFILE=nightly bash scripts/test.sh``.
``mutation`` (scripts/mutation.sh) is ``ci`` that stops at the first failing example
(no search for more bugs, no shrinking, no explaining): the same examples in the same order,
so the same pass or fail, which is all mutation testing needs.

Tests that need more (or fewer) examples than the profile's default say so with
``@settings(max_examples=examples(n))``, which scales with the profile.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FACTOR = {"ci": 1, "nightly": 10}.get(PROFILE, 1)
PROFILES = ("ci", "nightly", "mutation")

settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True,
    max_examples=100, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "mutation", settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    report_multiple_bugs=False)
settings.register_profile(
    "nightly", derandomize=False, deadline=None, print_blob=True,
    max_examples=100 * FACTOR, suppress_health_check=[HealthCheck.too_slow])


def load() -> None:
    settings.load_profile(PROFILE if PROFILE in PROFILES else "ci")


def examples(n: int) -> int:
    """``n`` examples under ``ci``, ``10 n`` under ``nightly``."""
    return n * FACTOR
