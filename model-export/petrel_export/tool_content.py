"""The tools the SFT set teaches: a calculator (arithmetic past two digits) and a weather lookup with an
enum argument, in the OpenAI `tools` shape, plus the variants clients send for the same tool."""
from __future__ import annotations

import copy
import random

CALCULATOR = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"]}}}
# tools that are listed but never the right answer here: the model learns to pick by name
DISTRACTORS = [
    {"type": "function", "function": {"name": "send_email", "description": "Send an email.",
                                      "parameters": {"type": "object", "properties": {
                                          "to": {"type": "string"}, "body": {"type": "string"}}, "required": ["to", "body"]}}},
    {"type": "function", "function": {"name": "search_web", "description": "Search the web.",
                                      "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                                                     "required": ["query"]}}},
]
DESCRIPTIONS = {
    "calculator": ["Evaluate an arithmetic expression.", "A calculator for arithmetic.", "Calculate a math expression."],
    "get_weather": ["Get the current weather in a city.", "Look up the weather for a city.", "Current weather."],
}


def variant(tool: dict, rng: random.Random) -> dict:
    """The same tool as different clients send it: other descriptions, `strict`, zod's extras."""
    t = copy.deepcopy(tool)
    fn, params = t["function"], t["function"]["parameters"]
    if fn["name"] in DESCRIPTIONS and rng.random() < 0.5:
        fn["description"] = rng.choice(DESCRIPTIONS[fn["name"]])
    if rng.random() < 0.3:
        params["additionalProperties"] = False
    if rng.random() < 0.15:
        t["function"]["parameters"] = {"$schema": "http://json-schema.org/draft-07/schema#", **params}
    if rng.random() < 0.2:
        fn["strict"] = True
    if rng.random() < 0.15:
        del fn["description"]
    return t


CALC_TEMPLATES = [
    ("What is {x} * {y}?", "*"), ("What is {x} times {y}?", "*"), ("Calculate {x} * {y}.", "*"),
    ("How much is {x} multiplied by {y}?", "*"), ("What is {x} + {y}?", "+"), ("Compute {x} - {y}.", "-"),
    ("What is {x} divided by {y}?", "/"), ("Use the calculator: {x} / {y}", "/"), ("Add {x} and {y}.", "+"),
    ("What is {x} minus {y}?", "-"), ("Multiply {x} by {y}.", "*"),
]
CALC_TEMPLATES_HELD = [("What do you get when you multiply {x} and {y}?", "*"), ("What is {x} plus {y}?", "+")]
WEATHER_TEMPLATES = [
    ("What's the weather in {city}?", "celsius"), ("How is the weather in {city} today?", "celsius"),
    ("Is it cold in {city}?", "celsius"), ("What is the temperature in {city} in fahrenheit?", "fahrenheit"),
    ("Weather in {city}, please.", "celsius"), ("How warm is it in {city} in Fahrenheit?", "fahrenheit"),
    ("Tell me the weather in {city} in celsius.", "celsius"),
]
WEATHER_TEMPLATES_HELD = [("Is it raining in {city}?", "celsius"), ("How hot is it in {city}, in fahrenheit?", "fahrenheit")]
WEATHER_TWO = ["What's the weather in {city} and in {city2}?", "Compare the weather in {city} and {city2}."]
WEATHER_CITIES = ["Paris", "London", "Tokyo", "Beijing", "Berlin", "Cairo", "Lima", "Oslo", "Sydney", "Toronto",
                  "Madrid", "Rome", "Seoul", "Delhi", "Nairobi", "Boston", "Dublin", "Vienna", "Prague", "Lisbon",
                  "Chicago", "Moscow", "Athens", "Bangkok", "Istanbul", "Mumbai", "Dakar", "Quito", "Hanoi", "Manila"]
WEATHER_CITIES_HELD = ["Zurich", "Denver", "Havana", "Warsaw", "Osaka"]
CONDITIONS = ["sunny", "cloudy", "rainy", "windy", "snowy", "foggy"]
