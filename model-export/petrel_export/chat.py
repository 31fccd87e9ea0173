"""The chat template with tools: one Jinja string for serving, one Python renderer for training.

ChatML turns; tools follow the Hermes / Qwen convention: the tool list (the OpenAI `tools` objects,
passed to the template as `tools`, as transformers and vLLM do) is rendered as JSON lines inside
<tools></tools> in the system turn, an assistant call is `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>`
(`<tool_call>` and `</tool_call>` are single tokens), and a tool result is a `tool` turn wrapped in
<tool_response></tool_response>. tests/test_chat_template.py renders both (Jinja through
`@huggingface/jinja` under Node) and requires identical text, so SFT sees exactly what serving feeds.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

BOS = "<|endoftext|>"  # document separator in pretraining, also the pad token
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
TOOL_CALL_START = "<tool_call>"
TOOL_CALL_END = "</tool_call>"
SPECIAL_TOKENS = (BOS, IM_START, IM_END)
# added tokens that decode as text (special: false), like Qwen's: the server parses them out
MARKUP_TOKENS = (TOOL_CALL_START, TOOL_CALL_END)
ADDED_TOKENS = SPECIAL_TOKENS + MARKUP_TOKENS
TOOLS_HEADER = "You can call these tools:"

CHAT_TEMPLATE = (
    "{%- if tools %}"
    "{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}"
    "{{- '" + TOOLS_HEADER + "\\n<tools>\\n' }}"
    "{%- for tool in tools %}{{- tool | tojson }}{{- '\\n' }}{%- endfor %}"
    "{{- '</tools><|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' and loop.first and tools %}"
    "{%- elif message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}{%- if message['content'] %}{{- message['content'] }}{%- endif %}"
    "{%- if message['tool_calls'] %}{%- for call in message['tool_calls'] %}"
    "{%- set fn = call['function'] if call['function'] is defined else call %}"
    "{%- if message['content'] or not loop.first %}{{- '\\n' }}{%- endif %}"
    "{{- '<tool_call>\\n{\"name\": \"' + fn['name'] + '\", \"arguments\": ' }}"
    "{%- if fn['arguments'] is string %}{{- fn['arguments'] }}{%- else %}{{- fn['arguments'] | tojson }}{%- endif %}"
    "{{- '}\\n</tool_call>' }}"
    "{%- endfor %}{%- endif %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message['role'] == 'tool' %}"
    "{{- '<|im_start|>tool\\n<tool_response>\\n' + message['content'] + '\\n</tool_response><|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

Message = Dict[str, Any]


def tojson(value: Any) -> str:
    """Jinja's `tojson` as @huggingface/jinja and transformers write it."""
    return json.dumps(value, ensure_ascii=False)


def tool_call_text(name: str, arguments: Any) -> str:
    args = arguments if isinstance(arguments, str) else tojson(arguments)
    return f'{TOOL_CALL_START}\n{{"name": "{name}", "arguments": {args}}}\n{TOOL_CALL_END}'


def assistant_body(m: Message) -> str:
    """What the model writes in an assistant turn: content, then each call on its own lines."""
    parts = [m["content"]] if m.get("content") else []
    for call in m.get("tool_calls") or []:
        fn = call.get("function", call)
        parts.append(tool_call_text(fn["name"], fn["arguments"]))
    return "\n".join(parts)


def _tools_block(messages: Sequence[Message], tools: Sequence[dict]) -> str:
    system = messages[0]["content"] + "\n\n" if messages and messages[0]["role"] == "system" else ""
    lines = "".join(tojson(t) + "\n" for t in tools)
    return f"{IM_START}system\n{system}{TOOLS_HEADER}\n<tools>\n{lines}</tools>{IM_END}\n"


def render_segments(messages: Sequence[Message], tools: Optional[Sequence[dict]] = None) -> List[Tuple[str, bool]]:
    """The rendered conversation as (text, is_trained) pieces: assistant content, its tool calls and
    its <|im_end|> are trained; headers, other roles and the newline after <|im_end|> are context only."""
    segs: List[Tuple[str, bool]] = []
    if tools:
        segs.append((_tools_block(messages, tools), False))
    for i, m in enumerate(messages):
        if m["role"] == "system" and i == 0 and tools:
            continue
        if m["role"] == "assistant":
            segs.append((f"{IM_START}assistant\n", False))
            segs.append((assistant_body(m) + IM_END, True))
            segs.append(("\n", False))
        elif m["role"] == "tool":
            segs.append((f"{IM_START}tool\n<tool_response>\n{m['content']}\n</tool_response>{IM_END}\n", False))
        else:
            segs.append((f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n", False))
    return segs


def render(messages: Sequence[Message], add_generation_prompt: bool, tools: Optional[Sequence[dict]] = None) -> str:
    """Python twin of CHAT_TEMPLATE."""
    text = "".join(t for t, _ in render_segments(messages, tools))
    return text + (f"{IM_START}assistant\n" if add_generation_prompt else "")
