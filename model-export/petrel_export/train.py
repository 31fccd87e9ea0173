"""One training loop for both stages: AdamW, warmup + cosine, periodic eval, resumable checkpoints."""
from __future__ import annotations

import ctypes
import json
import logging
import math
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import torch
from tqdm import tqdm

from .configs import StageConfig
from .model import LlamaForCausalLM

log = logging.getLogger(__name__)
Batch = Tuple[torch.Tensor, torch.Tensor]


def keep_freed_memory() -> bool:
    """Tells glibc's malloc to serve every allocation from its heap and to keep freed memory. By default
    an allocation over its mmap threshold (at most 32 MB) gets fresh pages from the kernel and gives them
    back when freed, so every training step faults in its activations and gradients again: on this
    2-core VM that was half of a `cpu` step (1.78 s → 0.83 s per step at 2 threads with it, the same arithmetic).
    A no-op off glibc. Returns whether it applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # mallopt parameters from <malloc.h>
    return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2**31 - 1))


def lr_at(step: int, cfg: StageConfig) -> float:
    """Linear warmup, then cosine to min_lr at cfg.steps: a function of the step alone (nanoGPT's
    max_iters schedule), so a seed gives the same model on an idle or a busy machine."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def out_of_time(seconds: float, cfg: StageConfig) -> bool:
    """The wall-clock budget only stops a run early (the model card then says so); it never reshapes
    the schedule."""
    return bool(cfg.max_minutes) and seconds >= 60 * cfg.max_minutes


def autocast_for(device: str):
    # bf16 autocast on GPU hosts; plain fp32 on CPU (CPU autocast is slower on torch 1.13)
    return torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else nullcontext()


@torch.no_grad()
def evaluate_loss(model: LlamaForCausalLM, batches: List[Batch], device: str) -> float:
    model.eval()
    losses = []
    for x, y in batches:
        with autocast_for(device):
            losses.append(float(model.loss(x.to(device), y.to(device))))
    model.train()
    return sum(losses) / len(losses)


def make_optimizer(model: LlamaForCausalLM, cfg: StageConfig) -> torch.optim.Optimizer:
    # no weight decay on norms (1-D params), as in nanoGPT
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95))


def _evaluate(model, val: List[Batch], corpus_val: Optional[List[Batch]], history: dict, step: int, device: str) -> None:
    history["val"].append({"step": step, "loss": evaluate_loss(model, val, device)})
    if corpus_val:
        history.setdefault("val_corpus", []).append({"step": step, "loss": evaluate_loss(model, corpus_val, device)})


def _save(path: Path, model, opt, step: int, history: dict, elapsed: float) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "history": history,
                "elapsed": elapsed}, tmp)
    tmp.replace(path)  # atomic: an interrupted save never corrupts the last checkpoint


def train_stage(model: LlamaForCausalLM, cfg: StageConfig, batches_from: Callable[[int], object],
                val: List[Batch], run_dir: Path, device: str, name: str, corpus_val: Optional[List[Batch]] = None) -> dict:
    """Trains to cfg.steps, resuming from run_dir/ckpt.pt. batches_from(step) returns a batch source
    seeded from the step, so a resumed run is seeded too. corpus_val, when given, is evaluated at every
    eval too (SFT tracks what it does to pretraining). Returns the loss history."""
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt = run_dir / "ckpt.pt"
    opt = make_optimizer(model, cfg)
    step, history, elapsed = 0, {"train": [], "val": [], "tokens_per_step": 0}, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, history, elapsed = state["step"], state["history"], state.get("elapsed", 0.0)
        log.info("%s: resumed at step %d", name, step)
    if history.get("done"):
        return history
    source = batches_from(step)
    model.train()
    t0, running = time.time() - elapsed, None
    bar = tqdm(total=cfg.steps, initial=step, desc=name, mininterval=20, dynamic_ncols=False, ncols=100)
    while step < cfg.steps:
        if out_of_time(time.time() - t0, cfg):
            log.warning("%s: wall-clock budget of %.0f min spent at step %d of %d", name, cfg.max_minutes, step, cfg.steps)
            history["stopped_early"] = True
            break
        if step % cfg.eval_interval == 0:
            _evaluate(model, val, corpus_val, history, step, device)
            log.info("%s step %d: val loss %.4f (%.0fs)", name, step, history["val"][-1]["loss"], time.time() - t0)
        lr = lr_at(step, cfg)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = source.next()
        history["tokens_per_step"] = int(x.numel())
        with autocast_for(device):
            loss = model.loss(x.to(device), y.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        running = float(loss) if running is None else 0.9 * running + 0.1 * float(loss)
        history["train"].append({"step": step, "loss": float(loss)})
        bar.update(1)
        bar.set_postfix(loss=f"{running:.3f}", lr=f"{lr:.1e}")
        if step % cfg.ckpt_interval == 0:
            history["seconds"] = time.time() - t0
            _save(ckpt, model, opt, step, history, time.time() - t0)
    bar.close()
    _evaluate(model, val, corpus_val, history, step, device)
    vl = history["val"][-1]["loss"]
    history["seconds"] = time.time() - t0
    history["steps"] = step
    history["done"] = True
    _save(ckpt, model, opt, step, history, time.time() - t0)
    (run_dir / "history.json").write_text(json.dumps(history))
    log.info("%s done: val loss %.4f in %.0fs", name, vl, history["seconds"])
    return history
