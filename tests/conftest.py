"""Shared test configuration: hypothesis profiles.

The default profile keeps CI fast. ``AUTOGRAD_CORE_PROFILE=long`` runs 10^4 examples per property for deeper runs.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

from autograd_core import OPS

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("AUTOGRAD_CORE_PROFILE", "default"))


@pytest.fixture(autouse=True)
def restore_op_table():
    """Custom ops a test (or a documentation block) defines are removed afterwards, in place, so no test leaks
    entries into tests that iterate the table."""
    saved = dict(OPS)
    yield
    OPS.clear()
    OPS.update(saved)
