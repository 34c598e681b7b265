"""The embedded backend, through the real llama.cpp runtime on the bundled SmolLM2 file."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.config import Settings
from os1.errors import ModelError
from os1.events import TextDelta, TurnDone
from os1.models import create_model
from os1.models.base import Message
from os1.models.llamacpp import (
    LlamaCppModel,
    _model_params_without_repack,
    bundled_model_path,
    cpu_has_amx,
    should_disable_repack,
)
from os1.storage import SQLiteStore
from tests.conftest import collect, make_companion

AMX_CPU = "processor\t: 0\nflags\t\t: fpu sse avx2 amx_bf16 amx_tile amx_int8 avx512f\n"
PLAIN_CPU = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n"
HELLO = [Message("system", "You are a kind assistant."), Message("user", "Say hello.")]


@pytest.mark.parametrize(
    ("setting", "cpuinfo", "disabled"),
    [
        ("auto", AMX_CPU, True),
        ("auto", PLAIN_CPU, False),
        ("auto", "", False),
        ("on", PLAIN_CPU, True),
        ("off", AMX_CPU, False),
    ],
)
def test_repacking_is_turned_off_on_amx_cpus(setting: str, cpuinfo: str, disabled: bool) -> None:
    assert should_disable_repack(setting, cpuinfo) is disabled


def test_amx_is_read_from_the_cpu_flags() -> None:
    assert cpu_has_amx(AMX_CPU) and not cpu_has_amx(PLAIN_CPU)


def test_the_repack_guard_sets_use_extra_bufts_false_only_while_loading() -> None:
    import llama_cpp.llama_cpp as bindings

    assert bindings.llama_model_default_params().use_extra_bufts is True
    with _model_params_without_repack(True):
        assert bindings.llama_model_default_params().use_extra_bufts is False
    assert bindings.llama_model_default_params().use_extra_bufts is True


@pytest.fixture(scope="module")
def smollm() -> LlamaCppModel:
    model = create_model(Settings(model="llamacpp:smollm2-135m", context_window=2048))
    assert isinstance(model, LlamaCppModel)
    model.load_sync()
    return model


async def take(stream: AsyncIterator[str]) -> str:
    return "".join([piece async for piece in stream])


@pytest.mark.real_model
def test_the_bundled_smollm2_ships_in_a_package() -> None:
    path = bundled_model_path("smollm2-135m")
    assert path is not None and path.stat().st_size > 50_000_000


@pytest.mark.real_model
def test_the_chat_template_comes_from_the_gguf_metadata(smollm: LlamaCppModel) -> None:
    assert "<|im_start|>" in smollm._llm.metadata["tokenizer.chat_template"]
    prompt = smollm.render_prompt(HELLO)
    assert prompt.startswith("<|im_start|>system\nYou are a kind assistant.<|im_end|>")
    assert prompt.endswith("<|im_start|>assistant\n")


@pytest.mark.real_model
async def test_a_short_reply_completes_and_stops(smollm: LlamaCppModel) -> None:
    text = await take(smollm.stream(HELLO, max_tokens=120, temperature=0))
    assert text.strip()
    assert "<|im_end|>" not in text and "<|im_start|>" not in text
    assert smollm.count_tokens(text) < 120  # it stopped on its own turn end


@pytest.mark.real_model
async def test_a_real_exchange_is_stored(smollm: LlamaCppModel, store: SQLiteStore) -> None:
    settings = Settings(model="llamacpp:smollm2-135m", max_reply_tokens=48, temperature=0)
    companion = make_companion(store, smollm, settings)
    events = await collect(companion.turn("Hi! How are you today?"))
    done = events[-1]
    assert isinstance(done, TurnDone) and done.text
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed.strip() == done.text
    stored = store.messages(done.conversation_id)
    assert [(m.role, m.status) for m in stored] == [("user", "complete"), ("assistant", "complete")]
    assert stored[1].content == done.text and stored[1].meta["model"] == "llamacpp:smollm2-135m"


@pytest.mark.real_model
async def test_inference_runs_off_the_event_loop(smollm: LlamaCppModel) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    await take(smollm.stream(HELLO, max_tokens=40, temperature=0))
    task.cancel()
    assert ticks > 5


@pytest.mark.real_model
async def test_closing_a_stream_stops_generation_and_the_model_stays_usable(
    smollm: LlamaCppModel,
) -> None:
    stream = smollm.stream(HELLO, max_tokens=200, temperature=0)
    first = await anext(stream)
    await stream.aclose()
    assert first
    again = await take(smollm.stream(HELLO, max_tokens=20, temperature=0))
    assert again


@pytest.mark.real_model
async def test_the_amx_workaround_loads_and_generates_for_real() -> None:
    settings = Settings(
        model="llamacpp:smollm2-135m", context_window=1024, llama_disable_repack="on"
    )
    model = create_model(settings)
    assert isinstance(model, LlamaCppModel) and model.disable_repack
    await model.load()
    assert model._llm.model_params.use_extra_bufts is False
    assert (await take(model.stream(HELLO, max_tokens=16, temperature=0))).strip()
    await model.aclose()


@pytest.mark.real_model
async def test_a_file_that_is_not_a_gguf_is_a_clear_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 1000)
    model = create_model(Settings(model=f"llamacpp:{bad}"))
    with pytest.raises(ModelError, match="could not load"):
        await model.load()


@pytest.mark.real_model
async def test_an_embedded_turn_ends_on_a_sentence_and_keeps_the_users_relations_theirs(
    smollm: LlamaCppModel, store: SQLiteStore
) -> None:
    from os1.mind.small_model import speaks_as_user_or_human

    settings = Settings(model="llamacpp:smollm2-135m", temperature=0)
    companion = make_companion(store, smollm, settings)
    conv = None
    for text in ("My ex-wife is Catherine.", "I'm okay. A little lonely."):
        events = await collect(companion.turn(text, conv))
        done = events[-1]
        assert isinstance(done, TurnDone)
        conv = done.conversation_id
        assert done.text.rstrip("\"')").endswith((".", "!", "?"))
        assert not speaks_as_user_or_human(done.text, text)
        assert "my ex-wife" not in done.text.lower()


@pytest.mark.real_model
async def test_the_next_prompt_is_evaluated_ahead_and_the_reply_is_the_same(
    smollm: LlamaCppModel,
) -> None:
    history = [*HELLO, Message("assistant", "Hello! How are you today?")]
    nxt = [*history, Message("user", "I'm fine, thanks. What shall we do?")]
    cold = await take(smollm.stream(nxt, max_tokens=24, temperature=0))
    await take(smollm.stream([Message("user", "Something else entirely.")], max_tokens=4,
                             temperature=0))  # fmt: skip
    # Everything up to the user's words, evaluated ahead: once, then found in the cache.
    ahead = await asyncio.to_thread(
        smollm.prefill, [*history, Message("user", "Yes.")], [*history, Message("user", "No?")]
    )
    assert ahead > 0
    assert smollm.prefill([*history, Message("user", "Yes.")],
                          [*history, Message("user", "No?")]) == 0  # fmt: skip
    assert await take(smollm.stream(nxt, max_tokens=24, temperature=0)) == cold


@pytest.mark.real_model
async def test_a_small_model_turn_warms_the_next_prompt(
    smollm: LlamaCppModel, store: SQLiteStore
) -> None:
    settings = Settings(model="llamacpp:smollm2-135m", temperature=0)
    companion = make_companion(store, smollm, settings)
    done = (await collect(companion.turn("I walked by the sea today.", None)))[-1]
    assert isinstance(done, TurnDone)
    for _ in range(100):  # the warm-up runs on its own thread after the reply
        if not any(t.name == "os1-warm-next" for t in threading.enumerate()):
            break
        await asyncio.sleep(0.05)
    cached = smollm._llm.input_ids[: smollm._llm.n_tokens].tolist()
    text = smollm._llm.detokenize(cached, special=True).decode(errors="ignore")
    # The cache now ends where the user's next words will go, after the reply just given
    # (without the warm-up it would end inside that reply).
    assert text.endswith("<|im_start|>user\n")
    assert done.text[:20] in text


@pytest.mark.real_model
async def test_words_anticipated_before_the_turn_are_evaluated_and_the_reply_is_the_same(
    smollm: LlamaCppModel, tmp_path: Path
) -> None:
    """A voice turn's words, known while the end-of-turn silence runs out, are evaluated
    ahead; the turn then finds them in the cache and replies exactly as it would have."""
    settings = Settings(model="llamacpp:smollm2-135m", temperature=0)
    words = "The water was cold and very clear."

    async def settled(name: str) -> None:
        for _ in range(200):
            if not any(t.name == name for t in threading.enumerate()):
                return
            await asyncio.sleep(0.05)

    replies = []
    for ahead in (False, True):
        store = SQLiteStore(tmp_path / f"{ahead}.db")
        companion = make_companion(store, smollm, settings)
        first = (await collect(companion.turn("I walked by the sea today.", None)))[-1]
        assert isinstance(first, TurnDone)
        await settled("os1-warm-next")
        if ahead:
            companion.anticipate(words, first.conversation_id)
            await settled("os1-anticipate")
            cached = smollm._llm.input_ids[: smollm._llm.n_tokens].tolist()
            text = smollm._llm.detokenize(cached, special=True).decode(errors="ignore")
            assert text.rstrip(" .").endswith("The water was cold and very clear")
            assert len(store.dialogue(first.conversation_id, 50)) == 2  # nothing stored
        done = (await collect(companion.turn(words, first.conversation_id)))[-1]
        assert isinstance(done, TurnDone)
        replies.append(done.text)
        store.close()
    assert replies[0] == replies[1]
