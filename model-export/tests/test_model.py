import torch

from petrel_export.model import LlamaForCausalLM, build_mask

from .conftest import tiny_config

HF_LAYER_NAMES = {
    "input_layernorm.weight", "post_attention_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
    "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
    "mlp.down_proj.weight",
}


def test_parameter_names_match_hf_llama():
    cfg = tiny_config()
    names = set(LlamaForCausalLM(cfg).state_dict())
    expected = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"}
    expected |= {f"model.layers.{i}.{n}" for i in range(cfg.n_layer) for n in HF_LAYER_NAMES}
    assert names == expected


def test_shapes(model):
    cfg = model.config
    logits, presents = model(torch.randint(0, cfg.vocab_size, (3, 7)))
    assert logits.shape == (3, 7, cfg.vocab_size)
    assert len(presents) == cfg.n_layer
    assert all(k.shape == v.shape == (3, cfg.n_kv_head, 7, cfg.head_dim) for k, v in presents)


def test_mask_with_past_is_causal_from_the_past_offset():
    m = build_mask(torch.tensor([[0, 1, 1, 1, 1]]), T=2, past_len=3, device="cpu")[0, 0]
    # query 0 sits at absolute position 3: sees keys 1..3 (key 0 is padding), not key 4
    assert m.tolist() == [[False, True, True, True, False], [False, True, True, True, True]]


def test_incremental_decoding_with_past_equals_full_forward(model):
    ids = torch.randint(0, model.config.vocab_size, (2, 12))
    full, _ = model(ids)
    logits, past = model(ids[:, :7])
    steps = [logits]
    for t in range(7, 12):
        logits, past = model(ids[:, t : t + 1], past_key_values=past)
        steps.append(logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-5)


def test_left_padding_with_attention_mask_matches_unpadded(model):
    ids = torch.randint(3, model.config.vocab_size, (1, 6))
    ref, _ = model(ids)
    padded = torch.cat([torch.zeros(1, 3, dtype=torch.long), ids], dim=1)
    mask = torch.tensor([[0, 0, 0, 1, 1, 1, 1, 1, 1]])
    pos = torch.tensor([[0, 0, 0, 0, 1, 2, 3, 4, 5]])
    out, _ = model(padded, attention_mask=mask, position_ids=pos)
    torch.testing.assert_close(out[:, 3:], ref, atol=1e-5, rtol=1e-5)


def test_loss_ignores_masked_targets(model):
    torch.manual_seed(0)
    V = model.config.vocab_size
    ids = torch.randint(0, V, (2, 8))
    targets = torch.randint(0, V, (2, 8))
    targets[:, :5] = -100
    logits, _ = model(ids)
    # the mean over the unmasked positions only: a masked position counted at all would move it
    expected = torch.nn.functional.cross_entropy(logits[:, 5:].reshape(-1, V), targets[:, 5:].reshape(-1))
    assert torch.allclose(model.loss(ids, targets), expected, atol=1e-6)
    unmasked = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.randint(0, V, (16,)))
    assert not torch.allclose(unmasked, expected)


def test_greedy_generation_stops_at_stop_id(model):
    ids = [5, 6, 7]
    first = model.generate_greedy(ids, 4)
    stop = first[1]
    again = model.generate_greedy(ids, 4, stop_ids={stop})
    assert again == first[: first.index(stop) + 1] and again[-1] == stop
