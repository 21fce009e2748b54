"""A Hugging Face transformers model behind langchain-core's chat interface.

Output is constrained by xgrammar, compiled from the same JSON schema the llama.cpp backend
receives as `json_schema`, and decoded greedily. Like llama.cpp's prompt cache, the key/value
cache of the previous call is kept and cut back to the tokens the next prompt shares with it, so
the fixed few-shot prefix is evaluated once and later calls pay for the user's words only.
"""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from language.backends.messages import payload
from language.errors import LanguageInputError


class TransformersChatModel(BaseChatModel):
    """A causal LM loaded from a Hugging Face folder (see `language.hf_models`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_dir: str
    threads: int | None = None  # torch's threads; None leaves the process-wide setting alone
    max_tokens: int = 64
    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _compiler: Any = PrivateAttr(default=None)
    _cache: Any = PrivateAttr(default=None)
    _cached_ids: list[int] = PrivateAttr(default_factory=list)  # the tokens `_cache` holds
    _lock: Any = PrivateAttr(default_factory=threading.Lock)  # one request at a time: warm-up vs. the user

    @property
    def _llm_type(self) -> str:
        return "transformers"

    def load(self) -> None:
        """Load the weights, the tokenizer and the grammar compiler (once; a warm-up thread and the
        user's first request may both ask)."""
        with self._lock:
            if self._model is None:
                self._load()

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging

        try:
            import xgrammar
        except ImportError:
            raise LanguageInputError("the transformers backend needs xgrammar: pip install worldmind[hf]") from None

        logging.disable_progress_bar()  # its bars would scribble over the chat screen
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype="auto")
        info = xgrammar.TokenizerInfo.from_huggingface(self._tokenizer, vocab_size=model.config.vocab_size)
        self._compiler = xgrammar.GrammarCompiler(info, max_threads=self.threads or 1)
        self._model = model.eval()

    def warm_up(self, messages: list[BaseMessage]) -> None:
        """Have the prompt `messages` evaluated into the key/value cache."""
        self._generate(messages, max_tokens=1)

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        self.load()
        ids = self._tokenizer.apply_chat_template(
            payload(messages), add_generation_prompt=True, return_dict=True, return_tensors="pt"
        )["input_ids"]
        processors = LogitsProcessorList()
        if "json_schema" in kwargs:
            processors.append(self._grammar(kwargs["json_schema"]))
        config = GenerationConfig(
            max_new_tokens=kwargs.get("max_tokens", self.max_tokens),
            do_sample=False,
            eos_token_id=self._model.generation_config.eos_token_id,
            pad_token_id=self._tokenizer.pad_token_id,
        )
        with self._lock, torch.inference_mode():
            cache = self._reusable_cache(ids[0].tolist())
            out = self._model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                cache=cache,
                generation_config=config,
                logits_processor=processors,
            )
            self._cached_ids = out[0].tolist()[: cache.get_seq_length()]
        text = self._tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        for marker in stop or []:
            text = text.split(marker, 1)[0]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _grammar(self, schema: dict[str, Any]) -> Any:
        """A fresh logits processor (they are single-use) for `schema`, compact JSON like the
        few-shot answers; xgrammar caches the compiled grammar of a schema it has seen."""
        import xgrammar

        compiled = self._compiler.compile_json_schema(schema, any_whitespace=False, separators=(",", ":"))
        return xgrammar.contrib.hf.LogitsProcessor(compiled)

    def _reusable_cache(self, ids: list[int]) -> Any:
        """The kept cache cut back to the prefix it shares with `ids` (at least one token of `ids`
        is left to evaluate, as generation needs logits), or a new cache."""
        from transformers import DynamicCache

        shared = 0
        for cached, new in zip(self._cached_ids, ids[:-1], strict=False):
            if cached != new:
                break
            shared += 1
        if self._cache is None or shared == 0:
            self._cache = DynamicCache(config=self._model.config)
        elif shared < self._cache.get_seq_length():
            self._cache.crop(shared - self._cache.get_seq_length())  # a negative count drops that many tokens
        return self._cache
