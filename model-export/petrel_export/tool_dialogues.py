"""Tool-use dialogues: the tool list in the system turn, the assistant's call, the tool's result, and the
final answer; and dialogues where tools are listed but the question needs none."""
from __future__ import annotations

import random
import string
from typing import List, Tuple

from . import tool_content as T
from .chat import tojson


def _call_id(rng: random.Random) -> str:
    return "call_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))


def tool_list(rng: random.Random, needed: List[dict]) -> List[dict]:
    """The needed tools, sometimes with the other trained tool or a distractor, in a random order (one tool in
    most dialogues: every listed tool costs ~70 tokens of context in every SFT row)."""
    tools = list(needed)
    for extra in (T.CALCULATOR, T.WEATHER):
        if extra not in tools and rng.random() < 0.3:
            tools.append(extra)
    if rng.random() < 0.15:
        tools.append(rng.choice(T.DISTRACTORS))
    rng.shuffle(tools)
    return [T.variant(t, rng) for t in tools]


def calc_case(rng: random.Random, held: bool) -> Tuple[str, dict, str, str]:
    tmpl, op = rng.choice(T.CALC_TEMPLATES_HELD if held else T.CALC_TEMPLATES)
    if op == "*":
        x, y = rng.randint(2, 999), rng.randint(2, 99)
        r = x * y
    elif op == "/":
        y, q = rng.randint(2, 99), rng.randint(2, 999)
        x, r = y * q, q
    else:  # + and -: at least one operand past two digits, where the model's own arithmetic stops
        x, y = rng.randint(100, 9999), rng.randint(2, 9999)
        r = x + y if op == "+" else x - y
    expr = f"{x} {op} {y}"
    return tmpl.format(x=x, y=y), {"expression": expr}, str(r), f"{expr} = {r}."


def _weather_result(rng: random.Random, city: str, unit: str) -> Tuple[str, str]:
    c = rng.randint(-10, 35)
    temp = c if unit == "celsius" else round(c * 9 / 5 + 32)
    cond = rng.choice(T.CONDITIONS)
    result = tojson({"city": city, "temperature": temp, "unit": unit, "condition": cond})
    return result, f"{temp} °{'C' if unit == 'celsius' else 'F'} and {cond} in {city}"


def weather_case(rng: random.Random, held: bool) -> Tuple[str, List[dict], List[str], str]:
    cities = T.WEATHER_CITIES_HELD if held else T.WEATHER_CITIES
    city = rng.choice(cities)
    if not held and rng.random() < 0.15:
        city2 = rng.choice([c for c in cities if c != city])
        q = rng.choice(T.WEATHER_TWO).format(city=city, city2=city2)
        args = [{"city": city, "unit": "celsius"}, {"city": city2, "unit": "celsius"}]
    else:
        tmpl, unit = rng.choice(T.WEATHER_TEMPLATES_HELD if held else T.WEATHER_TEMPLATES)
        q, args = tmpl.format(city=city), [{"city": city, "unit": unit}]
    results, parts = zip(*(_weather_result(rng, a["city"], a["unit"]) for a in args))
    return q, args, list(results), "It is " + ", and ".join(parts) + "."


def call_dialogue(rng: random.Random, held: bool, system: str = "") -> dict:
    """A question that needs a tool: call, result, answer. held picks held-out phrasings and cities."""
    if rng.random() < 0.5:
        q, args, result, final = calc_case(rng, held)
        name, calls, results, needed = "calculator", [args], [result], [T.CALCULATOR]
    else:
        q, calls, results, final = weather_case(rng, held)
        name, needed = "get_weather", [T.WEATHER]
    tool_calls = [{"id": _call_id(rng), "type": "function", "function": {"name": name, "arguments": tojson(a)}}
                  for a in calls]
    msgs = [{"role": "system", "content": system}] if system else []
    msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": None, "tool_calls": tool_calls}]
    msgs += [{"role": "tool", "tool_call_id": c["id"], "content": r} for c, r in zip(tool_calls, results)]
    msgs.append({"role": "assistant", "content": final})
    return {"messages": msgs, "tools": tool_list(rng, needed), "expect": {"name": name, "arguments": calls}}
