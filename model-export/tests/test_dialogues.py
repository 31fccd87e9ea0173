import re

from petrel_export.data import pack_rows, sft_example, IGNORE
from petrel_export.dialogues import arithmetic_problems, generate

import random


def _problems_in(dialogue):
    for m in dialogue:
        if m["role"] == "assistant":
            hit = re.fullmatch(r"(\d+) ([+-]) (\d+) = (-?\d+)[.。]", m["content"])
            if hit:
                yield int(hit[1]), hit[2], int(hit[3]), int(hit[4])


def test_heldout_arithmetic_never_trained_and_answers_are_right():
    data = generate(7, 4000, 50)
    _, held = arithmetic_problems()
    held = set(held)
    seen = 0
    for d in data.train:
        for a, op, b, r in _problems_in(d):
            seen += 1
            assert (a, op, b) not in held
            assert r == (a + b if op == "+" else a - b)
    assert seen > 1000 and len(held) > 1000
    assert {tuple(c["problem"]) for c in data.heldout if c["category"] == "arithmetic"} == held


def test_heldout_questions_never_in_training():
    data = generate(7, 4000, 50)
    train_users = {m["content"] for d in data.train for m in d if m["role"] == "user"}
    held_users = {c["messages"][0]["content"] for c in data.heldout if c["category"] != "arithmetic"}
    assert held_users and not (held_users & train_users)


def test_covers_required_skills_in_english_and_chinese():
    data = generate(7, 4000, 50)
    text = "\n".join(m["content"] for d in data.train for m in d)
    for needle in ("Transformer", "self-attention", "Pretraining", "Fine-tuning", "自注意力", "预训练", "微调",
                   "I am Petrel", "我是Petrel", "I don't know", "我不知道", " + ", " - "):
        assert needle in text, needle
    assert any(m["role"] == "system" for d in data.train for m in d)
    assert any(sum(m["role"] == "user" for m in d) > 1 for d in data.train)


def test_generation_is_deterministic():
    assert generate(3, 200, 10).train == generate(3, 200, 10).train


def test_pack_rows_keeps_dialogues_whole_and_pads_without_loss(tok):
    examples = [sft_example(tok, d) for d in generate(1, 60, 0).train]
    x, y = pack_rows(examples, 128, pad_id=0, rng=random.Random(0))
    assert x.shape == y.shape and x.shape[1] == 128
    assert (y[x == 0] == IGNORE).all()  # pads and document separators carry no loss
    trained = sum(sum(t != IGNORE for t in ty) for _, ty in examples if len(ty) <= 128)
    assert int((y != IGNORE).sum()) == trained
