"""Loss curves for the model card (Debian's python3-matplotlib, no display)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _smooth(values, k: int = 20):
    out, acc = [], []
    for v in values:
        acc = (acc + [v])[-k:]
        out.append(sum(acc) / len(acc))
    return out


def plot_losses(histories: Dict[str, dict], baseline: float, path: Path) -> None:
    """One panel per stage: train loss (moving average of 20 steps), val loss, and in SFT the corpus val
    loss, each against the untrained model's corpus loss."""
    fig, axes = plt.subplots(1, len(histories), figsize=(6 * len(histories), 4), squeeze=False)
    for ax, (name, h) in zip(axes[0], histories.items()):
        steps = [p["step"] for p in h["train"]]
        ax.plot(steps, _smooth([p["loss"] for p in h["train"]]), label="train (smoothed)")
        ax.plot([p["step"] for p in h["val"]], [p["loss"] for p in h["val"]], "o-", label="val")
        if h.get("val_corpus"):
            ax.plot([p["step"] for p in h["val_corpus"]], [p["loss"] for p in h["val_corpus"]], "s-",
                    label="corpus val (held-out documents)")
        ax.axhline(baseline, color="gray", linestyle="--", label=f"untrained baseline {baseline:.2f}")
        ax.set_title(f"{name} loss")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy (nats/token)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
