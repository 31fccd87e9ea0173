"""corpus → tokenizer → pretrain → SFT → export → evaluate, resumable at every stage.

    cd model-export && /usr/bin/python3 -m petrel_export.pipeline --config cpu

Work files go to model-export/runs/<config>/ (gitignored); the model directory to --out
(default ../models/<model_id>).
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from . import dialogues
from . import skills as S
from .bpe import ByteLevelBPE, train_bpe
from .chat import ADDED_TOKENS, BOS, IM_END, render
from .configs import CONFIGS, RunConfig
from .corpus import build_corpus, corpus_paths, read_docs
from .data import MixedBatches, SftBatches, StreamBatches, encode_corpus, sft_example
from .gguf import write_gguf
from .golden import write_golden
from .model import LlamaForCausalLM, ModelConfig
from .model_dir import write_model_dir
from .plots import plot_losses
from .train import evaluate_loss, keep_freed_memory, train_stage

log = logging.getLogger("petrel_export.pipeline")
EXPORT_DIR = Path(__file__).resolve().parent.parent


def sample_docs(path: Path, max_bytes: int, seed: int) -> str:
    """Documents in a seeded random order up to max_bytes, so every source is represented."""
    docs = read_docs(path)
    random.Random(seed).shuffle(docs)
    out, size = [], 0
    for d in docs:
        if max_bytes and size >= max_bytes:
            break
        out.append(d)
        size += len(d.encode("utf-8"))
    return BOS.join(out)


def get_tokenizer(cfg: RunConfig, run_dir: Path, train_txt: Path, sft: dialogues.SftData) -> ByteLevelBPE:
    path = run_dir / "tokenizer.json"
    if path.exists():
        return ByteLevelBPE.load(path)
    texts = sample_docs(train_txt, cfg.tokenizer_bytes, cfg.seed).split(BOS)
    # dialogues are a small share of bytes but all of the chat turns; include them so Chinese and
    # chat phrases get merges of their own
    texts += [render(d["messages"], False, d["tools"]) for d in sft.train[:4000]]
    vocab, merges = train_bpe(texts, cfg.model.vocab_size, ADDED_TOKENS)
    tok = ByteLevelBPE(vocab, merges, ADDED_TOKENS)
    tok.save(path)
    return tok


def pretrain_data(cfg: RunConfig, run_dir: Path, tok: ByteLevelBPE, train_txt: Path, val_txt: Path):
    sample = run_dir / "pretrain-sample.txt"
    if not sample.exists():
        sample.write_text(sample_docs(train_txt, cfg.pretrain_bytes, cfg.seed + 1), encoding="utf-8")
    train_ids = encode_corpus(tok, sample, run_dir / "pretrain-train.npy")
    val_ids = encode_corpus(tok, val_txt, run_dir / "pretrain-val.npy", max_bytes=2_000_000)
    return train_ids, val_ids


def drill_data(cfg: RunConfig, run_dir: Path, tok: ByteLevelBPE, problems: list) -> np.ndarray:
    """The worked-arithmetic stream that pretraining mixes in: enough lines that no window repeats often."""
    stage = cfg.pretrain
    path = run_dir / "pretrain-drill.txt"
    if not path.exists():
        n_lines = max(200, stage.steps * stage.drill_rows * (stage.seq_len or cfg.model.block_size) // 20)
        path.write_text(S.drill_text(random.Random(cfg.seed + 2), problems, n_lines), encoding="utf-8")
    return encode_corpus(tok, path, run_dir / "pretrain-drill.npy")


def pretrain_batches(cfg: RunConfig, train_ids: np.ndarray, drill_ids: np.ndarray, T: int):
    """Pretraining windows: corpus text, with `drill_rows` of every batch from the arithmetic stream."""
    B, k = cfg.pretrain.batch_size, cfg.pretrain.drill_rows
    return lambda s: MixedBatches(StreamBatches(train_ids, B, T, cfg.seed + s),
                                  StreamBatches(drill_ids, 1, T, cfg.seed + 4999 + s), k)


def run(cfg: RunConfig, out: Path, runs_root: Path, hf_only: bool = False) -> dict:
    t_start = time.time()
    torch.set_num_threads(cfg.threads)
    keep_freed_memory()
    run_dir = runs_root / cfg.name
    run_dir.mkdir(parents=True, exist_ok=True)
    corpus_dir = EXPORT_DIR / "data" / "cache" / "corpus"
    train_txt, val_txt = corpus_paths(corpus_dir)
    corpus_stats = build_corpus(corpus_dir) if not train_txt.exists() else None
    sft = dialogues.generate(cfg.seed, cfg.sft_dialogues)
    tok = get_tokenizer(cfg, run_dir, train_txt, sft)
    train_ids, val_ids = pretrain_data(cfg, run_dir, tok, train_txt, val_txt)
    mcfg = ModelConfig(**{**cfg.model.to_dict(), "vocab_size": tok.vocab_size})
    T, dev = mcfg.block_size, cfg.device
    torch.manual_seed(cfg.seed)
    model = LlamaForCausalLM(mcfg).to(dev)
    log.info("model: %.2fM params, %s", model.num_params() / 1e6, mcfg)
    T_pre = cfg.pretrain.seq_len or T
    val_pre = StreamBatches(val_ids, cfg.pretrain.batch_size, T_pre, cfg.seed).fixed(cfg.pretrain.eval_batches, cfg.seed)
    baseline = evaluate_loss(model, val_pre, dev)
    log.info("untrained baseline val loss %.4f", baseline)
    drill_ids = drill_data(cfg, run_dir, tok, S.arithmetic_problems()[0])
    h_pre = train_stage(model, cfg.pretrain, pretrain_batches(cfg, train_ids, drill_ids, T_pre), val_pre,
                        run_dir / "pretrain", dev, "pretrain")
    pad = tok.token_id(BOS)
    sft_train = [sft_example(tok, d) for d in sft.train]
    sft_val = [sft_example(tok, d) for d in sft.val]
    T_sft = cfg.sft.seq_len or T
    vrows = SftBatches(sft_val, cfg.sft.batch_size, T_sft, pad, cfg.seed)
    val_sft = [(vrows.x[i : i + cfg.sft.batch_size], vrows.y[i : i + cfg.sft.batch_size])
               for i in range(0, len(vrows.x), cfg.sft.batch_size)][: cfg.sft.eval_batches]
    def sft_batches(s: int) -> MixedBatches:
        rows = SftBatches(sft_train, cfg.sft.batch_size, T_sft, pad, cfg.seed + s)
        return MixedBatches(rows, StreamBatches(train_ids, 1, T_sft, cfg.seed + 7919 + s), cfg.sft.corpus_rows)

    h_sft = train_stage(model, cfg.sft, sft_batches, val_sft, run_dir / "sft", dev, "sft", corpus_val=val_pre)
    if cfg.sft2:
        h_sft2 = train_stage(model, cfg.sft2, lambda s: sft_batches(100_000 + s), val_sft, run_dir / "sft2", dev, "sft2",
                             corpus_val=val_pre)
        h_sft = {**h_sft2, "train": h_sft["train"] + [{**p, "step": p["step"] + h_sft["steps"]} for p in h_sft2["train"]],
                 "val": h_sft["val"] + [{**p, "step": p["step"] + h_sft["steps"]} for p in h_sft2["val"]],
                 "val_corpus": h_sft["val_corpus"] + [{**p, "step": p["step"] + h_sft["steps"]} for p in h_sft2["val_corpus"]],
                 "steps": h_sft["steps"] + h_sft2["steps"], "seconds": h_sft["seconds"] + h_sft2["seconds"]}
    corpus_after_sft = h_sft["val_corpus"][-1]["loss"]
    log.info("corpus val loss after SFT %.4f (after pretraining %.4f, untrained %.4f)",
             corpus_after_sft, h_pre["val"][-1]["loss"], baseline)
    model = model.cpu().float().eval()
    write_model_dir(model, tok, out, onnx=not hf_only)
    if not hf_only:
        write_gguf(out)
    write_golden(model, tok, cfg.model_id, out / "golden.json", [tok.token_id(IM_END), tok.token_id(BOS)])
    plot_losses({"pretrain": h_pre, "sft": h_sft}, baseline, out / "loss.png")
    summary = {
        "config": cfg.name, "params": model.num_params(), "model": mcfg.to_dict(),
        "untrained_val_loss": baseline, "pretrain_final_val_loss": h_pre["val"][-1]["loss"],
        "sft_final_val_loss": h_sft["val"][-1]["loss"], "corpus_val_loss_after_sft": corpus_after_sft, "pretrain_seconds": h_pre.get("seconds"),
        "sft_seconds": h_sft.get("seconds"), "pretrain_steps": h_pre["steps"], "sft_steps": h_sft["steps"],
        "pretrain_tokens": h_pre["steps"] * h_pre["tokens_per_step"],
        "sft_tokens": h_sft["steps"] * h_sft["tokens_per_step"], "sft_corpus_rows": cfg.sft.corpus_rows, "corpus_stats": corpus_stats,
        "pretrain_sample_tokens": int(len(train_ids)), "sft_train_dialogues": len(sft.train),
        "sft_heldout_prompts": len(sft.heldout), "pipeline_seconds": time.time() - t_start,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    log.info("summary: %s", json.dumps(summary))
    return summary


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="cpu", choices=sorted(CONFIGS))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--runs", type=Path, default=EXPORT_DIR / "runs")
    ap.add_argument("--device", default=None, help="override the config's device (export a GPU run on CPU)")
    ap.add_argument("--hf-only", action="store_true", help="write only the HF files and golden.json (no ONNX, GGUF)")
    ap.add_argument("--seed", type=int, default=None,
                    help="the config's recipe with another seed (initialisation, data order, sampled dialogues, tokenizer"
                         " sample): how far two runs of one recipe differ")
    args = ap.parse_args()
    cfg = CONFIGS[args.config]
    if args.device:
        cfg = replace(cfg, device=args.device)
    if args.seed is not None:
        cfg = replace(cfg, seed=args.seed)
    np.random.seed(cfg.seed)
    random.seed(cfg.seed)
    run(cfg, args.out or EXPORT_DIR.parent / "models" / cfg.model_id, args.runs, args.hf_only)


if __name__ == "__main__":
    main()
