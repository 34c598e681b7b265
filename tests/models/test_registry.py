import pytest

from os1.config import Settings
from os1.errors import ConfigError, ModelNotFound
from os1.models import available_backends, create_model, parse_model_spec, register_backend
from os1.models.base import Backend, ChatModel, ModelInfo
from os1.models.llamacpp import LlamaCppModel
from os1.models.openai_compat import OpenAIModel
from os1.models.scripted import ScriptedBackend, ScriptedModel


def test_every_builtin_backend_is_an_installed_plugin() -> None:
    backends = available_backends()
    assert {"llamacpp", "openai", "scripted"} <= set(backends)
    assert backends["scripted"] is ScriptedBackend


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("scripted:echo", ScriptedModel),
        ("openai:llama3.1", OpenAIModel),
        ("llamacpp:smollm2-135m", LlamaCppModel),
    ],
)
def test_one_setting_selects_backend_and_model(spec: str, kind: type) -> None:
    model = create_model(Settings(model=spec))
    assert isinstance(model, kind)
    assert f"{model.backend}:{model.name}" == spec


def test_a_backend_registered_at_run_time_is_selected_the_same_way() -> None:
    @register_backend
    class Parrot(Backend):
        name = "parrot"

        def list_models(self) -> list[ModelInfo]:
            return [ModelInfo("parrot", "polly")]

        def model(self, name: str) -> ChatModel:
            return ScriptedModel(name, ["squawk"])

    assert create_model(Settings(model="parrot:polly")).name == "polly"


@pytest.mark.parametrize("spec", ["smollm2", ":x", "openai:"])
def test_a_malformed_model_spec_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="BACKEND:MODEL"):
        parse_model_spec(spec)


def test_an_unknown_backend_names_the_installed_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        create_model(Settings(model="nope:x"))
    assert "scripted" in caught.value.hint


def test_a_missing_gguf_file_is_model_not_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFound):
        create_model(Settings(model=f"llamacpp:{tmp_path}/absent.gguf"))


def test_a_script_file_drives_the_scripted_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "script.json"
    script.write_text('{"replies": ["first", "second"], "delay": 0.01}')
    model = create_model(Settings(model=f"scripted:{script}"))
    assert isinstance(model, ScriptedModel) and model.delay == 0.01
