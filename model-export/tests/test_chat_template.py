from petrel_export.chat import CHAT_TEMPLATE, render, render_segments
from petrel_export.data import IGNORE, sft_example
from petrel_export.model_dir import tokenizer_config
from petrel_export.node import run_script

from .conftest import tiny_config

CONVERSATIONS = [
    [{"role": "user", "content": "Hi!"}],
    [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "什么是微调？"},
     {"role": "assistant", "content": "微调是第二阶段。"}, {"role": "user", "content": "What is 37 + 45? 🤖"}],
    [{"role": "user", "content": "a\nb"}, {"role": "assistant", "content": "c"}],
]
CALC = {"type": "function", "function": {"name": "calculator", "description": "Évaluer",
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                                                        "required": ["expression"], "additionalProperties": False}}}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {
    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}, "strict": True}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "12 * 34"}'}}
CALL2 = {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": {"unit": "celsius"}}}
# (messages, tools): tools in the system turn (with and without a system message), calls with arguments
# as a JSON string (OpenAI) and as an object (transformers), parallel calls, content next to a call
TOOL_CONVERSATIONS = [
    ([{"role": "user", "content": "12 * 34?"}], [CALC]),
    ([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "12 * 34?"},
      {"role": "assistant", "content": None, "tool_calls": [CALL]},
      {"role": "tool", "tool_call_id": "call_1", "content": "408"},
      {"role": "assistant", "content": "12 * 34 = 408."}], [CALC, WEATHER]),
    ([{"role": "user", "content": "Both?"},
      {"role": "assistant", "content": "Let me check.", "tool_calls": [CALL, CALL2]},
      {"role": "tool", "tool_call_id": "call_1", "content": "408"},
      {"role": "tool", "tool_call_id": "call_2", "content": '{"temperature": 3}'}], [WEATHER, CALC]),
]


def test_python_rendering_equals_jinja_rendering(tok, tmp_path):
    path = tmp_path / "tokenizer_config.json"
    import json

    path.write_text(json.dumps(tokenizer_config(tiny_config(), tok)))
    convs = [{"messages": c, "add_generation_prompt": g} for c in CONVERSATIONS for g in (True, False)]
    convs += [{"messages": m, "tools": t, "add_generation_prompt": g} for m, t in TOOL_CONVERSATIONS for g in (True, False)]
    got = run_script("hf-tokenize.mjs", {"render": {"config": str(path), "conversations": convs}})["rendered"]
    assert got == [render(c["messages"], c["add_generation_prompt"], c.get("tools")) for c in convs]
    assert "<tools>" in got[-1] and got[-1].count("<tool_call>") == 2
    assert "chat_template" in json.loads(path.read_text()) and CHAT_TEMPLATE


def test_segments_concatenate_to_the_rendering():
    for conv in CONVERSATIONS:
        assert "".join(t for t, _ in render_segments(conv)) == render(conv, False)
    for conv, tools in TOOL_CONVERSATIONS:
        assert "".join(t for t, _ in render_segments(conv, tools)) == render(conv, False, tools)


def test_tool_calls_are_trained_and_tool_results_are_not(tok):
    conv, tools = TOOL_CONVERSATIONS[1]
    ids, targets = sft_example(tok, {"messages": conv, "tools": tools})
    trained = tok.decode([t for t in targets if t != IGNORE])
    assert trained == ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "12 * 34"}}\n</tool_call>'
                       "<|im_end|>12 * 34 = 408.<|im_end|>")
    assert tok.token_id("<tool_call>") in ids and tok.token_id("</tool_call>") in ids


def test_sft_loss_only_on_assistant_tokens_and_im_end(tok):
    conv = CONVERSATIONS[1] + [{"role": "assistant", "content": "37 + 45 = 82."}]
    ids, targets = sft_example(tok, {"messages": conv, "tools": None})
    trained = [t for t in targets if t != IGNORE]
    expected = tok.encode("微调是第二阶段。<|im_end|>") + tok.encode("37 + 45 = 82.<|im_end|>")
    assert trained == expected
    # targets are next tokens
    assert all(t == IGNORE or t == ids[i + 1] for i, t in enumerate(targets))
