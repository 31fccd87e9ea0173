"""Token streams for pretraining and packed, loss-masked rows for SFT."""
from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import List, Tuple

import numpy as np
import torch

from .bpe import ByteLevelBPE
from .chat import BOS, render_segments

log = logging.getLogger(__name__)
IGNORE = -100


def encode_corpus(tok: ByteLevelBPE, text_path: Path, out_path: Path, max_bytes: int = 0) -> np.ndarray:
    """Encodes a corpus file (documents joined by <|endoftext|>) once; cached as uint16 .npy."""
    if out_path.exists():
        return np.load(out_path, mmap_mode="r")
    text = Path(text_path).read_text(encoding="utf-8")
    if max_bytes:
        text = text[:max_bytes]
    ids = np.array(tok.encode(text), dtype=np.uint16)
    np.save(out_path, ids)
    log.info("encoded %s: %d chars → %d tokens", text_path.name, len(text), len(ids))
    return ids


class StreamBatches:
    """Random (B, T) windows of a token stream with next-token targets."""

    def __init__(self, ids: np.ndarray, batch_size: int, block_size: int, seed: int):
        self.ids, self.B, self.T = ids, batch_size, block_size
        self.gen = torch.Generator().manual_seed(seed)

    def next(self) -> Tuple[torch.Tensor, torch.Tensor]:
        ix = torch.randint(len(self.ids) - self.T - 1, (self.B,), generator=self.gen).tolist()
        rows = np.stack([np.asarray(self.ids[i : i + self.T + 1], dtype=np.int64) for i in ix])
        t = torch.from_numpy(rows)
        return t[:, :-1], t[:, 1:]

    def fixed(self, n_batches: int, seed: int) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        saved, self.gen = self.gen, torch.Generator().manual_seed(seed)
        out = [self.next() for _ in range(n_batches)]
        self.gen = saved
        return out


def sft_example(tok: ByteLevelBPE, dialogue: dict) -> Tuple[List[int], List[int]]:
    """ids and per-position targets: next token where it is assistant text, a tool call or <|im_end|>,
    else -100. dialogue: {"messages": [...], "tools": [...] | None}."""
    ids: List[int] = []
    trained: List[bool] = []
    for text, is_trained in render_segments(dialogue["messages"], dialogue.get("tools")):
        piece = tok.encode(text)
        ids += piece
        trained += [is_trained] * len(piece)
    ids.append(tok.token_id(BOS))
    trained.append(False)
    targets = [ids[i + 1] if trained[i + 1] else IGNORE for i in range(len(ids) - 1)] + [IGNORE]
    return ids, targets


def pack_rows(examples: List[Tuple[List[int], List[int]]], block_size: int, pad_id: int, rng: random.Random):
    """Greedy packing of whole dialogues into rows of block_size; pads carry no loss."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    rows_x, rows_y, cur_x, cur_y = [], [], [], []
    for i in order:
        x, y = examples[i]
        if len(x) > block_size:
            continue
        if len(cur_x) + len(x) > block_size:
            rows_x.append(cur_x + [pad_id] * (block_size - len(cur_x)))
            rows_y.append(cur_y + [IGNORE] * (block_size - len(cur_y)))
            cur_x, cur_y = [], []
        cur_x, cur_y = cur_x + x, cur_y + y
    if cur_x:
        rows_x.append(cur_x + [pad_id] * (block_size - len(cur_x)))
        rows_y.append(cur_y + [IGNORE] * (block_size - len(cur_y)))
    return torch.tensor(rows_x), torch.tensor(rows_y)


class SftBatches:
    """Epochs of packed rows, reshuffled and repacked every epoch with a seeded RNG."""

    def __init__(self, examples, batch_size: int, block_size: int, pad_id: int, seed: int):
        self.examples, self.B, self.T, self.pad = examples, batch_size, block_size, pad_id
        self.rng = random.Random(seed)
        self.epoch, self.pos = 0, 0
        self.x, self.y = pack_rows(examples, block_size, pad_id, self.rng)

    def next(self) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.pos + self.B > len(self.x):
            self.epoch += 1
            self.pos = 0
            self.x, self.y = pack_rows(self.examples, self.T, self.pad, self.rng)
        xb, yb = self.x[self.pos : self.pos + self.B], self.y[self.pos : self.pos + self.B]
        self.pos += self.B
        return xb, yb


class MixedBatches:
    """SFT batches in which `corpus_rows` of every batch are pretraining windows with loss on every token:
    the standard remedy against fine-tuning erasing what pretraining taught."""

    def __init__(self, sft: SftBatches, corpus: StreamBatches, corpus_rows: int):
        self.sft, self.corpus, self.k = sft, corpus, corpus_rows
        self.sft.B -= corpus_rows
        self.corpus.B = corpus_rows

    def next(self) -> Tuple[torch.Tensor, torch.Tensor]:
        xs, ys = self.sft.next()
        if not self.k:
            return xs, ys
        xc, yc = self.corpus.next()
        return torch.cat([xs, xc]), torch.cat([ys, yc])
