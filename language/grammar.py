"""The decoding grammar: a JSON schema of the intents a request's words leave open."""

from __future__ import annotations

from typing import Any, get_args

from language.cues import Cues
from language.intents import IntentKind


def intent_schema(targets: list[str], cues: Cues) -> dict[str, Any]:
    """JSON schema used as the decoding grammar, one branch per shape of intent.

    `targets` are the objects the request names: the only ones the model may pick, so it
    cannot choose an object the user never mentioned, nor go to one the request forbids. When the request names some, going
    somewhere and asking where or when need at least one of them (all of them, unless the
    request excludes one); kinds that take no object take none. The request's `cues` take away
    the question kinds and meta kinds its words rule out (see `language.cues`). A question
    states its question kind right after `kind`, before the targets.
    """
    least = min(len(targets), 5) if cues.cover_all else 1
    named: dict[str, Any] = {"type": "array", "items": {"enum": targets}, "minItems": least, "maxItems": 5}
    optional: dict[str, Any] = named if cues.cover_all else named | {"minItems": 0}
    none: dict[str, Any] = {"type": "array", "maxItems": 0}
    if not targets:
        named = optional = none
    # Going never visits a forbidden object; asking about one ("why didn't you go to the box?") may.
    allowed = [t for t in targets if t not in cues.forbidden]
    least = min(len(allowed), 5) if cues.cover_all else 1
    going = {"type": "array", "items": {"enum": allowed}, "minItems": least, "maxItems": 5} if allowed else none
    located = [q for q in cues.questions if q in ("where", "when")]
    others = [q for q in cues.questions if q not in located]
    plain = [
        k
        for k in get_args(IntentKind)
        if k not in ("go", "question")
        and not (cues.on_topic and k == "unknown")
        and not (k == "forget" and not cues.deletes)
        and not (cues.moves and k == "wait")
    ]
    branches = [_branch({"kind": {"const": "go"}, "targets": going})]
    if located:
        branches.append(_branch({"kind": {"const": "question"}, "question": {"enum": located}, "targets": named}))
    if others:
        branches.append(_branch({"kind": {"const": "question"}, "question": {"enum": others}, "targets": optional}))
    branches.append(_branch({"kind": {"enum": plain}, "targets": none}))
    return {"anyOf": branches}


def _branch(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def allowed_targets(schema: dict[str, Any]) -> list[str]:
    """The object names a schema from `intent_schema` lets through (its first branch is "go")."""
    return list(schema["anyOf"][0]["properties"]["targets"].get("items", {}).get("enum", []))


def named_targets(schema: dict[str, Any]) -> list[str]:
    """Every object name any branch of a schema from `intent_schema` lets through: those a question
    may ask about, forbidden ones included."""
    names: list[str] = []
    for branch in schema["anyOf"]:
        names += [n for n in branch["properties"]["targets"].get("items", {}).get("enum", []) if n not in names]
    return names


def allowed_kinds(schema: dict[str, Any]) -> set[str]:
    """The intent kinds a schema from `intent_schema` lets through."""
    kinds: set[str] = set()
    for branch in schema["anyOf"]:
        kind = branch["properties"]["kind"]
        kinds.update([kind["const"]] if "const" in kind else kind["enum"])
    return kinds
