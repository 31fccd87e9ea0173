"""The ChatML chat template: one Jinja string for serving, one Python renderer for training.

tests/test_chat_template.py renders both (Jinja through `@huggingface/jinja` under Node) and
requires identical text, so SFT sees exactly what the server will feed the model.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

BOS = "<|endoftext|>"  # document separator in pretraining, also the pad token
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (BOS, IM_START, IM_END)

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

Message = Dict[str, str]


def render(messages: Sequence[Message], add_generation_prompt: bool) -> str:
    """Python twin of CHAT_TEMPLATE."""
    text = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    return text + (f"{IM_START}assistant\n" if add_generation_prompt else "")


def render_segments(messages: Sequence[Message]) -> List[Tuple[str, bool]]:
    """The rendered conversation as (text, is_trained) pieces: assistant content and its <|im_end|>
    are trained; headers, other roles and the newline after <|im_end|> are context only."""
    segs: List[Tuple[str, bool]] = []
    for m in messages:
        if m["role"] == "assistant":
            segs.append((f"{IM_START}assistant\n", False))
            segs.append((m["content"] + IM_END, True))
            segs.append(("\n", False))
        else:
            segs.append((f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n", False))
    return segs
