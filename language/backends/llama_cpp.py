"""The real GGUF model served in-process by llama.cpp (xllamacpp), behind langchain-core's chat
interface."""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.request
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from language.backends.messages import payload


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
            # Not needed on a CPU, and each costs a start (of `worldmind ask`, say) about 0.2-0.7 s: fitting
            # the settings to free device memory, and a warm-up pass through the model.
            params.fit_params = False
            params.warmup = False
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
