"""Finding the models a machine already has: local servers, GGUF files, and which is best."""

from __future__ import annotations

import json
import struct
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from os1.models.catalog import Machine, catalog, recommend
from os1.models.discovery import Found, best, discover, gguf_metadata, parse_params
from tests.helpers import ONBOARDING_ANSWERS, free_port, os1
from tests.models.fake_hub import model_server, serve

OLLAMA_TAGS = [
    {"name": "llama3.1:8b", "size": 4_920_000_000, "details": {"parameter_size": "8.0B"}},
    {"name": "qwen2.5:0.5b", "size": 398_000_000, "details": {"parameter_size": "494.03M"}},
    {
        "name": "nomic-embed-text:latest",
        "size": 274_000_000,
        "details": {"parameter_size": "137M", "family": "nomic-bert"},
    },
]


def write_gguf(path: Path, size_label: str | None, padding: int = 0) -> Path:
    """A minimal GGUF v3 header with a few general.* keys, then a tokenizer array to skip."""

    def s(text: str) -> bytes:
        return struct.pack("<Q", len(text.encode())) + text.encode()

    kvs = [s("general.architecture") + struct.pack("<I", 8) + s("llama")]
    if size_label:
        kvs.append(s("general.size_label") + struct.pack("<I", 8) + s(size_label))
    kvs.append(s("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", 15))
    kvs.append(s("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + s("<s>") + s("</s>"))
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)
    path.write_bytes(header + b"\0" * padding)
    return path


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("llama3.1:8b", 8.0),
        ("Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", 1.5),
        ("qwen2.5-0.5b-instruct-q4_k_m.gguf", 0.5),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", 0.135),
        ("mixtral:8x7b", 56.0),
        ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 8.0),
        ("mistral:latest", None),
    ],
)
def test_parameter_counts_are_read_from_model_names(name: str, params: float | None) -> None:
    assert parse_params(name) == params


@given(st.text(max_size=60))
def test_parsing_any_name_never_fails(name: str) -> None:
    value = parse_params(name)
    assert value is None or value >= 0


def test_gguf_metadata_reads_the_size_label_and_skips_arrays(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "x.gguf", "7B")
    meta = gguf_metadata(path)
    assert meta["general.size_label"] == "7B" and meta["general.file_type"] == 15
    (tmp_path / "bad.gguf").write_bytes(b"not a gguf at all")
    assert gguf_metadata(tmp_path / "bad.gguf") == {}


def test_the_best_model_is_the_largest_chat_model_and_never_an_embedder() -> None:
    found = [
        Found("nomic-embed-text-v2", "Ollama", "openai:e", params_b=14.0),
        Found("big-base", "file", "llamacpp:/b", params_b=9.0, chat=False),
        Found("small-instruct", "file", "llamacpp:/s", params_b=1.5),
        Found("mid-chat", "Ollama", "openai:m", params_b=3.0),
    ]
    found = [Found(**{**f.__dict__, "embedding": "embed" in f.name}) for f in found]
    top = best(found)
    assert top is not None and top.name == "mid-chat"
    assert best([Found("tiny-instruct", "file", "llamacpp:/t", params_b=0.135)]) is None


def test_discovery_lists_servers_and_files_best_first(tmp_path: Path) -> None:
    files = tmp_path / "hub"
    write_gguf(files / "models--x" / "snapshots" / "1" / "Qwen2.5-3B-Instruct-Q4_K_M.gguf", None)
    write_gguf(files / "mystery-chat.gguf", None, padding=1_300_000)  # size says ~2 MB params
    write_gguf(files / "big-00002-of-00003.gguf", "70B")  # a later shard: not a model
    silent = f"http://127.0.0.1:{free_port()}"
    with (
        serve(model_server(OLLAMA_TAGS)) as ollama,
        serve(model_server(None, ["Llama-3.2-3B-Instruct"])) as llama_server,
    ):
        started = time.monotonic()
        found = discover(
            {"Ollama": ollama, "llama-server": llama_server, "LM Studio": silent}, [files]
        )
        assert time.monotonic() - started < 5
    names = [f.name for f in found]
    assert names[0] == "llama3.1:8b"
    assert set(names) == {
        "llama3.1:8b",
        "qwen2.5:0.5b",
        "nomic-embed-text:latest",
        "Llama-3.2-3B-Instruct",
        "Qwen2.5-3B-Instruct-Q4_K_M.gguf",
        "mystery-chat.gguf",
    }
    by_name = {f.name: f for f in found}
    assert by_name["llama3.1:8b"].base_url == f"{ollama}/v1"
    assert by_name["nomic-embed-text:latest"].embedding
    assert by_name["Llama-3.2-3B-Instruct"].spec == "openai:Llama-3.2-3B-Instruct"
    assert names[-1] == "nomic-embed-text:latest"


def test_recommendation_follows_memory_cores_and_gpu() -> None:
    gib = 2**30
    assert recommend(Machine(512 * 2**20, 2, False)) is None
    small = recommend(Machine(4 * gib, 2, False))
    assert small is not None and small.params_b <= 1.0
    laptop = recommend(Machine(16 * gib, 8, False))
    assert laptop is not None and 2.0 <= laptop.params_b <= 3.5
    workstation = recommend(Machine(32 * gib, 4, True))
    assert workstation is not None and workstation.name == "llama-3.1-8b-instruct"


def test_the_catalog_names_single_file_instruct_ggufs_without_invented_checksums() -> None:
    models = catalog()
    assert len(models) >= 5
    for m in models:
        assert m.hf_file.endswith(".gguf") and m.hf_repo.count("/") == 1
        assert 0.4 <= m.params_b <= 8.5 and m.license and m.chat_template
        assert m.sha256 is None or len(m.sha256) == 64


# -- through the CLI --------------------------------------------------------------------------


def probe_env(servers: dict[str, str], dirs: list[str] | None = None) -> dict[str, str]:
    return {"OS1_PROBE_SERVERS": json.dumps(servers), "OS1_MODEL_DIRS": json.dumps(dirs or [])}


def test_models_json_adds_what_local_servers_offer(home: Path) -> None:
    with serve(model_server(OLLAMA_TAGS)) as ollama:
        result = os1(home, "models", "--json", **probe_env({"Ollama": ollama}))
    assert result.returncode == 0, result.stderr
    rows = {r["spec"]: r for r in json.loads(result.stdout)}
    assert rows["scripted:echo"]["current"] is True  # the old fields stay
    assert rows["llamacpp:smollm2-135m"]["available"] is True
    llama = rows["openai:llama3.1:8b"]
    assert llama["found"] is True and llama["source"] == "Ollama"
    assert llama["params_b"] == 8.0 and llama["base_url"] == f"{ollama}/v1"
    assert {"backend", "name", "description", "available", "detail"} <= set(llama)


def test_models_table_points_at_the_best_one_found(home: Path, tmp_path: Path) -> None:
    write_gguf(tmp_path / "gguf" / "Qwen2.5-3B-Instruct-Q4_K_M.gguf", None)
    result = os1(home, "models", **probe_env({}, [str(tmp_path / "gguf")]))
    assert result.returncode == 0, result.stderr
    assert "Best found: Qwen2.5-3B-Instruct-Q4_K_M.gguf" in result.stdout


def test_use_switches_to_a_server_model_and_its_url(home: Path) -> None:
    with serve(model_server(OLLAMA_TAGS)) as ollama:
        result = os1(home, "models", "use", "llama3.1:8b", **probe_env({"Ollama": ollama}))
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((home / "config.toml").read_text())
    assert config == {"model": "openai:llama3.1:8b", "openai_base_url": f"{ollama}/v1"}


def test_use_with_a_full_spec_finds_the_server_that_offers_it(home: Path) -> None:
    with serve(model_server(None, ["Llama-3.2-3B-Instruct"])) as server:
        env = probe_env({"llama-server": server})
        result = os1(home, "models", "use", "openai:Llama-3.2-3B-Instruct", **env)
    assert result.returncode == 0, result.stderr
    assert tomllib.loads((home / "config.toml").read_text())["openai_base_url"] == f"{server}/v1"


def test_use_of_something_not_here_is_one_clear_error(home: Path) -> None:
    missing = os1(home, "models", "use", "llama3.1:70b", **probe_env({}))
    assert missing.returncode == 4 and "no model called" in missing.stderr
    assert "hint:" in missing.stderr and not (home / "config.toml").exists()
    not_pulled = os1(home, "models", "use", "qwen2.5-1.5b-instruct", **probe_env({}))
    assert not_pulled.returncode == 4 and "os1 models pull qwen2.5-1.5b-instruct" in (
        not_pulled.stderr
    )


def test_setup_offers_a_better_model_found_and_switches_on_yes(home: Path) -> None:
    with serve(model_server(OLLAMA_TAGS)) as ollama:
        env = probe_env({"Ollama": ollama})
        result = os1(
            home, "setup", model="llamacpp:smollm2-135m", input=ONBOARDING_ANSWERS + "y\n", **env
        )
    assert result.returncode == 0, result.stderr
    assert "I found llama3.1:8b in Ollama" in result.stdout
    assert tomllib.loads((home / "config.toml").read_text())["model"] == "openai:llama3.1:8b"


def test_setup_asks_nothing_more_when_a_model_was_chosen(home: Path) -> None:
    with serve(model_server(OLLAMA_TAGS)) as ollama:
        result = os1(home, "setup", input=ONBOARDING_ANSWERS, **probe_env({"Ollama": ollama}))
    assert result.returncode == 0, result.stderr
    assert "I found" not in result.stdout and not (home / "config.toml").exists()
