"""The project's settings plus the failing views of ``tests.config.observed_app`` (server processes
of the observability tests)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.config.observed_app"
