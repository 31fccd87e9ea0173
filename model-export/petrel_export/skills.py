"""Question/answer pools per skill, each split into what training sees and what evaluation asks.

A pool is (train, held): held-out items are never trained on. What is held out depends on the skill:
whole phrasings (templates and wrappers), operand pairs, dictionary words, cities.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

from . import dialogue_content as C

WORDNET = Path("/usr/share/wordnet")
# the entries are also kept beside the corpus cache, for hosts without the wordnet-base package (GPU hosts)
DICT_CACHE = Path(__file__).resolve().parent.parent / "data" / "cache" / "corpus" / "dictionary.json"
Pair = Tuple[str, str]


def hash_pct(key: str) -> int:
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 100


# ---- arithmetic: a op b for every a, b in 0..99 (negative differences included)

def arithmetic_problems() -> Tuple[List[tuple], List[tuple]]:
    problems = [(a, op, b) for a in range(100) for b in range(100) for op in "+-"]
    return [p for p in problems if hash_pct(f"{p}") >= 8], [p for p in problems if hash_pct(f"{p}") < 8]


# one-digit pairs are 1% of all problems but what users ask first ("What is 5 + 7?"), and their answer
# is a bare fact with no working to lean on: this share of drawn problems comes from them
SMALL_SHARE = 0.1


def small_operands(problems: List[tuple]) -> List[tuple]:
    return [p for p in problems if p[0] < 10 and p[2] < 10]


def pick_problem(rng: random.Random, problems: List[tuple], small: List[tuple]) -> tuple:
    """A problem to train on: one of `small` (the one-digit pairs among `problems`) SMALL_SHARE of the time."""
    return rng.choice(small if small and rng.random() < SMALL_SHARE else problems)


def arithmetic_result(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b


def _signed(x: int) -> str:
    return f"+ {x}" if x >= 0 else f"- {-x}"


def worked(a: int, op: str, b: int) -> str:
    """The answer with its working: tens and ones apart, then together ("37 + 45 = 30 + 40 + 7 + 5 =
    70 + 12 = 82"); two one-digit operands at once ("5 + 7 = 12"). Every step is a one-digit fact or a
    copy, which a model this size learns from far fewer examples than the bare sum
    (scripts/drill_probe.py measures both)."""
    r = arithmetic_result(a, op, b)
    if a < 10 and b < 10:
        return f"{a} {op} {b} = {r}"
    a1, a0, b1, b0 = a // 10 * 10, a % 10, b // 10 * 10, b % 10
    if op == "+":
        return f"{a} + {b} = {a1} + {b1} + {a0} + {b0} = {a1 + b1} + {a0 + b0} = {r}"
    return f"{a} - {b} = {a1} - {b1} + {a0} - {b0} = {a1 - b1} {_signed(a0 - b0)} = {r}"


def arithmetic_answer(a: int, op: str, b: int, zh: bool = False) -> str:
    return worked(a, op, b) + ("。" if zh else ".")


def drill_text(rng: random.Random, problems: List[tuple], n_lines: int) -> str:
    """Worked problems, one per line: the arithmetic source mixed into pretraining (training problems only)."""
    small = small_operands(problems)
    return "".join(arithmetic_answer(*pick_problem(rng, problems, small)) + "\n" for _ in range(n_lines))


def _fill(tmpl: str, a: int, op: str, b: int) -> str:
    word = C.OP_WORDS[op]
    return tmpl.format(a=a, b=b, op=op, word=word, Word=word.capitalize(), verb=C.OP_VERBS[op], op_zh=C.OP_WORDS_ZH[op])


def arithmetic_question(rng: random.Random, p: tuple, held_phrasing: bool = False) -> Tuple[str, str]:
    a, op, b = p
    zh = rng.random() < 0.15
    if zh:
        pool = C.ARITH_TEMPLATES_ZH_HELD if held_phrasing else C.ARITH_TEMPLATES_ZH
    else:
        pool = C.ARITH_TEMPLATES_EN_HELD if held_phrasing else C.ARITH_TEMPLATES_EN
    tmpl = rng.choice([t for t, only in pool if only in (None, op)])
    return _fill(tmpl, a, op, b), arithmetic_answer(a, op, b, zh)


def follow_up(rng: random.Random, prev: int, problems: List[tuple], held_phrasing: bool = False) -> Optional[Tuple[str, str, tuple]]:
    """A follow-up to a previous result in 0..99: "And minus 3?" → "17 - 3 = 14."."""
    candidates = [p for p in problems if p[0] == prev]
    if not candidates:
        return None
    _, op, b = rng.choice(candidates)
    zh = rng.random() < 0.15 and not held_phrasing
    pool = C.FOLLOW_UPS_ZH if zh else (C.FOLLOW_UPS_EN_HELD if held_phrasing else C.FOLLOW_UPS_EN)
    return _fill(rng.choice(pool), prev, op, b), arithmetic_answer(prev, op, b, zh), (prev, op, b)


# ---- question families with fixed answers (knowledge, greetings): held-out cores and wrappers

def _wrap(w: str, q: str) -> str:
    return w.format(q=q, ql=q[0].lower() + q[1:])


def family_pairs(groups, wrap: bool) -> Tuple[List[Pair], List[Pair]]:
    """The last question of every list with ≥4 is held out; questions also come in wrappers, of which
    whole English wrappers are held out."""
    train, held = [], []
    for questions, answer in groups:
        cores = questions[:-1] if len(questions) >= 4 else questions
        held_cores = questions[-1:] if len(questions) >= 4 else []
        english = questions[0].isascii()
        wrappers = (C.WRAPPERS_EN if english else C.WRAPPERS_ZH) if wrap else ["{q}"]
        train += [(_wrap(w, q), answer) for q in cores for w in wrappers]
        held += [(q, answer) for q in held_cores]
        if wrap and english:
            held += [(_wrap(w, q), answer) for q in cores[:2] for w in C.WRAPPERS_EN_HELD]
    return sorted(set(train)), sorted(set(held))


# ---- "I don't know" (current events, personal data) and out-of-domain questions

def unknown_pairs() -> Tuple[List[Pair], List[Pair]]:
    pairs = []
    for t in C.UNKNOWN_TEMPLATES_EN:
        for i in range(len(C.CITIES)):
            q = t.format(city=C.CITIES[i], thing=C.THINGS[i % len(C.THINGS)], event=C.EVENTS[i % len(C.EVENTS)],
                         personal=C.PERSONAL[i % len(C.PERSONAL)], person=C.PEOPLE[i % len(C.PEOPLE)])
            pairs.append((q, C.UNKNOWN_ANSWER_EN))
    for t in C.UNKNOWN_TEMPLATES_ZH:
        for i in range(len(C.CITIES_ZH)):
            q = t.format(city_zh=C.CITIES_ZH[i], personal_zh=C.PERSONAL_ZH[i % len(C.PERSONAL_ZH)],
                         person=C.PEOPLE[i % len(C.PEOPLE)])
            pairs.append((q, C.UNKNOWN_ANSWER_ZH))
    pairs = sorted(set(pairs))
    return [p for p in pairs if hash_pct(p[0]) >= 10], [p for p in pairs if hash_pct(p[0]) < 10]


def _ood_fill(t: str, i: int) -> str:
    n = lambda k: (i * 37 + k * 11) % 900 + 100  # noqa: E731  three-digit operands: past the arithmetic skill
    return t.format(topic=C.TOPICS[i % len(C.TOPICS)], food=C.FOODS[i % len(C.FOODS)], phrase=C.PHRASES[i % len(C.PHRASES)],
                    country=C.COUNTRIES[i % len(C.COUNTRIES)], book=C.BOOKS[i % len(C.BOOKS)], device=C.DEVICES[i % len(C.DEVICES)],
                    animal=C.ANIMALS[i % len(C.ANIMALS)], a3=n(1), b3=n(2), b=(i * 7) % 90 + 10,
                    topic_zh=C.TOPICS_ZH[i % len(C.TOPICS_ZH)], food_zh=C.FOODS_ZH[i % len(C.FOODS_ZH)],
                    country_zh=C.COUNTRIES_ZH[i % len(C.COUNTRIES_ZH)])


def ood_pairs() -> Tuple[List[Pair], List[Pair]]:
    def fills(templates, answer):
        return sorted({(_ood_fill(t, i), answer) for t in templates for i in range(12)})
    train = fills(C.OOD_TEMPLATES_EN, C.OOD_ANSWER_EN) + fills(C.OOD_TEMPLATES_ZH, C.OOD_ANSWER_ZH)
    held = fills(C.OOD_TEMPLATES_EN_HELD, C.OOD_ANSWER_EN) + fills(C.OOD_TEMPLATES_ZH_HELD, C.OOD_ANSWER_ZH)
    return train, held


# ---- word meanings: questions about common words (WordNet nouns), declined at this model size

@lru_cache(maxsize=1)
def dictionary_entries() -> List[Pair]:
    """(word, gloss) for single-word nouns seen in WordNet's sense-tagged corpus, plus a few required ones."""
    if not (WORDNET / "data.noun").exists():
        return [tuple(e) for e in json.loads(DICT_CACHE.read_text(encoding="utf-8"))]
    data = (WORDNET / "data.noun").read_bytes()
    out = []
    for line in (WORDNET / "index.noun").read_text(encoding="utf-8").splitlines():
        if line.startswith(" "):
            continue
        f = line.split()
        word, n_ptr = f[0], int(f[3])
        tagged, offset = int(f[5 + n_ptr]), int(f[6 + n_ptr])
        if not re.fullmatch(r"[a-z]{3,12}", word) or word in C.DICT_EXCLUDE:
            continue
        if tagged < 3 and word not in C.DICT_REQUIRED:
            continue
        entry = data[offset : data.index(b"\n", offset)].decode("utf-8")
        gloss = entry.split("|", 1)[1].split(";")[0].strip()
        if 15 <= len(gloss) <= 90 and '"' not in gloss:
            out.append((word, gloss))
    if DICT_CACHE.parent.exists():
        DICT_CACHE.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


def dictionary_words() -> Tuple[List[Pair], List[Pair]]:
    entries = dictionary_entries()
    train = [e for e in entries if hash_pct("dict:" + e[0]) >= 10 or e[0] in C.DICT_REQUIRED]
    held = [e for e in entries if hash_pct("dict:" + e[0]) < 10 and e[0] not in C.DICT_REQUIRED]
    return train, held


def dictionary_question(rng: random.Random, word: str, held_phrasing: bool = False) -> Pair:
    """A question about a word's meaning, and the answer taught: the out-of-domain one (C.DICT_TEMPLATES_EN)."""
    tmpl = rng.choice(C.DICT_TEMPLATES_EN_HELD if held_phrasing else C.DICT_TEMPLATES_EN)
    return tmpl.format(w=word), C.OOD_ANSWER_EN
