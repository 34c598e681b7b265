import time
from collections.abc import Iterator

import pytest

from os1.config import Settings
from os1.errors import ModelNotFound, ModelStreamError, ModelTimeout, ModelUnreachable
from os1.events import TurnDone, TurnError
from os1.models import create_model
from os1.models.base import Message
from os1.models.openai_compat import OpenAIBackend, OpenAIModel
from os1.storage import SQLiteStore
from tests.conftest import collect, make_companion
from tests.helpers import free_port
from tests.models import fake_openai_server

HELLO = [Message("system", "be brief"), Message("user", "hello")]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with fake_openai_server.serve() as url:
        yield url


def model_at(url: str, **overrides: object) -> OpenAIModel:
    settings = Settings(model="openai:tiny", openai_base_url=url, **overrides)  # type: ignore[arg-type]
    model = create_model(settings)
    assert isinstance(model, OpenAIModel)
    return model


async def reply(model: OpenAIModel, messages: list[Message] = HELLO) -> str:
    return "".join([p async for p in model.stream(messages, max_tokens=50, temperature=0)])


async def test_streams_a_reply_from_an_openai_compatible_server(server: str) -> None:
    model = model_at(f"{server}/ok/v1", openai_api_key="sk-test")
    assert await reply(model) == "Echo: hello"
    sent = fake_openai_server.Handler.requests[-1]
    assert sent["auth"] == "Bearer sk-test"
    assert sent["body"]["stream"] is True and sent["body"]["model"] == "tiny"  # type: ignore[index]
    await model.aclose()


def test_lists_the_servers_models(server: str) -> None:
    settings = Settings(model="openai:tiny", openai_base_url=f"{server}/ok/v1")
    assert [m.spec for m in OpenAIBackend(settings).list_models()] == ["openai:tiny", "openai:big"]


def test_listing_models_of_a_server_that_is_down_says_so() -> None:
    settings = Settings(model="openai:x", openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    (info,) = OpenAIBackend(settings).list_models()
    assert not info.available and "cannot" in info.detail


async def test_a_server_that_is_down_is_unreachable_after_retries() -> None:
    model = model_at(f"http://127.0.0.1:{free_port()}/v1", retries=2)
    started = time.perf_counter()
    with pytest.raises(ModelUnreachable):
        await reply(model)
    assert time.perf_counter() - started >= 0.25 + 0.5  # it backed off between tries


async def test_a_server_slower_than_the_timeout_is_a_timeout(server: str) -> None:
    model = model_at(f"{server}/slow/v1", timeout=0.5)
    with pytest.raises(ModelTimeout):
        await reply(model)


@pytest.mark.parametrize("mode", ["broken", "garbage", "cutoff"])
async def test_a_broken_stream_is_a_stream_error(server: str, mode: str) -> None:
    with pytest.raises(ModelStreamError):
        await reply(model_at(f"{server}/{mode}/v1"))


async def test_an_unknown_model_is_model_not_found(server: str) -> None:
    with pytest.raises(ModelNotFound):
        await reply(model_at(f"{server}/missing/v1"))


@pytest.mark.parametrize(
    ("mode", "code"),
    [("slow", "model_timeout"), ("broken", "model_stream_broken"), ("down", "model_unreachable")],
)
async def test_server_faults_end_the_turn_with_an_error_and_keep_the_users_words(
    server: str, store: SQLiteStore, mode: str, code: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1" if mode == "down" else f"{server}/{mode}/v1"
    settings = Settings(model="openai:tiny", openai_base_url=url, timeout=0.5, retries=0)
    companion = make_companion(store, create_model(settings), settings)
    events = await collect(companion.turn("please remember I said this"))
    assert isinstance(events[-1], TurnError) and events[-1].code == code
    conv = store.latest_conversation()
    assert conv is not None
    assert store.messages(conv.id)[0].content == "please remember I said this"


async def test_a_whole_turn_through_the_openai_backend(server: str, store: SQLiteStore) -> None:
    settings = Settings(model="openai:tiny", openai_base_url=f"{server}/ok/v1")
    companion = make_companion(store, create_model(settings), settings)
    done = (await collect(companion.turn("hi there")))[-1]
    assert isinstance(done, TurnDone) and done.text == "Echo: hi there"
