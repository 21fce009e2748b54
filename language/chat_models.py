"""Chat models behind langchain-core's interface: llama.cpp (xllamacpp) for the real GGUF
model (transformers is the other backend, in `language.transformers_chat`), and a deterministic
keyword model that tests use instead of loading weights.

Any other LangChain chat model (a local server, a hosted API) can be passed to the parser
and verbalizer instead; both only use `invoke` with plain messages.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.request
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from language.intents import allowed_targets

ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def payload(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """Role/content dicts, the form both llama.cpp's server and Hugging Face chat templates take."""
    return [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class LlamaCppChatModel(BaseChatModel):
    """A GGUF model served in-process by xllamacpp; schema-constrained output via `json_schema`.

    The server keeps the KV cache of the last prompt, so a fixed few-shot prefix is only
    evaluated once: later calls pay for the user's words and the short JSON answer.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_path: str
    threads: int = 2
    context: int = 4096
    max_tokens: int = 64
    prompt_cache_dir: str | None = None  # where evaluated prompts are saved so later runs load them
    _server: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)  # one request at a time: warm-up vs. the user

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    def _ensure_server(self) -> Any:
        if self._server is None:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = self.model_path
            params.n_ctx = self.context
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.verbosity = -1  # llama.cpp's own logging would scribble over the chat screen
            if self.prompt_cache_dir is not None:
                Path(self.prompt_cache_dir).mkdir(parents=True, exist_ok=True)
                params.endpoint_slots = True
                params.slot_save_path = str(self.prompt_cache_dir).rstrip("/") + "/"  # joined as a string
            self._server = xllamacpp.Server(params)
        return self._server

    def warm_up(self, messages: list[BaseMessage]) -> None:
        """Have `messages` evaluated in the KV cache: loaded from the prompt cache when an earlier
        run saved it (milliseconds), else evaluated once (seconds for a long few-shot prefix) and saved."""
        self._ensure_server()
        if self.prompt_cache_dir is None:
            self._generate(messages, max_tokens=1)
            return
        key = json.dumps([self.model_path, Path(self.model_path).stat().st_size, payload(messages)])
        name = f"prompt-{hashlib.sha256(key.encode()).hexdigest()[:24]}.bin"
        if (Path(self.prompt_cache_dir) / name).exists() and self._slot_action("restore", name):
            return
        self._generate(messages, max_tokens=1)
        self._slot_action("save", name)

    def _slot_action(self, action: str, name: str) -> bool:
        """Save or restore slot 0 through the server's slot endpoint; False if it refused."""
        request = urllib.request.Request(
            f"{self._server.listening_address}/slots/0?action={action}",
            data=json.dumps({"filename": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with self._lock, urllib.request.urlopen(request, timeout=60) as response:
                return "error" not in json.loads(response.read())
        except (OSError, ValueError):
            return False

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        request: dict[str, Any] = {
            "messages": payload(messages),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": 0.0,
            "cache_prompt": True,
        }
        if "json_schema" in kwargs:
            request["response_format"] = {"type": "json_object", "schema": kwargs["json_schema"]}
        if stop:
            request["stop"] = stop
        with self._lock:
            response = self._ensure_server().handle_chat_completions(request)
        if isinstance(response, str):
            response = json.loads(response)
        if "error" in response:
            raise RuntimeError(f"llama.cpp error: {response['error']}")
        text = response["choices"][0]["message"]["content"]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


class KeywordChatModel(BaseChatModel):
    """Deterministic stand-in for tests: answers intent prompts by keyword rules and
    verbalization prompts by echoing the template sentence it is given."""

    @property
    def _llm_type(self) -> str:
        return "keyword-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        text = str(messages[-1].content)
        if "json_schema" in kwargs:
            request = text.partition("\nObjects named:")[0]
            answer = json.dumps(self._intent(request, kwargs["json_schema"]))
        else:
            match = re.search(r"Sentence: (.*)", text)
            answer = match.group(1) if match else text
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])

    @staticmethod
    def _intent(text: str, schema: dict[str, Any]) -> dict[str, Any]:
        lowered = text.lower()
        names = allowed_targets(schema)
        targets = sorted((n for n in names if n in lowered), key=lowered.index)
        if "?" in lowered or lowered.startswith(("where", "what", "why", "when")):
            question = (
                "surprise"
                if "surpris" in lowered
                else "where"
                if "where" in lowered
                else "why"
                if "why" in lowered
                else "what_seen"
            )
            return {"kind": "question", "targets": targets, "question": question}
        for kind, cue in (
            ("forget", "forget"),
            ("wait", "wait"),
            ("watch", "wait"),
            ("stop", "stop"),
            ("explore", "explore"),
            ("help", "help"),
            ("status", "status"),
        ):
            if cue in lowered:
                return {"kind": kind, "targets": []}
        return {"kind": "go" if targets or "go" in lowered else "unknown", "targets": targets}


BACKENDS = ("llama.cpp", "transformers")


def load_chat_model(name: str, cache_dir: Path, threads: int | None = None) -> BaseChatModel:
    """A chat model from its name: 'fake' for the keyword test model, else '[BACKEND:]MODEL' where
    BACKEND is llama.cpp (the default) or transformers, and MODEL a packaged model name or a GGUF
    file (verified); a local Hugging Face model folder always goes to transformers. `threads`
    defaults to 2 for llama.cpp and to torch's process-wide setting for transformers."""
    if name == "fake":
        return KeywordChatModel()
    backend, _, model = name.partition(":")
    if backend not in BACKENDS:
        from language.hf_models import is_hf_folder

        backend, model = ("transformers" if is_hf_folder(name) else "llama.cpp"), name
    if backend == "transformers":
        from language.hf_models import hf_model_dir
        from language.transformers_chat import TransformersChatModel

        return TransformersChatModel(model_dir=str(hf_model_dir(model, cache_dir)), threads=threads)
    from language.model_files import model_path

    return LlamaCppChatModel(
        model_path=str(model_path(model, cache_dir)),
        threads=threads or 2,
        prompt_cache_dir=str(cache_dir / "prompt-cache"),
    )
