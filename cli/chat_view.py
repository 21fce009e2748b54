"""The chat screen: world (half-block pixels) with the imagined plan, side panel, conversation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent_core.ball_readout import Glimpse
from agent_core.perception_heads import Percept
from agent_core.worlds.drawing import shape_mask, stamp
from agent_core.worlds.facts import seen_in
from cli.safe_text import printable, shown
from cli.terminal_frames import frame_to_text

PLAN_COLOR = (250, 200, 40)
SPARK = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def overlay_plan(frame: np.ndarray, imagined: Sequence[tuple[float, float]]) -> np.ndarray:
    """The frame with the agent's imagined future positions drawn as small dots."""
    drawn = frame.copy()
    dot = shape_mask("square", 0)
    for position in imagined:
        stamp(drawn, dot, position, PLAN_COLOR)
    return drawn


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """Unicode bars for the last `width` values, scaled to their maximum."""
    recent = [v for v in values if v is not None][-width:]
    if not recent:
        return ""
    top = max(recent) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1)))] for v in recent)


def where_line(facts: dict[str, Any]) -> str:
    """The world's truth in one line: the agent's room and what it is next to (tworooms), or the
    balls in view (bounce)."""
    if "room" in facts:
        return f"room: {facts['room']}   near: {', '.join(facts.get('near', [])) or '-'}"
    return f"in view: {', '.join(seen_in(facts)) or '-'}"


def perceived_lines(percept: Percept | Glimpse) -> str:
    """What the agent perceives, each reading with its confidence: the objects it believes in view
    and where, and in tworooms its room, where it is (with the heads' spread) and what it believes
    it is next to. This is what it decides on, and it may differ from the truth (`/world` shows both)."""
    seen = ", ".join(
        f"{name} {percept.objects[name].in_view:.0%} at "
        f"({percept.objects[name].position[0]:.0f}, {percept.objects[name].position[1]:.0f})"
        for name in percept.in_view()
    )
    if isinstance(percept, Glimpse):
        return f"perceived: {seen or 'no ball in view'}"
    return (
        f"perceived: {percept.room} room ({percept.room_confidence:.0%}), "
        f"at ({percept.agent[0]:.0f}, {percept.agent[1]:.0f}) \u00b1{percept.agent_spread:.1f} px\n"
        f"sees: {seen or '-'}   near: {', '.join(percept.near()) or '-'}"
    )


def disagreements(percept: Percept | Glimpse, facts: dict[str, Any]) -> list[str]:
    """Where perception and the world's truth differ: room, objects in view, objects next to."""
    differ = []
    believed_near = [] if isinstance(percept, Glimpse) else percept.near()
    if isinstance(percept, Percept) and "room" in facts and facts["room"] != percept.room:
        differ.append(f"room perceived {percept.room}, truly {facts['room']}")
    for label, believed, true in (
        ("in view", percept.in_view(), seen_in(facts)),
        ("next to", believed_near, facts.get("near", [])),
    ):
        missed, imagined = sorted(set(true) - set(believed)), sorted(set(believed) - set(true))
        differ += [f"{name}: truly {label}, not perceived" for name in missed]
        differ += [f"{name}: perceived {label}, truly not" for name in imagined]
    return differ


def memory_table(memories: Sequence[dict[str, Any]]) -> Table:
    table = Table("step", "memory", "surprise", box=None, padding=(0, 1), expand=True)
    for memory in memories:
        surprise = memory.get("surprise")
        table.add_row(
            str(memory.get("step", "")),
            shown(memory.get("caption", "")),
            "" if surprise is None else f"{surprise:.2f}",
        )
    return table


def conversation_text(turns: Sequence[tuple[str, str]], limit: int = 8) -> Text:
    text = Text()
    for role, line in list(turns)[-limit:]:
        style = "bold cyan" if role == "user" else "green" if role == "agent" else "dim"
        text.append(f"{role}: ", style=style)
        text.append(f"{printable(line)}\n")
    return text


def screen(
    frame: np.ndarray,
    imagined: Sequence[tuple[float, float]],
    facts: dict[str, Any],
    percept: Percept | Glimpse | None,
    memories: Sequence[dict[str, Any]],
    surprise: Sequence[float],
    threshold: float,
    turns: Sequence[tuple[str, str]],
) -> RenderableType:
    """The whole chat screen for one moment. The side panel shows what the agent perceives; a world
    it perceives only as latents (a gymnasium env) shows its truth, labelled as such."""
    world = Panel(
        frame_to_text(overlay_plan(frame, imagined)),
        title=f"world · step {facts.get('step', 0)}",
        width=68,
    )
    latest = surprise[-1] if surprise else None
    status = Text((perceived_lines(percept) if percept is not None else "truth: " + where_line(facts)) + "\n")
    status.append(f"surprise: {'-' if latest is None else f'{latest:.2f}'} (alert > {threshold:.2f})\n")
    status.append(sparkline(surprise), style="magenta")
    side = Panel(Group(status, memory_table(memories)), title="memory · surprise")
    top = Layout()
    top.split_row(Layout(world, size=68), Layout(side))
    root = Layout()
    root.split_column(Layout(top, size=35), Layout(Panel(conversation_text(turns), title="conversation")))
    return root
