"""Shared test configuration: hypothesis profiles.

The default profile keeps CI fast. ``AUTOGRAD_CORE_PROFILE=long`` runs 10^4 examples per property for deeper runs.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("AUTOGRAD_CORE_PROFILE", "default"))
