"""Scores one answer to one held-out prompt: correct, refused, confused (a memorized answer to another
question), tool calls well-formed and right."""
from __future__ import annotations

import json
import re
from typing import List, Optional, Set

from .chat import TOOL_CALL_END, TOOL_CALL_START
from .skills import arithmetic_result

REFUSALS = ("don't know", "不知道")
ARITH_RE = re.compile(r"(-?\d+) ([+-]) (-?\d+) = (-?\d+)")
RESULT_RE = re.compile(r"= (-?\d+)[.。]?\s*$")
EXPR_RE = re.compile(r"^\s*\d+\s*[-+*/]\s*\d+\s*$")


def parse_tool_calls(text: str) -> Optional[List[dict]]:
    """The calls in the model's markup, or None when it wrote none; a malformed call gives {"bad": ...}."""
    if TOOL_CALL_START not in text:
        return None
    calls = []
    for block in text.split(TOOL_CALL_START)[1:]:
        body = block.split(TOOL_CALL_END)[0].strip()
        try:
            obj = json.loads(body)
            ok = isinstance(obj, dict) and isinstance(obj.get("name"), str) and isinstance(obj.get("arguments"), dict)
            calls.append(obj if ok else {"bad": body})
        except ValueError:
            calls.append({"bad": body})
    return calls


def _expr_value(expr: str) -> Optional[float]:
    if not isinstance(expr, str) or not EXPR_RE.match(expr):
        return None
    a, op, b = re.split(r"\s*([-+*/])\s*", expr.strip())
    a, b = int(a), int(b)
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]


def call_matches(got: dict, want_name: str, want_args: dict) -> bool:
    if got.get("name") != want_name:
        return False
    args = got.get("arguments", {})
    if want_name == "calculator":
        return set(args) == {"expression"} and _expr_value(args["expression"]) == _expr_value(want_args["expression"])
    return args == want_args


def score(case: dict, text: str, memorized: Set[str]) -> dict:
    """{"correct", "refused", "confused", and for tool calls "well_formed", "right_tool"}."""
    cat, answer = case["category"], (case.get("answer") or "").strip()
    text = text.strip()
    refused = any(r in text for r in REFUSALS)
    calls = parse_tool_calls(text)
    out = {"refused": refused, "confused": False}
    if cat == "tool_call":
        want = case["expect"]
        good = [c for c in calls or [] if "bad" not in c]
        out["well_formed"] = bool(calls) and len(good) == len(calls)
        out["right_tool"] = bool(good) and all(c["name"] == want["name"] for c in good)
        out["correct"] = out["well_formed"] and len(good) == len(want["arguments"]) and all(
            call_matches(c, want["name"], a) for c, a in zip(good, want["arguments"]))
        return out
    if "problem" in case:
        a, op, b = case["problem"]
        m = ARITH_RE.search(text)  # the problem as the answer restates it
        result = RESULT_RE.search(text)  # the number after the last "=" (worked answers have several)
        restated = (int(m[1]), m[2], int(m[3])) if m else None
        out["correct"] = (restated == (a, op, b) and bool(result) and int(result[1]) == arithmetic_result(a, op, b)
                          and calls is None)
        out["confused"] = restated is not None and restated != (a, op, b)
        return out
    if cat in ("ood", "unknown", "dictionary", "dictionary_unseen_word"):
        out["correct"] = refused and calls is None
    else:
        out["correct"] = text == answer and calls is None
    out["confused"] = text != answer and text in memorized
    return out
