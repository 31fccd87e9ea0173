"""Byte-level BPE: a small trainer, an encoder, and the HF `tokenizer.json` writer/reader.

The encoder reproduces what `@huggingface/tokenizers` (the serving library) does with the
tokenizer.json written here: split on added tokens, Digits(individual) then ByteLevel pre-tokenizers,
then rank-ordered merges. tests/test_tokenizer.py checks ids are identical on held-out text.
"""
from __future__ import annotations

import heapq
import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import regex

from .chat import MARKUP_TOKENS

log = logging.getLogger(__name__)

# JavaScript's \s (the serving side matches with JS regexes), spelled out for Python.
_JS_WS = "\\t\\n\\x0b\\x0c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
# The GPT-2 pattern used by ByteLevel(use_regex=true), with \s replaced by the JS class.
_BYTELEVEL_RE = regex.compile(
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^%s\\p{L}\\p{N}]+|[%s]+(?![^%s])|[%s]+"
    % (_JS_WS, _JS_WS, _JS_WS, _JS_WS)
)
# Digits(individual_digits=true) in JS is `[^\d]+|\d` with ASCII \d.
_DIGITS_RE = regex.compile("[^0-9]+|[0-9]")


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte → printable-character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def pre_tokenize(text: str) -> List[str]:
    """Text (no special tokens) → byte-level pieces, as the JS Sequence[Digits, ByteLevel] does."""
    out = []
    for part in _DIGITS_RE.findall(text):
        for piece in _BYTELEVEL_RE.findall(part):
            out.append("".join(BYTE_ENCODER[b] for b in piece.encode("utf-8")))
    return out


def train_bpe(texts: Iterable[str], vocab_size: int, special_tokens: Sequence[str]) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """Learn merges until the vocab (specials + 256 bytes + merges) reaches vocab_size."""
    word_freq: Counter = Counter()
    for text in texts:
        word_freq.update(pre_tokenize(text))
    vocab: Dict[str, int] = {t: i for i, t in enumerate(special_tokens)}
    for ch in sorted(BYTE_ENCODER.values(), key=lambda c: BYTE_DECODER[c]):
        vocab[ch] = len(vocab)
    words = [list(w) for w in word_freq]
    freqs = list(word_freq.values())
    pair_count: Dict[Tuple[str, str], int] = defaultdict(int)
    where: Dict[Tuple[str, str], set] = defaultdict(set)
    for wi, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += freqs[wi]
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges: List[Tuple[str, str]] = []
    while len(vocab) < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        if -neg < 2:
            break
        if pair_count.get(pair, 0) != -neg:
            continue  # stale entry: the pair's current count was pushed when it changed
        merged = pair[0] + pair[1]
        merges.append(pair)
        vocab[merged] = len(vocab)
        changed = set()
        for wi in list(where[pair]):
            w, f = words[wi], freqs[wi]
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                changed.add(p)
            new_w, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == pair[0] and w[i + 1] == pair[1]:
                    new_w.append(merged)
                    i += 2
                else:
                    new_w.append(w[i])
                    i += 1
            words[wi] = new_w
            for p in zip(new_w, new_w[1:]):
                pair_count[p] += f
                where[p].add(wi)
                changed.add(p)
        del pair_count[pair], where[pair]
        for p in changed:
            if p != pair and pair_count.get(p, 0) >= 2:
                heapq.heappush(heap, (-pair_count[p], p))
    log.info("bpe: %d merges, vocab %d, %d distinct words", len(merges), len(vocab), len(words))
    return vocab, merges


class ByteLevelBPE:
    """Encoder/decoder over a vocab + merges + added (special) tokens."""

    def __init__(self, vocab: Dict[str, int], merges: List[Tuple[str, str]], special_tokens: Sequence[str]):
        self.vocab = vocab
        self.merges = merges
        self.special_tokens = list(special_tokens)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.id_to_token = {i: t for t, i in vocab.items()}
        self._special_re = regex.compile("(" + "|".join(regex.escape(t) for t in self.special_tokens) + ")")
        self._cache: Dict[str, List[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def token_id(self, token: str) -> int:
        return self.vocab[token]

    def _bpe(self, piece: str) -> List[int]:
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        word = list(piece)
        while len(word) > 1:
            best, best_rank = None, None
            for pair in zip(word, word[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            new_w, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    new_w.append(word[i] + word[i + 1])
                    i += 2
                else:
                    new_w.append(word[i])
                    i += 1
            word = new_w
        ids = [self.vocab[t] for t in word]
        if len(self._cache) < 500_000:
            self._cache[piece] = ids
        return ids

    def encode(self, text: str) -> List[int]:
        ids: List[int] = []
        for section in self._special_re.split(text):
            if not section:
                continue
            if section in self.special_tokens:
                ids.append(self.vocab[section])
                continue
            for piece in pre_tokenize(section):
                ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        out, buf = [], bytearray()
        for i in ids:
            tok = self.id_to_token[int(i)]
            if tok in self.special_tokens:
                out.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                out.append(tok)
            else:
                buf.extend(BYTE_DECODER[c] for c in tok)
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)

    def to_hf_json(self) -> dict:
        added = [
            {"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": t not in MARKUP_TOKENS}
            for t in self.special_tokens
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            ]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": self.vocab, "merges": [[a, b] for a, b in self.merges]},
        }

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_hf_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "ByteLevelBPE":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        specials = [t["content"] for t in sorted(data["added_tokens"], key=lambda t: t["id"])]
        merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in data["model"]["merges"]]
        return cls(data["model"]["vocab"], merges, specials)
