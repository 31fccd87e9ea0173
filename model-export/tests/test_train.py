"""Training is scheduled in steps: the same seed gives the same loss curve on an idle or a loaded machine,
and a wall-clock budget only stops a run early."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import torch

from petrel_export.configs import StageConfig
from petrel_export.data import StreamBatches
from petrel_export.model import LlamaForCausalLM
from petrel_export.train import lr_at, train_stage

from .conftest import tiny_config

STAGE = StageConfig(steps=10, batch_size=4, lr=3e-3, min_lr=3e-4, warmup=3, eval_interval=5, eval_batches=1,
                    ckpt_interval=100)
IDS = np.random.RandomState(0).randint(0, 512, 20_000).astype(np.uint16)


def _run(tmp_path, name: str, stage: StageConfig = STAGE, burners: int = 0) -> dict:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_config(512))
    val = StreamBatches(IDS, 4, 32, 99).fixed(1, 99)
    load = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burners)]
    try:
        return train_stage(model, stage, lambda s: StreamBatches(IDS, 4, 32, s), val, tmp_path / name, "cpu", name)
    finally:
        for p in load:
            p.kill()
            p.wait()


def test_same_seed_same_loss_curve_on_a_loaded_machine(tmp_path):
    idle = _run(tmp_path, "idle")
    loaded = _run(tmp_path, "loaded", burners=3)  # three busy processes on a 2-core machine
    a = [p["loss"] for p in idle["train"]]
    b = [p["loss"] for p in loaded["train"]]
    assert len(a) == len(b) == STAGE.steps
    assert max(abs(x - y) for x, y in zip(a, b)) <= 1e-5


def test_wall_clock_budget_stops_early_without_reshaping_the_schedule(tmp_path):
    full = _run(tmp_path, "full")
    cut = _run(tmp_path, "cut", replace(STAGE, max_minutes=1e-9))
    assert cut.get("stopped_early") and cut["steps"] < STAGE.steps
    assert [p["loss"] for p in cut["train"]] == [p["loss"] for p in full["train"]][: len(cut["train"])]


def test_learning_rate_is_a_function_of_the_step_alone():
    lrs = [lr_at(s, STAGE) for s in range(STAGE.steps + 1)]
    assert lrs[0] < lrs[STAGE.warmup - 1] and abs(lrs[STAGE.warmup - 1] - STAGE.lr) < 1e-12
    assert abs(lrs[STAGE.steps] - STAGE.min_lr) < 1e-12
    assert all(x >= y for x, y in zip(lrs[STAGE.warmup :], lrs[STAGE.warmup + 1 :]))
