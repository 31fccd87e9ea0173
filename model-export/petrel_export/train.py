"""One training loop for both stages: AdamW, warmup + cosine, periodic eval, resumable checkpoints."""
from __future__ import annotations

import json
import logging
import math
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, List, Tuple

import torch
from tqdm import tqdm

from .configs import StageConfig
from .model import LlamaForCausalLM

log = logging.getLogger(__name__)
Batch = Tuple[torch.Tensor, torch.Tensor]


def progress_at(step: int, seconds: float, cfg: StageConfig) -> float:
    """Fraction of the stage done: by steps, or by the wall-clock budget if that runs out first."""
    p = step / cfg.steps
    if cfg.max_minutes:
        p = max(p, seconds / (60 * cfg.max_minutes))
    return min(1.0, p)


def lr_at(step: int, progress: float, cfg: StageConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


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


def _save(path: Path, model, opt, step: int, history: dict, elapsed: float) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "history": history,
                "elapsed": elapsed}, tmp)
    tmp.replace(path)  # atomic: an interrupted save never corrupts the last checkpoint


def train_stage(model: LlamaForCausalLM, cfg: StageConfig, batches_from: Callable[[int], object],
                val: List[Batch], run_dir: Path, device: str, name: str) -> dict:
    """Trains to cfg.steps, resuming from run_dir/ckpt.pt. batches_from(step) returns a batch source
    seeded from the step, so a resumed run is seeded too. Returns the loss history."""
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
    while progress_at(step, time.time() - t0, cfg) < 1.0:
        if step % cfg.eval_interval == 0:
            vl = evaluate_loss(model, val, device)
            history["val"].append({"step": step, "loss": vl})
            log.info("%s step %d: val loss %.4f (%.0fs)", name, step, vl, time.time() - t0)
        lr = lr_at(step, progress_at(step, time.time() - t0, cfg), cfg)
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
    vl = evaluate_loss(model, val, device)
    history["val"].append({"step": step, "loss": vl})
    history["seconds"] = time.time() - t0
    history["steps"] = step
    history["done"] = True
    _save(ckpt, model, opt, step, history, time.time() - t0)
    (run_dir / "history.json").write_text(json.dumps(history))
    log.info("%s done: val loss %.4f in %.0fs", name, vl, history["seconds"])
    return history
