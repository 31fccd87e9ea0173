"""Pretraining corpus from public text installed by Debian packages.

Sources (licences in models/petrel-mini/README.md): GCIDE (dict-gcide), WordNet 3 glosses
(wordnet-base), the King James Bible (bible-kjv, read through its `bible` tool), fortunes.
Each source is split into documents; a document goes to val when a hash of it says so, so the
split is stable across runs. Documents are joined with <|endoftext|>.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from .chat import BOS

log = logging.getLogger(__name__)

GCIDE = Path("/usr/share/dictd/gcide.dict.dz")
WORDNET = Path("/usr/share/wordnet")
FORTUNES = Path("/usr/share/games/fortunes")
SKIP_FORTUNES = {"ascii-art"}


def gcide_docs() -> Iterator[str]:
    """Dictionary entries: headword markup simplified, citations tags and hard wraps removed."""
    raw = gzip.open(GCIDE).read().decode("utf-8", errors="replace")
    for entry in re.split(r"\n(?=\S)", raw):
        if entry.startswith("00-database") or len(entry) < 40:
            continue
        text = re.sub(r"\[(1913 Webster|PJC|Webster 1913 Suppl\.|WordNet 1\.5)[^\]]*\]", "", entry)
        text = re.sub(r"[{}]", "", text)
        text = re.sub(r"\\([^\\]*)\\", lambda m: m.group(1).replace("*", "").replace('"', ""), text)
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
        doc = "\n".join(p for p in paras if p)
        if len(doc) > 30:
            yield doc


def wordnet_docs() -> Iterator[str]:
    """One document per synset: "lemma, lemma: gloss; examples"."""
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (WORDNET / f"data.{pos}").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue  # licence header
            head, gloss = line.split("|", 1)
            fields = head.split()
            n_words = int(fields[3], 16)
            words = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
            words = [re.sub(r"\(.*\)$", "", w) for w in words]
            yield f"{', '.join(words)}: {gloss.strip()}"


def bible_docs() -> Iterator[str]:
    """One document per chapter of the KJV, verse numbers dropped."""
    out = subprocess.run(["bible", "-l100000", "Gen1:1-Rev22:21"], capture_output=True, check=True).stdout
    for chapter in re.split(r"\n\n(?=\S)", out.decode("utf-8", errors="replace")):
        lines = chapter.strip().splitlines()
        if len(lines) < 2:
            continue
        verses = [re.sub(r"^\s*\d+\s+", "", v) for v in lines[1:] if v.strip()]
        yield lines[0].strip() + "\n" + " ".join(verses)


def fortune_docs() -> Iterator[str]:
    for path in sorted(FORTUNES.iterdir()):
        if path.suffix or path.name in SKIP_FORTUNES or not path.is_file():
            continue
        for item in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            item = item.strip()
            if len(item) > 20:
                yield item


SOURCES = {"gcide": gcide_docs, "wordnet": wordnet_docs, "kjv": bible_docs, "fortunes": fortune_docs}


def is_val(doc: str, val_percent: int) -> bool:
    return int(hashlib.md5(doc.encode("utf-8")).hexdigest()[:8], 16) % 100 < val_percent


def build_corpus(out_dir: Path, val_percent: int = 4) -> Dict[str, Dict[str, int]]:
    """Writes corpus-train.txt and corpus-val.txt; returns bytes per source and split."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stats: Dict[str, Dict[str, int]] = {}
    splits: Dict[str, List[str]] = {"train": [], "val": []}
    for name, docs in SOURCES.items():
        stats[name] = {"train": 0, "val": 0, "docs": 0}
        for doc in docs():
            split = "val" if is_val(doc, val_percent) else "train"
            splits[split].append(doc)
            stats[name][split] += len(doc.encode("utf-8"))
            stats[name]["docs"] += 1
        log.info("corpus %s: %s", name, stats[name])
    for split, docs in splits.items():
        (out_dir / f"corpus-{split}.txt").write_text(BOS.join(docs), encoding="utf-8")
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=1))
    return stats


def read_docs(path: Path) -> List[str]:
    return Path(path).read_text(encoding="utf-8").split(BOS)


def corpus_paths(out_dir: Path) -> Tuple[Path, Path]:
    return out_dir / "corpus-train.txt", out_dir / "corpus-val.txt"
