"""Draw one PNG per benchmark result in a results folder: python3 bench/plot.py bench/results [--only concurrency]"""
import argparse
import json
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

log = logging.getLogger("plot")


def bars(ax, groups: list[str], series: dict[str, list[float]], ylabel: str) -> None:
    width = 0.8 / max(1, len(series))
    for i, (name, ys) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        drawn = ax.bar(xs, ys, width, label=name)
        ax.bar_label(drawn, labels=[f"{v:,.0f}" if v >= 100 else f"{v:.3g}" for v in ys], fontsize=7)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def engine(r: dict, fig) -> None:
    names = list(r["results"])
    short = [n.replace("petrel+onnxruntime-", "petrel ").replace("(ort-default-threads)", "\n(ORT threads)") for n in names]
    for ax, key, title in zip(fig.subplots(1, 2), ["prefillTokPerS", "decodeTokPerS"], ["prefill", "decode"]):
        bars(ax, short, {f"{title} tok/s": [r["results"][n][key] for n in names]}, "tokens/s")
        ax.set_title(f"{title} ({r['model']}, {r['variant']})")
        ax.tick_params(axis="x", labelsize=7)


def concurrency_row(axes, model: str, configs: list) -> None:
    levels = [row["concurrency"] for row in configs[0]["rows"]]
    left, mid, right = axes
    for i, c in enumerate(configs):
        rows, color, name = c["rows"], f"C{i}", c["name"]
        left.plot(levels, [row["aggregate_tok_s"] for row in rows], "o-", color=color, label=f"aggregate: {name}")
        left.plot(levels, [row["stream_tok_s_p50"] for row in rows], "s:", color=color, label=f"per stream p50: {name}")
        mid.plot(levels, [row["ttft_p50_ms"] for row in rows], "o-", color=color, label=f"p50: {name}")
        mid.plot(levels, [row["ttft_p99_ms"] for row in rows], "s:", color=color, label=f"p99: {name}")
        cpu = [row.get("server_cpu_ms_per_token") for row in rows]
        if all(x is not None for x in cpu):
            right.plot(levels, cpu, "o-", color=color, label=name)
    short = model.rsplit("/", 1)[-1]
    left.set(xlabel="concurrent streams", ylabel="tokens/s", title=f"{short}: throughput (wall clock)", ylim=(0, None))
    mid.set(yscale="log", xlabel="concurrent streams", ylabel="ms", title=f"{short}: time to first token")
    right.set(xlabel="concurrent streams", ylabel="ms", title=f"{short}: server CPU per token", ylim=(0, None))
    for ax in (left, mid, right):
        ax.set_xscale("log")
        ax.set_xticks(levels, [str(x) for x in levels])
        ax.minorticks_off()
        ax.legend(fontsize=6)


def concurrency(r: dict, fig) -> None:
    models = r.get("models") or [{"model": r["model"], "configs": r.get("configs") or [{"name": "defaults", "rows": r["rows"]}]}]
    grid = fig.subplots(len(models), 3, squeeze=False)
    for axes, m in zip(grid, models):
        concurrency_row(axes, m["model"], m["configs"])
    fig.suptitle(f"Petrel backend server, {r['maxTokens']} tokens per stream, one line per backend flag set")


def gateway(r: dict, fig) -> None:
    rows = r["rows"]
    targets = list(dict.fromkeys(row["target"] for row in rows))
    conns = sorted({row["connections"] for row in rows})
    left, mid, right = fig.subplots(1, 3)
    for ax, mode in [(left, "non-stream"), (mid, "stream")]:
        pick = {(row["target"], row["connections"]): row for row in rows if row["mode"] == mode}
        bars(ax, [f"{c} conn" for c in conns], {t: [pick[(t, c)]["p50_ms"] for c in conns] for t in targets}, "p50 latency, ms (log)")
        ax.set_yscale("log")
        ax.set_title(f"{mode}: p50 {'latency' if mode == 'non-stream' else 'time to first chunk'}")
    pick = {(row["target"], row["connections"]): row for row in rows if row["mode"] == "non-stream"}
    peers = [t for t in targets if t != "direct"]
    bars(right, [f"{c} conn" for c in conns], {t: [pick[(t, c)]["cpu_ms_per_request"] for c in conns] for t in peers}, "CPU ms per request (log)")
    right.set_yscale("log")
    right.set_title("non-stream: CPU per request (process tree)")
    fig.suptitle(f"in front of an instant upstream, {r['rounds']} alternating rounds, medians; Petrel's request log {r.get('requestLog', 'on')}")


def gateway_profile(r: dict, fig) -> None:
    top = r["byPackage"][:12][::-1]
    ax = fig.subplots()
    ax.barh([x["name"] for x in top], [x["percent"] for x in top])
    ax.set_xlabel("% of busy CPU time (self time)")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"Node gateway CPU profile: {r['cpuMsPerRequest']} ms CPU per request")


def sdk(r: dict, fig) -> None:
    rows = r["rows"]
    deliveries = list(dict.fromkeys(row["delivery"] for row in rows))
    clients = list(dict.fromkeys(row["client"] for row in rows))
    pick = {(row["client"], row["delivery"]): row["chunks_per_s"] for row in rows}
    ax = fig.subplots()
    bars(ax, deliveries, {c: [pick[(c, d)] for d in deliveries] for c in clients}, "chunks/s (median)")
    ax.set_title(f"SSE chunks parsed per second, {r['streamChunks']} chunks from memory")


def soak(r: dict, fig) -> None:
    ax = fig.subplots()
    labels = sorted({label for s in r["samples"] for label in s["rss"]})
    for label in labels:
        points = [(s["t"] / 60_000, s["rss"][label] / 2**20) for s in r["samples"] if label in s["rss"]]
        g = r["growth"].get(label, {})
        style = "-" if g.get("petrel", True) else ":"
        ax.plot([p[0] for p in points], [p[1] for p in points], style, label=f"{label} ({g.get('growthPct', 0):+.1f}%)")
    ax.axvspan(0, r["config"]["warmupMinutes"], color="0.9", label="warm-up")
    ax.set_xlabel("minutes")
    ax.set_ylabel("RSS (MiB)")
    ax.set_title(f"soak: {r['totalRequests']} requests, RSS every {r['config']['sampleS']} s (growth after warm-up)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))


def concurrency_size(r: dict) -> tuple:
    return (15, 4.5 * len(r.get("models") or [r]))


DRAWN = [("engine", engine, (11, 4)), ("concurrency", concurrency, concurrency_size), ("gateway", gateway, (13, 4.5)),
         ("gateway-profile", gateway_profile, (8, 5)), ("sdk", sdk, (7, 4)),
         ("soak", soak, (11, 5))]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--only", help="comma-separated result names (default: every result present)")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    for name, draw, size in DRAWN:
        path = args.results / f"{name}.json"
        if not path.exists() or (only is not None and name not in only):
            continue
        r = json.loads(path.read_text())
        fig = plt.figure(figsize=size(r) if callable(size) else size, layout="constrained")
        draw(r, fig)
        fig.savefig(args.results / f"{name}.png", dpi=110)
        plt.close(fig)
        log.info("wrote %s", args.results / f"{name}.png")


if __name__ == "__main__":
    main()
