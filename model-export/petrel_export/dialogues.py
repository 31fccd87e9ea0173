"""SFT dialogues and the held-out evaluation prompts that training never sees.

A dialogue is {"messages": [...], "tools": [...] | None}. Skills and what is held out (skills.py):
arithmetic on every a ± b with a, b in 0..99 (8% of problems, and whole phrasings), follow-ups to the
previous result ("And minus 3?"), knowledge and greetings (the last question of each list and whole
wrappers), word-meaning questions, declined (a tenth of the words, and one phrasing), "I don't know"
for current events and personal data, out-of-domain questions (whole templates), and tool use
(phrasings, cities).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Dict, List

from . import dialogue_content as C
from . import skills as S
from .tool_dialogues import call_dialogue, tool_list
from .tool_content import CALCULATOR, WEATHER

Dialogue = Dict[str, object]

MIX = (("arithmetic", 0.29), ("follow_up", 0.10), ("knowledge", 0.14), ("greeting", 0.08), ("dictionary", 0.04),
       ("unknown", 0.05), ("ood", 0.10), ("tool_call", 0.15), ("tool_none", 0.05))


@dataclass
class SftData:
    train: List[Dialogue]
    val: List[Dialogue]
    heldout: List[dict]  # {"category", "messages", "tools", "answer", ...} prompts for evaluate.py


class Pools:
    """Every skill's (train, held) pool, built once."""

    def __init__(self) -> None:
        self.arith = S.arithmetic_problems()
        self.arith_small = tuple(S.small_operands(p) for p in self.arith)
        self.knowledge = S.family_pairs(C.KNOWLEDGE, wrap=True)
        self.greeting = S.family_pairs(C.GREETINGS, wrap=False)
        self.unknown = S.unknown_pairs()
        self.ood = S.ood_pairs()
        self.dictionary = S.dictionary_words()

    def turn(self, rng: random.Random, cat: str, held: bool) -> tuple:
        """One (question, answer) of a plain skill."""
        h = 1 if held else 0
        if cat == "arithmetic":
            return S.arithmetic_question(rng, S.pick_problem(rng, self.arith[h], self.arith_small[h]))
        if cat == "dictionary":
            return S.dictionary_question(rng, rng.choice(self.dictionary[h])[0])
        return rng.choice(getattr(self, cat)[h])


PLAIN = ("arithmetic", "knowledge", "greeting", "dictionary", "unknown", "ood")


def _system(rng: random.Random, p: float) -> List[dict]:
    return [{"role": "system", "content": rng.choice(C.SYSTEM_PROMPTS)}] if rng.random() < p else []


def _qa(q: str, a: str) -> List[dict]:
    return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]


def _follow_up_dialogue(rng: random.Random, pools: Pools, held: bool, held_phrasing: bool = False) -> tuple:
    """Two arithmetic turns, the second on the first's result; returns (messages, second problem)."""
    problems = pools.arith[1 if held else 0]
    while True:
        p = rng.choice(problems)
        r = S.arithmetic_result(*p)
        nxt = S.follow_up(rng, r, problems, held_phrasing) if 0 <= r <= 99 else None
        if nxt:
            q, a = S.arithmetic_question(rng, p)
            return _qa(q, a) + _qa(nxt[0], nxt[1]), nxt[2]


def dialogue(rng: random.Random, pools: Pools, held: bool = False) -> Dialogue:
    cat = rng.choices(*zip(*MIX))[0]
    if cat == "tool_call":
        sys = rng.choice(C.SYSTEM_PROMPTS) if rng.random() < 0.3 else ""
        d = call_dialogue(rng, held, sys)
        return {"messages": d["messages"], "tools": d["tools"]}
    if cat == "tool_none":
        # tools listed, but the question needs none (or needs one that is not listed)
        if rng.random() < 0.25:
            q, a = rng.choice(pools.unknown[1 if held else 0])
            return {"messages": _qa(q.replace("tomorrow", "today"), a), "tools": tool_list(rng, [CALCULATOR])}
        q, a = pools.turn(rng, rng.choice(("arithmetic", "knowledge", "greeting", "dictionary")), held)
        return {"messages": _system(rng, 0.3) + _qa(q, a), "tools": tool_list(rng, [rng.choice((CALCULATOR, WEATHER))])}
    msgs = _system(rng, 0.2)
    msgs += _follow_up_dialogue(rng, pools, held)[0] if cat == "follow_up" else _qa(*pools.turn(rng, cat, held))
    if rng.random() < 0.2:
        msgs += _qa(*pools.turn(rng, rng.choice(PLAIN), held))
    return {"messages": msgs, "tools": None}


def heldout_prompts(pools: Pools, seed: int) -> List[dict]:
    """Evaluation prompts, each with the answer expected; none was trained on."""
    rng = random.Random(seed)
    out: List[dict] = []

    def add(cat: str, q: str, a: str, **extra) -> None:
        out.append({"category": cat, "messages": [{"role": "user", "content": q}], "tools": None, "answer": a, **extra})

    for p in rng.sample(pools.arith[1], 500):
        add("arithmetic", *S.arithmetic_question(rng, p), problem=list(p))
    for p in rng.sample(pools.arith[0], 150):  # trained operands, held-out phrasings
        add("arithmetic_phrasing", *S.arithmetic_question(rng, p, held_phrasing=True), problem=list(p))
    for _ in range(80):
        msgs, p = _follow_up_dialogue(rng, pools, held=True, held_phrasing=True)
        out.append({"category": "follow_up", "messages": msgs[:3], "tools": None, "answer": msgs[3]["content"],
                    "problem": list(p)})
    for cat in ("knowledge", "greeting", "unknown", "ood"):
        for q, a in getattr(pools, cat)[1]:
            add(cat, q, a)
    for w, _ in rng.sample(pools.dictionary[0], 60):
        add("dictionary", *S.dictionary_question(rng, w, held_phrasing=True))
    for w, _ in rng.sample(pools.dictionary[1], min(150, len(pools.dictionary[1]))):
        add("dictionary_unseen_word", *S.dictionary_question(rng, w))
    for _ in range(120):
        d = call_dialogue(rng, held=True)
        first = [m for m in d["messages"] if m["role"] != "system"]
        out.append({"category": "tool_call", "messages": first[:1], "tools": d["tools"], "answer": None,
                    "expect": d["expect"]})
        out.append({"category": "tool_answer", "messages": d["messages"][:-1], "tools": d["tools"],
                    "answer": d["messages"][-1]["content"]})
    for _ in range(60):
        q, a = pools.turn(rng, rng.choice(("arithmetic", "knowledge", "greeting")), held=True)
        out.append({"category": "tool_none", "messages": [{"role": "user", "content": q}],
                    "tools": tool_list(rng, [CALCULATOR]), "answer": a})
    return out


def generate(seed: int, n_train: int, n_val: int = 400, with_heldout: bool = True) -> SftData:
    rng = random.Random(seed)
    pools = Pools()
    train = [dialogue(rng, pools) for _ in range(n_train)]
    val = [dialogue(rng, pools, held=True) for _ in range(n_val)]
    heldout = heldout_prompts(pools, seed + 1) if with_heldout else []
    return SftData(train=train, val=val, heldout=heldout)
