"""The transformers backend: grammar-constrained greedy decoding, the reused prompt cache, model
selection, and (marked real_llm) the conversion of the packaged GGUF into a cached HF folder.

The logic tests use a tiny randomly initialised model with a byte-level tokenizer trained here:
whatever such a model prefers, the grammar must keep its output inside the schema.
"""

from __future__ import annotations

import importlib.util
import json
import time

import pytest

from language import IntentParser, LanguageInputError
from language.backends.messages import payload
from language.chat_models import load_chat_model
from language.cues import read_cues
from language.grammar import intent_schema
from language.intents import Intent
from language.model_files import DEFAULT_MODEL

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("xgrammar", "accelerate", "gguf")),
    reason="the hf extra is not installed",
)

VOCABULARY = ["red ball", "blue box", "green key"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A local Hugging Face folder: a 2-layer random Qwen2 and a byte-level BPE tokenizer."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path_factory.mktemp("tiny-hf")
    bpe = ByteLevelBPETokenizer()
    corpus = ['{"kind":"go","targets":["red ball","blue box"]}', "go to the red ball, then the green key"] * 20
    bpe.train_from_iterator(corpus, vocab_size=300, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE
    )
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_hugging_face_folder_selects_the_transformers_backend(tiny_model_dir, tmp_path):
    for name in (str(tiny_model_dir), f"transformers:{tiny_model_dir}"):
        assert load_chat_model(name, tmp_path)._llm_type == "transformers"
    with pytest.raises(LanguageInputError, match="unknown model"):
        load_chat_model(f"transformers:{tmp_path / 'nope.gguf'}", tmp_path)


def test_decoding_stays_inside_the_schema_whatever_the_weights(tiny_model_dir, tmp_path):
    chat_model = load_chat_model(str(tiny_model_dir), tmp_path)
    parser = IntentParser(chat_model)
    for text in ("go to the red ball, then the green key", "where is the blue box?", "hello there"):
        messages = parser.messages(text, VOCABULARY)
        reply = chat_model.invoke(
            messages,
            json_schema=intent_schema(["red ball", "green key"], read_cues("go", ["red ball", "green key"])),
            max_tokens=200,
        )
        intent = Intent.model_validate_json(str(reply.content))  # complete, valid JSON
        assert set(intent.targets) <= {"red ball", "green key"}


def test_the_kept_cache_gives_the_same_answer_as_a_fresh_one(tiny_model_dir, tmp_path):
    """A second request sharing the first's prefix evaluates only its own tokens; same output."""
    parser = IntentParser(load_chat_model(str(tiny_model_dir), tmp_path))
    first, second = (parser.messages(t, VOCABULARY) for t in ("go to the red ball", "where is the green key?"))
    warm = load_chat_model(str(tiny_model_dir), tmp_path)
    warm.invoke(first, max_tokens=5)
    evaluated: list[int] = []
    warm._model.model.embed_tokens.register_forward_pre_hook(lambda _, args: evaluated.append(args[0].shape[1]))
    answer = warm.invoke(second, max_tokens=5).content
    prompt = warm._tokenizer.apply_chat_template(payload(second), add_generation_prompt=True)["input_ids"]
    assert 0 < evaluated[0] < len(prompt) // 4  # the few-shot prefix came from the kept cache
    fresh = load_chat_model(str(tiny_model_dir), tmp_path)
    assert fresh.invoke(second, max_tokens=5).content == answer


def test_max_tokens_and_stop_are_honoured(tiny_model_dir, tmp_path):
    chat_model = load_chat_model(str(tiny_model_dir), tmp_path)
    chat_model.load()
    steps: list[int] = []
    chat_model._model.model.embed_tokens.register_forward_pre_hook(lambda *_: steps.append(1))
    chat_model.invoke("say something", max_tokens=3)
    assert len(steps) <= 3  # one forward pass per generated token
    longer = str(chat_model.invoke("say something", max_tokens=12).content)
    if len(longer) > 1:
        stop = longer[1]
        assert stop not in str(chat_model.invoke("say something", max_tokens=12, stop=[stop]).content)


@pytest.mark.real_llm
@pytest.mark.slow
def test_real_default_model_through_transformers_is_converted_once(tmp_path):
    cache_dir = tmp_path / "models"
    try:
        first = load_chat_model(f"transformers:{DEFAULT_MODEL}", cache_dir, threads=1)
    except LanguageInputError as exc:
        pytest.skip(str(exc))
    converted = sorted((cache_dir / "converted").iterdir())
    assert len(converted) == 1 and (converted[0] / "model.safetensors").is_file()
    assert "quantization_config" not in json.loads((converted[0] / "config.json").read_text())
    go = IntentParser(first).parse("go to the red ball and then the blue box", VOCABULARY)
    assert go.status == "ok" and go.intent.targets == ["red ball", "blue box"]
    started = time.perf_counter()
    again = load_chat_model(f"transformers:{DEFAULT_MODEL}", cache_dir, threads=1)
    assert again.model_dir == str(converted[0])  # the saved copy, not a second conversion
    again.load()
    assert time.perf_counter() - started < 60
    where = IntentParser(again).parse("where is the green key?", VOCABULARY)
    assert where.status == "ok" and where.intent.question == "where" and where.intent.targets == ["green key"]
