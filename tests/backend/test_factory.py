"""create_app and configuration from the environment."""

from __future__ import annotations

import pytest

from backend import create_app
from backend.config import DEFAULT_DATABASE_URL, load_config


def test_defaults_are_safe():
    config = load_config({})
    assert config["DEMO_MODE"] is False
    assert config["DATABASE_URL"] == DEFAULT_DATABASE_URL
    assert DEFAULT_DATABASE_URL.endswith("/instance/sendwise.db")
    assert config["MAX_REQUEST_BYTES"] == 2 * 1024 * 1024


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SENDWISE_MAX_REQUEST_BYTES", "1000")
    app = create_app()
    try:
        assert app.config["DATABASE_URL"].endswith("x.db")
        assert app.config["MAX_REQUEST_BYTES"] == 1000
    finally:
        app.extensions["sendwise.db"].dispose()


def test_demo_mode_is_not_taken_from_the_environment(monkeypatch, tmp_path):
    # A SENDWISE_DEMO=1 left in a deployment's environment must not open an
    # app served by gunicorn & co. to anyone; only `sendwise serve` reads it.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SENDWISE_DEMO", "1")
    app = create_app()
    try:
        assert app.config["DEMO_MODE"] is False
    finally:
        app.extensions["sendwise.db"].dispose()


def test_explicit_config_wins_over_environment(monkeypatch, make_app):
    monkeypatch.setenv("SENDWISE_DEMO", "1")
    assert make_app(DEMO_MODE=False).config["DEMO_MODE"] is False


def test_malformed_setting_stops_start_up():
    with pytest.raises(ValueError, match="SENDWISE_MAX_REQUEST_BYTES"):
        load_config({"SENDWISE_MAX_REQUEST_BYTES": "2MB"})


def test_each_app_is_independent(make_app):
    assert make_app() is not make_app()
