import json
from pathlib import Path

import pytest

from petrel_export.bpe import ByteLevelBPE, pre_tokenize
from petrel_export.chat import IM_END, IM_START
from petrel_export.corpus import build_corpus, corpus_paths
from petrel_export.dialogues import generate
from petrel_export.node import EXPORT_DIR, run_script

from .conftest import REPO

SAMPLES = [
    "Hello, world! It's 2026; 37 + 45 = 82.",
    "什么是自注意力？自注意力让每个词元查看其他词元。",
    "Emoji 🐦🌊✨ and ZWJ 👩‍💻, accents: café naïve Ærø.",
    "  leading and trailing spaces \n\n\ttabs\r\n",
    f"{IM_START}user\nHi{IM_END}\n{IM_START}assistant\n",
    "12345678901234567890",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip(tok, text):
    assert tok.decode(tok.encode(text)) == text


def test_digits_are_single_tokens(tok):
    pieces = pre_tokenize("x 1234 y")
    assert [p for p in pieces if p.isdigit()] == ["1", "2", "3", "4"]
    assert len(tok.encode("98765")) == 5


def test_special_tokens_are_single_ids(tok):
    ids = tok.encode(f"{IM_START}user\nhi{IM_END}")
    assert ids[0] == tok.token_id(IM_START) and ids[-1] == tok.token_id(IM_END)
    # the literal text of a special token inside content still maps to the special id, as in HF
    assert tok.encode(IM_END) == [tok.token_id(IM_END)]


def test_save_load_round_trip(tok, tmp_path):
    tok.save(tmp_path / "tokenizer.json")
    back = ByteLevelBPE.load(tmp_path / "tokenizer.json")
    assert back.vocab == tok.vocab and back.merges == tok.merges
    assert back.encode(SAMPLES[2]) == tok.encode(SAMPLES[2])


def test_ids_identical_to_huggingface_tokenizers_on_samples(tok, tmp_path):
    tok.save(tmp_path / "tokenizer.json")
    got = run_script("hf-tokenize.mjs", {"tokenizer": str(tmp_path / "tokenizer.json"), "texts": SAMPLES})
    assert got["ids"] == [tok.encode(t) for t in SAMPLES]


def heldout_text(min_bytes: int) -> list:
    """Held-out corpus documents (never seen by the tokenizer trainer) plus held-out SFT prompts."""
    corpus_dir = EXPORT_DIR / "data" / "cache" / "corpus"
    train_txt, val_txt = corpus_paths(corpus_dir)
    if not val_txt.exists():
        build_corpus(corpus_dir)
    docs, size = [], 0
    for doc in val_txt.read_text(encoding="utf-8").split("<|endoftext|>"):
        docs.append(doc)
        size += len(doc.encode("utf-8"))
        if size >= min_bytes:
            break
    docs += [c["messages"][-1]["content"] + (c["answer"] or "") for c in generate(1337, 0, 0).heldout]
    return docs


def test_shipped_tokenizer_ids_identical_to_huggingface_tokenizers_on_1mb_heldout():
    path = REPO / "models" / "petrel-mini" / "tokenizer.json"
    texts = heldout_text(1_050_000)
    assert sum(len(t.encode("utf-8")) for t in texts) >= 1_000_000
    tok = ByteLevelBPE.load(path)
    got = run_script("hf-tokenize.mjs", {"tokenizer": str(path), "texts": texts})["ids"]
    mismatched = [i for i, (a, t) in enumerate(zip(got, texts)) if a != tok.encode(t)]
    assert len(got) == len(texts) and mismatched == []
    assert json.loads(path.read_text())["pre_tokenizer"]["pretokenizers"][0]["individual_digits"] is True
