import random
import re

from petrel_export.data import IGNORE, pack_rows, sft_example
from petrel_export.dialogues import generate
from petrel_export.skills import (arithmetic_answer, arithmetic_problems, dictionary_words, drill_text, pick_problem,
                                  small_operands)
from petrel_export import dialogue_content as C
from petrel_export import tool_content as T

DATA = generate(7, 6000, 50)


def _problems_in(dialogue):
    if dialogue["tools"]:
        return  # the calculator's answers are past two digits
    for m in dialogue["messages"]:
        if m["role"] == "assistant" and m["content"]:
            hit = re.fullmatch(r"(\d+) ([+-]) (\d+) = (?:[-+ \d]+ = )*(-?\d+)[.。]", m["content"])
            if hit:
                yield int(hit[1]), hit[2], int(hit[3]), int(hit[4])


def _users(dialogues):
    return {m["content"] for d in dialogues for m in d["messages"] if m["role"] == "user"}


def test_arithmetic_covers_all_operands_and_never_trains_heldout_problems():
    train, held = arithmetic_problems()
    held = set(held)
    seen = set()
    for d in DATA.train:
        for a, op, b, r in _problems_in(d):
            assert (a, op, b) not in held
            assert r == (a + b if op == "+" else a - b)
            seen.add((a, op, b))
    assert any(r < 0 for _, _, _, r in (p for d in DATA.train for p in _problems_in(d)))
    assert {a for a, _, _ in seen} == set(range(100))  # one-digit operands included
    asked = [tuple(c["problem"]) for c in DATA.heldout if c["category"] == "arithmetic"]
    assert asked and set(asked) <= held


def _sides(answer):
    """Every side of a worked answer's chain of equalities, evaluated."""
    return [eval(side.replace(" ", "").lstrip("+")) for side in answer.rstrip(".。").split(" = ")]  # digits, + and - only


def test_worked_answers_are_true_at_every_step_and_the_drill_uses_training_problems_only():
    train, held = arithmetic_problems()
    for a, op, b in train[::7] + held:
        sides = _sides(arithmetic_answer(a, op, b))
        assert len(set(sides)) == 1 and sides[0] == (a + b if op == "+" else a - b), (a, op, b)
        assert len(sides) == (2 if a < 10 and b < 10 else 4)
    held = set(held)
    lines = drill_text(random.Random(0), train, 3000).splitlines()
    assert len(lines) == 3000
    for line in lines:
        a, op, b = line.split(" ")[:3]
        assert (int(a), op, int(b)) not in held and len(set(_sides(line))) == 1


def test_heldout_phrasings_and_questions_never_in_training():
    train_users = _users(DATA.train)
    fixed = [c for c in DATA.heldout if c["category"] in ("knowledge", "greeting", "unknown", "ood")]
    assert fixed and not ({c["messages"][-1]["content"] for c in fixed} & train_users)
    for tmpl, _ in C.ARITH_TEMPLATES_EN_HELD + C.ARITH_TEMPLATES_ZH_HELD:
        pattern = re.escape(tmpl).replace(r"\{a\}", r"\d+").replace(r"\{b\}", r"\d+")
        pattern = pattern.replace(r"\{op\}", "[+-]").replace(r"\{word\}", "(plus|minus)")
        assert not any(re.fullmatch(pattern, u) for u in train_users), tmpl
    held_words = {w for w, _ in dictionary_words()[1]}
    held_questions = {t.format(w=w) for t in C.DICT_TEMPLATES_EN + C.DICT_TEMPLATES_EN_HELD for w in held_words}
    assert held_words and not (held_questions & train_users)
    unseen = [c for c in DATA.heldout if c["category"] == "dictionary_unseen_word"]
    assert unseen and not ({c["messages"][-1]["content"] for c in unseen} & train_users)


def test_follow_ups_continue_from_the_previous_result():
    fu = [c for c in DATA.heldout if c["category"] == "follow_up"]
    assert fu
    for c in fu:
        first = c["messages"][1]["content"]
        prev = int(first.split("= ")[-1].rstrip(".。"))
        assert c["problem"][0] == prev and c["answer"].startswith(f"{prev} ")


def test_tool_dialogues_call_then_answer_from_the_result():
    tool_dialogues = [d for d in DATA.train if d["tools"]]
    calls = [d for d in tool_dialogues if any(m.get("tool_calls") for m in d["messages"])]
    assert len(calls) > 300 and len(tool_dialogues) > len(calls)  # also tools listed but not needed
    names = {t["function"]["name"] for d in tool_dialogues for t in d["tools"]}
    assert {"calculator", "get_weather"} <= names
    for d in calls[:200]:
        msgs = d["messages"]
        call_msg = next(m for m in msgs if m.get("tool_calls"))
        results = [m for m in msgs if m["role"] == "tool"]
        assert len(results) == len(call_msg["tool_calls"])
        assert {r["tool_call_id"] for r in results} == {c["id"] for c in call_msg["tool_calls"]}
        listed = {t["function"]["name"] for t in d["tools"]}
        assert all(c["function"]["name"] in listed for c in call_msg["tool_calls"])
        assert msgs[-1]["role"] == "assistant" and msgs[-1]["content"]
    held_cities = set(T.WEATHER_CITIES_HELD)
    assert not any(city in u for u in _users(DATA.train) for city in held_cities)


def test_covers_required_skills_in_english_and_chinese():
    text = "\n".join(m["content"] or "" for d in DATA.train for m in d["messages"])
    for needle in ("Transformer", "self-attention", "Pretraining", "Fine-tuning", "自注意力", "预训练", "微调",
                   "I am Petrel", "我是Petrel", "I don't know", "我不知道", " + ", " - ", "I can talk about"):
        assert needle in text, needle
    trained_words = {w for w, _ in dictionary_words()[0]}
    assert {"sea", "petrel", "ocean"} <= trained_words
    assert any(m["role"] == "system" for d in DATA.train for m in d["messages"])
    assert any(sum(m["role"] == "user" for m in d["messages"]) > 1 for d in DATA.train)


def test_word_meanings_are_declined_and_one_digit_pairs_are_drawn_often():
    words = [w for w, _ in dictionary_words()[0]]
    questions = {t.format(w=w) for t in C.DICT_TEMPLATES_EN for w in words}
    answers = [msgs[i + 1]["content"] for d in DATA.train for msgs in [d["messages"]]
               for i, m in enumerate(msgs) if m["role"] == "user" and m["content"] in questions]
    assert len(answers) > 100 and set(answers) == {C.OOD_ANSWER_EN}
    train, _ = arithmetic_problems()
    small = set(small_operands(train))
    drawn = [p[:3] for d in DATA.train for p in _problems_in(d)]
    share = sum(p in small for p in drawn) / len(drawn)
    # one-digit pairs: 1% of problems, ~10% of the problems asked alone (follow-ups draw theirs uniformly)
    assert len(small) / len(train) < 0.02 and 0.04 < share < 0.2
    rng = random.Random(0)
    picks = [pick_problem(rng, train, sorted(small)) for _ in range(20_000)]
    assert 0.09 < sum(p in small for p in picks) / len(picks) < 0.12


def test_generation_is_deterministic():
    assert generate(3, 200, 10, with_heldout=False).train == generate(3, 200, 10, with_heldout=False).train


def test_pack_rows_keeps_dialogues_whole_and_pads_without_loss(tok):
    examples = [sft_example(tok, d) for d in generate(1, 60, 0, with_heldout=False).train]
    x, y = pack_rows(examples, 512, pad_id=0, rng=random.Random(0))
    assert x.shape == y.shape and x.shape[1] == 512
    assert (y[x == 0] == IGNORE).all()  # pads and document separators carry no loss
    trained = sum(sum(t != IGNORE for t in ty) for _, ty in examples if len(ty) <= 512)
    assert int((y != IGNORE).sum()) == trained
