from pathlib import Path

import pytest

from os1.config import DEFAULT_MODEL, load_settings, resolve_home, set_config_value
from os1.errors import ConfigError


def test_defaults_use_the_embedded_model(home: Path) -> None:
    assert load_settings(home).model == DEFAULT_MODEL == "llamacpp:smollm2-135m"


def test_home_defaults_to_the_xdg_data_folder_and_moves_with_os1_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_home() == (tmp_path / "xdg" / "os1").resolve()
    monkeypatch.setenv("OS1_HOME", str(tmp_path / "elsewhere"))
    assert resolve_home() == (tmp_path / "elsewhere").resolve()
    assert resolve_home(tmp_path / "flag") == (tmp_path / "flag").resolve()


def test_one_env_var_switches_backend_and_model(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_config_value(home, "model", "scripted:echo")
    monkeypatch.setenv("OS1_MODEL", "openai:llama3.1")
    assert load_settings(home).model == "openai:llama3.1"


def test_set_validates_and_stores_typed_values(home: Path) -> None:
    set_config_value(home, "timeout", "120")
    assert "timeout = 120.0" in (home / "config.toml").read_text()
    assert load_settings(home).timeout == 120.0
    set_config_value(home, "timeout", None)
    assert load_settings(home).timeout == 60.0


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [("timeout", "-1", "timeout"), ("retries", "many", "retries"), ("colour", "blue", "unknown")],
)
def test_bad_values_are_refused_and_nothing_is_written(
    home: Path, key: str, value: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        set_config_value(home, key, value)
    assert says in caught.value.message
    assert not (home / "config.toml").exists()


def test_a_broken_config_file_is_one_clear_error(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text("model = [unclosed")
    with pytest.raises(ConfigError) as caught:
        load_settings(home)
    assert "not valid TOML" in caught.value.message


def test_bad_env_values_are_a_config_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS1_TEMPERATURE", "hot")
    with pytest.raises(ConfigError, match="temperature"):
        load_settings(home)


def test_secrets_are_masked_when_shown(home: Path) -> None:
    settings = set_config_value(home, "openai_api_key", "sk-very-secret")
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)
    assert settings.public_dict()["openai_api_key"] == "********"


def test_secrets_in_skill_sections_are_masked_and_nothing_else_is() -> None:
    from os1.config import Settings

    settings = Settings(
        mail={
            "accounts": {"home": {"username": "sam", "password": "hunter2", "smtp_password": "x"}}
        },
        calendar={"accounts": {"work": {"password_keyring": True, "api_key": "k"}}},
    )
    shown = settings.public_dict()
    assert shown["max_reply_tokens"] == settings.max_reply_tokens
    home = shown["mail"]["accounts"]["home"]
    assert home == {"username": "sam", "password": "********", "smtp_password": "********"}
    assert shown["calendar"]["accounts"]["work"] == {
        "password_keyring": True,
        "api_key": "********",
    }
