"""SFT dialogue generator with held-out splits that training never sees.

Held out: 10% of the 2-digit (a, op, b) problems, the last paraphrase of every question list that has
four or more, and the unknown-question fills whose hash says so. Training dialogues draw only from
the rest; evaluation prompts only from the held-out part.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Dict, List, Tuple

from . import dialogue_content as C

Message = Dict[str, str]


def _hash_pct(key: str) -> int:
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def arithmetic_problems() -> Tuple[List[tuple], List[tuple]]:
    """All 2-digit a + b, and a - b with a >= b; split into (train, heldout) by a stable hash."""
    problems = [(a, "+", b) for a in range(10, 100) for b in range(10, 100)]
    problems += [(a, "-", b) for a in range(10, 100) for b in range(10, a + 1)]
    train = [p for p in problems if _hash_pct(f"{p}") >= 10]
    held = [p for p in problems if _hash_pct(f"{p}") < 10]
    return train, held


def arithmetic_answer(a: int, op: str, b: int, zh: bool = False) -> str:
    r = a + b if op == "+" else a - b
    return f"{a} {op} {b} = {r}" + ("。" if zh else ".")


def arithmetic_turn(rng: random.Random, p: tuple) -> Tuple[str, str]:
    a, op, b = p
    zh = rng.random() < 0.2
    tmpl = rng.choice(C.ARITH_TEMPLATES_ZH if zh else C.ARITH_TEMPLATES_EN)
    q = tmpl.format(a=a, b=b, op=op, word=C.OP_WORDS[op], op_zh=C.OP_WORDS_ZH[op])
    return q, arithmetic_answer(a, op, b, zh)


def _split_lists(groups) -> Tuple[List[Tuple[str, str]], List[Tuple[str, str]]]:
    train, held = [], []
    for questions, answer in groups:
        keep = questions[:-1] if len(questions) >= 4 else questions
        train += [(q, answer) for q in keep]
        held += [(questions[-1], answer)] if len(questions) >= 4 else []
    return train, held


def unknown_pairs() -> Tuple[List[Tuple[str, str]], List[Tuple[str, str]]]:
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
    return [p for p in pairs if _hash_pct(p[0]) >= 10], [p for p in pairs if _hash_pct(p[0]) < 10]


@dataclass
class SftData:
    train: List[List[Message]]
    val: List[List[Message]]
    heldout: List[dict]  # {"category", "messages" (prompt), "answer"}


MIX = (("arithmetic", 0.65), ("knowledge", 0.13), ("greeting", 0.1), ("unknown", 0.12))


def _turn(rng: random.Random, pools: dict, category: str) -> Tuple[str, str]:
    if category == "arithmetic":
        return arithmetic_turn(rng, rng.choice(pools["arithmetic"]))
    return rng.choice(pools[category])


def _dialogue(rng: random.Random, pools: dict) -> List[Message]:
    cats, weights = zip(*MIX)
    msgs: List[Message] = []
    if rng.random() < 0.2:
        msgs.append({"role": "system", "content": rng.choice(C.SYSTEM_PROMPTS)})
    n_turns = 1 if rng.random() < 0.7 else rng.choice((2, 3))
    for _ in range(n_turns):
        q, a = _turn(rng, pools, rng.choices(cats, weights)[0])
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    return msgs


def generate(seed: int, n_train: int, n_val: int = 400) -> SftData:
    rng = random.Random(seed)
    ar_train, ar_held = arithmetic_problems()
    kn_train, kn_held = _split_lists(C.KNOWLEDGE)
    gr_train, gr_held = _split_lists(C.GREETINGS)
    un_train, un_held = unknown_pairs()
    train_pools = {"arithmetic": ar_train, "knowledge": kn_train, "greeting": gr_train, "unknown": un_train}
    held_pools = {"arithmetic": ar_held, "knowledge": kn_held, "greeting": gr_held, "unknown": un_held}
    train = [_dialogue(rng, train_pools) for _ in range(n_train)]
    val = [_dialogue(rng, held_pools) for _ in range(n_val)]
    heldout = []
    rng = random.Random(seed + 1)  # held-out prompts do not depend on how many train dialogues were drawn
    for p in ar_held:
        q, a = arithmetic_turn(rng, p)
        heldout.append({"category": "arithmetic", "messages": [{"role": "user", "content": q}], "answer": a,
                        "problem": list(p)})
    for cat, pairs in (("knowledge", kn_held), ("greeting", gr_held), ("unknown", un_held)):
        heldout += [{"category": cat, "messages": [{"role": "user", "content": q}], "answer": a} for q, a in pairs]
    return SftData(train=train, val=val, heldout=heldout)
