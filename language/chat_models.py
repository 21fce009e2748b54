"""Choosing a chat model by name (`--llm`): llama.cpp for the real GGUF model (the default),
transformers for a Hugging Face folder or a converted GGUF, or the keyword test double.

The backends live in `language.backends`; any other LangChain chat model (a local server, a
hosted API) can be passed to the parser and verbalizer instead, as both only use `invoke` with
plain messages.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

BACKENDS = ("llama.cpp", "transformers")
TEST_DOUBLE = "keyword-test-double"  # not a language model: keyword rules, for tests


def load_chat_model(name: str, cache_dir: Path, threads: int | None = None) -> BaseChatModel:
    """A chat model from its name: TEST_DOUBLE for the keyword test double, else '[BACKEND:]MODEL' where
    BACKEND is llama.cpp (the default) or transformers, and MODEL a packaged model name or a GGUF
    file (verified); a local Hugging Face model folder always goes to transformers. `threads`
    defaults to 2 for llama.cpp and to torch's process-wide setting for transformers."""
    if name == TEST_DOUBLE:
        from language.backends.keyword_double import KeywordTestDouble

        return KeywordTestDouble()
    backend, _, model = name.partition(":")
    if backend not in BACKENDS:
        from language.hf_models import is_hf_folder

        backend, model = ("transformers" if is_hf_folder(name) else "llama.cpp"), name
    if backend == "transformers":
        from language.backends.hf_transformers import TransformersChatModel
        from language.hf_models import hf_model_dir

        return TransformersChatModel(model_dir=str(hf_model_dir(model, cache_dir)), threads=threads)
    from language.backends.llama_cpp import LlamaCppChatModel
    from language.model_files import model_path

    return LlamaCppChatModel(
        model_path=str(model_path(model, cache_dir)),
        threads=threads or 2,
        prompt_cache_dir=str(cache_dir / "prompt-cache"),
    )
