"""A Llama-style decoder: RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention.

Parameter names match Hugging Face `LlamaForCausalLM` one to one, so `state_dict()` loads there
(and in vLLM/TGI). Attention takes an explicit past and builds its own mask, so the same forward
traces into an ONNX decoder-with-past: key j is visible to query i when j <= past_len + i AND
attention_mask[j] == 1.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

KV = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class ModelConfig:
    n_layer: int = 4
    n_head: int = 4
    n_kv_head: int = 2
    n_embd: int = 128
    block_size: int = 256
    vocab_size: int = 4096
    rope_theta: float = 10000.0
    intermediate_size: int = 0  # 0 = Llama's rule: 8/3 * n_embd rounded up to a multiple of 32
    rms_norm_eps: float = 1e-5
    tie_word_embeddings: bool = True

    def __post_init__(self) -> None:
        assert self.n_embd % self.n_head == 0 and self.n_head % self.n_kv_head == 0
        if self.intermediate_size == 0:
            self.intermediate_size = 32 * math.ceil(8 * self.n_embd / 3 / 32)

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # computed in fp32 like HF, so autocast on GPU does not change the normalisation
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)


def rope_cos_sin(position_ids: torch.Tensor, head_dim: int, theta: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """HF Llama rotary tables for the given positions: (B, T, head_dim) each."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))  # (hs/2,)
    freqs = position_ids.float()[..., None] * inv_freq  # (B, T, hs/2)
    emb = torch.cat((freqs, freqs), dim=-1)  # (B, T, hs)
    return emb.cos(), emb.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    # x: (B, nh, T, hs); cos/sin: (B, T, hs) → broadcast over heads
    cos, sin = cos[:, None].to(x.dtype), sin[:, None].to(x.dtype)
    return x * cos + rotate_half(x) * sin


def build_mask(attention_mask: Optional[torch.Tensor], T: int, past_len, device) -> torch.Tensor:
    """Boolean (B or 1, 1, T, past+T): True where query i may attend key j."""
    q_pos = torch.arange(T, device=device) + past_len  # (T,)
    k_pos = torch.arange(T + past_len, device=device)  # (S,)
    causal = k_pos[None, :] <= q_pos[:, None]  # (T, S)
    if attention_mask is None:
        return causal[None, None]
    return causal[None, None] & (attention_mask[:, None, None, :] > 0)  # (B, 1, T, S)


class LlamaAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_head, self.n_kv_head, self.head_dim = cfg.n_head, cfg.n_kv_head, cfg.head_dim
        self.q_proj = nn.Linear(cfg.n_embd, cfg.n_head * cfg.head_dim, bias=False)
        self.k_proj = nn.Linear(cfg.n_embd, cfg.n_kv_head * cfg.head_dim, bias=False)
        self.v_proj = nn.Linear(cfg.n_embd, cfg.n_kv_head * cfg.head_dim, bias=False)
        self.o_proj = nn.Linear(cfg.n_head * cfg.head_dim, cfg.n_embd, bias=False)

    def forward(self, x, cos, sin, mask, past: Optional[KV]) -> Tuple[torch.Tensor, KV]:
        B, T, C = x.shape
        q = self.q_proj(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, nh, T, hs)
        k = self.k_proj(x).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)  # (B, nkv, T, hs)
        v = self.v_proj(x).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)  # (B, nkv, T, hs)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if past is not None:
            k = torch.cat((past[0], k), dim=2)  # (B, nkv, S, hs)
            v = torch.cat((past[1], v), dim=2)
        present = (k, v)
        rep = self.n_head // self.n_kv_head
        S = k.shape[2]
        # repeat each kv head `rep` times, consecutively, as HF repeat_kv does
        k = k[:, :, None].expand(B, self.n_kv_head, rep, S, self.head_dim).reshape(B, self.n_head, S, self.head_dim)
        v = v[:, :, None].expand(B, self.n_kv_head, rep, S, self.head_dim).reshape(B, self.n_head, S, self.head_dim)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))  # (B, nh, T, S)
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min)
        att = F.softmax(att.float(), dim=-1).to(q.dtype)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.o_proj(y), present


class LlamaMLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.n_embd, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.n_embd, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.n_embd, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.n_embd, cfg.rms_norm_eps)
        self.self_attn = LlamaAttention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.n_embd, cfg.rms_norm_eps)
        self.mlp = LlamaMLP(cfg)

    def forward(self, x, cos, sin, mask, past: Optional[KV]) -> Tuple[torch.Tensor, KV]:
        h, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        x = x + h
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class LlamaModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.layers = nn.ModuleList(LlamaDecoderLayer(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.n_embd, cfg.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.apply(self._init_weights)
        # GPT-2/nanoGPT scaled init for the projections that write into the residual stream
        for name, p in self.named_parameters():
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        position_ids: Optional[torch.Tensor] = None,
        past_key_values: Optional[List[KV]] = None,
    ) -> Tuple[torch.Tensor, List[KV]]:
        """input_ids (B, T) → logits (B, T, vocab) and presents [(B, nkv, past+T, hs) x2] per layer."""
        h, presents = self.hidden_states(input_ids, attention_mask, position_ids, past_key_values)
        return self.lm_head(h), presents  # (B, T, vocab)

    def hidden_states(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None):
        """Final-norm hidden states (B, T, C) and the per-layer presents."""
        B, T = input_ids.shape
        past_len = past_key_values[0][0].shape[2] if past_key_values is not None else 0
        if position_ids is None:
            position_ids = (torch.arange(T, device=input_ids.device) + past_len)[None].expand(B, T)
        cos, sin = rope_cos_sin(position_ids, self.config.head_dim, self.config.rope_theta)
        mask = build_mask(attention_mask, T, past_len, input_ids.device)
        x = self.model.embed_tokens(input_ids)  # (B, T, C)
        presents: List[KV] = []
        for i, layer in enumerate(self.model.layers):
            x, present = layer(x, cos, sin, mask, past_key_values[i] if past_key_values is not None else None)
            presents.append(present)
        return self.model.norm(x), presents

    def loss(self, input_ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Next-token cross-entropy; targets == -100 are ignored (prompt tokens in SFT). The vocab
        projection runs only on trained positions: in SFT most are prompt, and it is the costliest matmul."""
        h, _ = self.hidden_states(input_ids)
        keep = targets != -100  # (B, T)
        logits = self.lm_head(h[keep])  # (N, vocab)
        return F.cross_entropy(logits.float(), targets[keep])

    @torch.no_grad()
    def generate_greedy(self, input_ids: List[int], max_new_tokens: int, stop_ids=()) -> List[int]:
        """Greedy decode with the KV cache; stops after a stop id (included) or max_new_tokens."""
        device = self.model.embed_tokens.weight.device
        x = torch.tensor([input_ids], dtype=torch.long, device=device)
        logits, past = self.forward(x)
        out: List[int] = []
        for _ in range(max_new_tokens):
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
            if nxt in stop_ids or len(input_ids) + len(out) >= self.config.block_size:
                break
            logits, past = self.forward(torch.tensor([[nxt]], device=device), past_key_values=past)
        return out
