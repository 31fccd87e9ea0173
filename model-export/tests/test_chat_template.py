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


def test_python_rendering_equals_jinja_rendering(tok, tmp_path):
    path = tmp_path / "tokenizer_config.json"
    import json

    path.write_text(json.dumps(tokenizer_config(tiny_config(), tok)))
    convs = [{"messages": c, "add_generation_prompt": g} for c in CONVERSATIONS for g in (True, False)]
    got = run_script("hf-tokenize.mjs", {"render": {"config": str(path), "conversations": convs}})["rendered"]
    assert got == [render(c["messages"], c["add_generation_prompt"]) for c in convs]
    assert "chat_template" in json.loads(path.read_text()) and CHAT_TEMPLATE


def test_segments_concatenate_to_the_rendering():
    for conv in CONVERSATIONS:
        assert "".join(t for t, _ in render_segments(conv)) == render(conv, False)


def test_sft_loss_only_on_assistant_tokens_and_im_end(tok):
    conv = CONVERSATIONS[1] + [{"role": "assistant", "content": "37 + 45 = 82."}]
    ids, targets = sft_example(tok, conv)
    trained = [t for t in targets if t != IGNORE]
    expected = tok.encode("微调是第二阶段。<|im_end|>") + tok.encode("37 + 45 = 82.<|im_end|>")
    assert trained == expected
    # targets are next tokens
    assert all(t == IGNORE or t == ids[i + 1] for i, t in enumerate(targets))
