"""Reading a world's facts (the dict every observation comes with) as words: a caption stored
with each memory, the things in view, a one-line description of where everything is."""

from __future__ import annotations

from typing import Any


def caption(facts: dict[str, Any]) -> str:
    """A short, factual sentence about one observation, stored with the memory."""
    if "room" in facts:
        parts = [f"in the {facts['room']} room at ({facts['agent'][0]:.0f}, {facts['agent'][1]:.0f})"]
        if facts.get("visible"):
            parts.append("seeing " + ", ".join(facts["visible"]))
        if facts.get("near"):
            parts.append("next to " + ", ".join(facts["near"]))
    else:
        parts = ["watching " + (", ".join(seen_in(facts)) or "an empty box")]
        parts += facts.get("contacts", [])
    parts += [f"{e['event'].replace('_', ' ')} of the {e['target']}" for e in facts.get("events", [])]
    return "; ".join(parts)


def seen_in(facts: dict[str, Any]) -> list[str]:
    """Names of the things in view: landmarks in line of sight, or balls not hidden."""
    if "visible" in facts:
        return list(facts["visible"])
    return [name for name, ball in facts.get("balls", {}).items() if ball["present"] and not ball["hidden"]]


def describe(facts: dict[str, Any]) -> str:
    """One line on where things are now: the agent and the objects (tworooms), or each ball and
    whether it is in view, hidden behind the occluder or gone (bounce)."""
    if "room" in facts:
        objects = ", ".join(f"{n} ({o['room']})" for n, o in facts.get("objects", {}).items())
        return (
            f"step {facts.get('step')}: agent at {facts.get('agent')} in the {facts.get('room')} room; "
            f"objects: {objects or 'none'}"
        )
    balls = []
    for name, ball in facts.get("balls", {}).items():
        x, y = ball["position"]
        where = "gone" if not ball["present"] else "behind the occluder" if ball["hidden"] else "in view"
        balls.append(f"{name} at ({x:.0f}, {y:.0f}) {where}")
    return f"step {facts.get('step')}: {'; '.join(balls) or 'no balls'}"
