"""The message form the local backends hand to their runtimes."""

from __future__ import annotations

from langchain_core.messages import BaseMessage

ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def payload(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """Role/content dicts, the form both llama.cpp's server and Hugging Face chat templates take."""
    return [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
