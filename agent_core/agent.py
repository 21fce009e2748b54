"""The agent loop: observe -> encode -> surprise -> remember -> (goal) -> plan -> act -> report.

The agent owns no learning and no language: it asks the world model what it sees and expects,
the memory what it remembers, the planner how to reach a goal, and the language layer what the
user means and how to say what happened. Goals resolve through memory: an object seen before is
reached by planning to where it was seen; one never seen is searched for first.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from agent_core.broca import Broca
from agent_core.errors import AgentInputError
from agent_core.exchange import DEFAULT_WAIT, MAX_WAIT, Planner, Request
from agent_core.perception import Perception
from agent_core.reports import StepReport, TurnResult
from agent_core.worlds import WorldEnv, object_names
from agent_core.worlds.events import Event
from agent_core.worlds.facts import caption, seen_in
from memory import MemoryFilter, MemoryRecord, MemoryStore

StepCallback = Callable[[StepReport], None]
TokenCallback = Callable[[str], None]
SURPRISE_HISTORY_ON_RESUME = 60  # steps of the surprise curve restored from memory on resume
CONFIRMING = "yes"  # the only answer that confirms deleting memories; anything else cancels


class Agent:
    def __init__(
        self,
        world: WorldEnv,
        perception: Perception,
        planner: Planner | None,
        memory: MemoryStore,
        language: Broca,
        *,
        namespace: str,
        seed: int,
        surprise_threshold: float,
        span: int = 1,
        max_steps: int = 120,
        replan_every: int = 2,
    ) -> None:
        self.world = world
        self.perception = perception
        self.planner = planner
        self.memory = memory
        self.language = language
        self.namespace = namespace
        self.seed = seed
        self.surprise_threshold = surprise_threshold
        self.max_steps = max_steps
        self.replan_every = replan_every
        # Enough recent steps to judge a surprise: the predictor's history and a window after it.
        self.latents: deque[np.ndarray] = deque(maxlen=span)
        self.actions: deque[np.ndarray] = deque(maxlen=span)
        self.surprise_history: list[float] = []
        self._warming_up: threading.Thread | None = None
        self.pending_confirmation: Request | None = None
        self.last_plan_record: dict[str, Any] | None = None
        self._stop = False
        self._turn_started = time.perf_counter()
        self.frame, self.facts = world.reset(seed=seed)
        self.episode = 0
        self._resume_or_begin()

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def world_name(self) -> str:
        return self.world.world_name

    def _resume_or_begin(self) -> None:
        """Continue the namespace's last episode in this world where it stopped, or start one."""
        last = self.memory.last_episode()
        if last is not None and last[1] == self.world_name and last[2] == self.seed:
            recent = self.memory.browse(MemoryFilter(episode=last[0]), limit=SURPRISE_HISTORY_ON_RESUME)
            if recent:
                self.frame = self.world.restore(recent[0].facts)
                self.facts = self.world.facts()
                for memory in reversed(recent[: self.perception.span]):  # history and window, as they were
                    self._remember_latent(memory.latent)
                    if memory.action:
                        self.actions.append(np.asarray(memory.action, dtype=np.float32))
                self.surprise_history = [m.surprise for m in reversed(recent) if m.surprise is not None]
                self.episode = last[0]
                return
        self.episode = self.memory.begin_episode(self.world_name, self.seed)
        self._observe(self.frame, self.facts, action=None)

    def reset(self) -> None:
        """A new episode in the same world and seed; memories and chat history stay."""
        self.pending_confirmation = None
        self.memory.end_episode(self.episode)
        self.latents.clear()
        self.actions.clear()
        self.frame, self.facts = self.world.reset(seed=self.seed)
        self.episode = self.memory.begin_episode(self.world_name, self.seed)
        self._observe(self.frame, self.facts, action=None)

    def _forget_all(self) -> int:
        """Delete every memory, episode and chat turn of the namespace, and go on in a new episode
        where the world is now: the current one was deleted with the rest, and so is what the agent
        kept of it (its predictor history, its surprise curve, its last plan)."""
        count = self.memory.forget_all()
        self.latents.clear()
        self.actions.clear()
        self.surprise_history.clear()
        self.last_plan_record = None
        self.episode = self.memory.begin_episode(self.world_name, self.seed)
        return count

    def close(self) -> None:
        """Wait for a warm-up still inside llama.cpp (leaving under it crashes the interpreter), then
        persist memory."""
        if self._warming_up is not None:
            self._warming_up.join()
        self.memory.close()

    def request_stop(self) -> None:
        """Ask the current action to end after the step in progress (Ctrl-C in the chat)."""
        self._stop = True

    # -- perception and memory -----------------------------------------------------------
    def _remember_latent(self, latent: np.ndarray) -> None:
        self.latents.append(latent)

    def _observe(
        self,
        frame: np.ndarray,
        facts: dict[str, Any],
        action: np.ndarray | None,
        imagined: list[tuple[float, float]] | None = None,
    ) -> StepReport:
        latent = self.perception.encode(frame)
        surprise = None
        if action is not None:
            self.actions.append(action)
            if self.perception.can_judge(len(self.latents)):
                surprise = self.perception.surprise(np.stack(list(self.latents)), np.stack(list(self.actions)), latent)
                self.surprise_history.append(surprise)
        self._remember_latent(latent)
        action_list = [] if action is None else [float(a) for a in action]
        memory_id = self.memory.remember(
            self.episode, int(facts["step"]), action_list, latent, caption(facts), facts, surprise, seen_in(facts)
        )
        self.frame, self.facts = frame, facts
        return StepReport(
            step=int(facts["step"]),
            frame=frame,
            facts=facts,
            action=action_list,
            surprise=surprise,
            surprising=surprise is not None and surprise > self.surprise_threshold,
            memory_id=memory_id,
            imagined=imagined or [],
        )

    def _step(
        self,
        block: np.ndarray,
        on_step: StepCallback | None,
        imagined: list[tuple[float, float]] | None = None,
    ) -> StepReport:
        """One model step: the block's primitive actions in the world, then one observation."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        events: list[dict[str, Any]] = []
        for primitive in block.reshape(self.frameskip, -1):
            frame, _, _, _, facts = self.world.step(primitive)
            events += facts["events"]
        facts = {**facts, "events": events}
        report = self._observe(frame, facts, block, imagined)
        if on_step:
            on_step(report)
        return report

    @property
    def frameskip(self) -> int:
        return self.perception.frameskip

    @property
    def _primitive_shape(self) -> tuple[int, ...]:
        return tuple(self.world.action_space.shape or (0,))

    @property
    def _zero_action(self) -> np.ndarray:
        """A do-nothing action block."""
        return np.zeros(int(np.prod(self._primitive_shape)) * self.frameskip, dtype=np.float32)

    # -- direct control (replay scripts, /inject) ---------------------------------------
    def act(self, action: list[float], repeat: int = 1, on_step: StepCallback | None = None) -> TurnResult:
        array = np.asarray(action, dtype=np.float32)
        if array.shape != self._primitive_shape or not np.all(np.isfinite(array)):
            raise AgentInputError(
                f"{self.world_name} actions are {list(self._primitive_shape)} finite numbers, got {action!r}"
            )
        self.pending_confirmation = None  # a question to confirm is answered by the next turn only
        turn = TurnResult(text=f"action {action} x{repeat}")
        block = np.tile(array, self.frameskip)
        turn.steps = [self._step(block, on_step) for _ in range(repeat)]
        turn.reply = self._verbalize({"kind": "moved", "steps": repeat, "room": self.facts.get("room")}, None)
        return turn

    def wait(self, steps: int, on_step: StepCallback | None = None) -> TurnResult:
        """Let `steps` steps pass doing nothing (fewer if asked to stop), watching for surprises."""
        self.pending_confirmation = None
        turn = TurnResult(text=f"wait {steps}")
        turn.reply = self._verbalize(self._watch(steps, turn, on_step), None)
        return turn

    def _watch(self, steps: int, turn: TurnResult, on_step: StepCallback | None) -> dict[str, Any]:
        """Do nothing for up to `steps` steps (fewer if asked to stop); the record says how long,
        or what surprised."""
        self._stop = False
        while len(turn.steps) < steps and not self._stop:
            turn.steps.append(self._step(self._zero_action, on_step))
        return self._surprise_record(turn.steps) or {"kind": "waited", "steps": len(turn.steps)}

    def inject(
        self,
        event: str,
        target: str | None = None,
        on_step: StepCallback | None = None,
        on_token: TokenCallback | None = None,
    ) -> TurnResult:
        """Make the world do something impossible, then watch until what the agent imagined just
        before it has been judged against what followed (a surprise window)."""
        self.pending_confirmation = None
        record = self.world.inject(Event.parse(event), target)
        turn = TurnResult(text=f"inject {record.event.value}" + (f" on {target}" if target else ""))
        said = self._watch(self.perception.window, turn, on_step)
        if said["kind"] == "waited":
            said = {
                # No surprise is computed until the predictor has seen enough steps of the episode.
                "kind": "event_unnoticed" if turn.steps and turn.steps[-1].surprise is not None else "event_too_early",
                "event": record.event.value,
                "object": record.target,
            }
        turn.reply = self._verbalize(said, on_token)
        return turn

    def _surprise_record(self, steps: list[StepReport]) -> dict[str, Any] | None:
        """The most surprising of `steps` above the alert threshold, or None."""
        alerts = [s for s in steps if s.surprising]
        if not alerts:
            return None
        peak = max(alerts, key=lambda s: s.surprise or 0.0)
        return {
            "kind": "surprise",
            "step": peak.step,
            "surprise": round(peak.surprise or 0, 2),
            "threshold": round(self.surprise_threshold, 2),
            "events": self._events_judged(self.episode, peak.step),
        }

    def _events_judged(self, episode: int, step: int) -> list[str]:
        """What the world did (injected events) in the window a surprise at `step` judged: the
        steps after the imagination it tested, up to `step`."""
        first = step - (self.perception.window - 1) * self.frameskip
        judged = self.memory.browse(MemoryFilter(episode=episode, steps=(first, step)), limit=self.perception.window)
        return [e["event"] for memory in reversed(judged) for e in memory.facts.get("events", [])]

    # -- language ------------------------------------------------------------------------
    @property
    def vocabulary(self) -> list[str]:
        return object_names(self.facts)

    def warm_up(self) -> threading.Thread:
        """Get the language model ready in the background while the user reads the screen."""
        self._warming_up = self.language.warm_up(self.vocabulary)
        return self._warming_up

    def _verbalize(self, record: dict[str, Any], on_token: TokenCallback | None) -> str:
        return self.language.verbalize(record, on_token)

    def chat_history(self, limit: int = 20) -> list[dict[str, str]]:
        return self.memory.chat_history(limit)

    def recent_memories(self, limit: int = 8) -> list[dict[str, Any]]:
        return [m.to_dict() for m in self.memory.recent(limit)]

    def say(self, text: str, on_step: StepCallback | None = None, on_token: TokenCallback | None = None) -> TurnResult:
        """Understand `text`, do or answer what it asks, and say what happened."""
        self._stop = False
        turn = TurnResult(text=text)
        started = self._turn_started = time.perf_counter()
        pending, self.pending_confirmation = self.pending_confirmation, None
        if pending is not None and text.strip().lower() != CONFIRMING:
            request = None  # the question to confirm was not answered "yes": nothing else is done
            turn.intent = {"kind": pending.kind, "cancelled": True}
        else:
            request = (
                self.language.understand(text, self.vocabulary) if pending is None else replace(pending, confirmed=True)
            )
            turn.intent = {"kind": request.kind, **request.raw}
        turn.timings_ms["parse"] = (time.perf_counter() - started) * 1000
        self.memory.add_chat_turn("user", text)
        if request is None:
            record = {"kind": "cancelled", "count": self.memory.count(), "namespace": self.namespace}
        else:
            record = self._carry_out(request, turn, on_step)
        started = time.perf_counter()
        turn.reply = self._verbalize(record, on_token)
        turn.timings_ms["verbalize"] = (time.perf_counter() - started) * 1000
        self.memory.add_chat_turn("agent", turn.reply)
        return turn

    ask = say  # questions and commands take the same path; the intent decides

    def _carry_out(self, request: Request, turn: TurnResult, on_step: StepCallback | None) -> dict[str, Any]:
        if request.kind == "go":
            return self._go(request.targets, turn, on_step)
        if request.kind == "explore":
            return self._explore(turn, on_step)
        if request.kind == "wait":
            if (request.steps or 0) > MAX_WAIT:  # a chat turn must not hold the user long
                return {"kind": "clarify", "message": f"I can wait at most {MAX_WAIT} steps at a time."}
            return self._watch(request.steps or DEFAULT_WAIT, turn, on_step)
        if request.kind == "question":
            return self._answer(request, turn)
        if request.kind == "forget":
            if not request.confirmed:
                self.pending_confirmation = request
                return {"kind": "confirm", "count": self.memory.count(), "namespace": self.namespace}
            return {"kind": "forgotten", "count": self._forget_all()}
        if request.kind in {"clarify", "reject"}:
            return {"kind": request.kind, "message": request.message}
        if request.kind == "stop":
            return {"kind": "stopped"}
        if request.kind == "status":
            return {
                "kind": "status",
                "room": self.facts.get("room"),
                "step": self.facts.get("step"),
                "near": self.facts.get("near", []),
            }
        return {"kind": "help", "objects": self.vocabulary}

    # -- acting --------------------------------------------------------------------------
    def _goal_position(self, target: str) -> tuple[np.ndarray, MemoryRecord | None]:
        """Where `target` is: where it is seen now, else where it was last seen (a memory).

        Positions come from the observation's facts: the small CPU model's latent does not
        hold the small landmarks linearly, so its object probes cannot be navigated by.
        """
        if target in self.facts.get("visible", []):
            return np.asarray(self.facts["objects"][target]["position"], dtype=np.float64), None
        seen = self.memory.last_seen(target)
        if seen is None:
            raise LookupError(target)
        return np.asarray(seen.facts["objects"][target]["position"], dtype=np.float64), seen

    def _go(self, targets: list[str], turn: TurnResult, on_step: StepCallback | None) -> dict[str, Any]:
        if self.planner is None:
            return {"kind": "cannot_move", "world": self.world_name}
        visited: list[str] = []
        for target in targets:
            started = time.perf_counter()
            try:
                goal, seen = self._goal_position(target)
            except LookupError:
                self._explore(turn, on_step, looking_for=target)
                if target not in self.facts.get("visible", []):
                    turn.reached = False
                    return {"kind": "not_found", "object": target, "steps": len(turn.steps)}
                goal, seen = self._goal_position(target)
            if seen is not None:
                turn.memories_used.append(seen.to_dict())
            turn.closest_distance = None
            turn.timings_ms["resolve"] = turn.timings_ms.get("resolve", 0.0) + (time.perf_counter() - started) * 1000

            def near_target(name: str = target) -> bool:
                distance = self._distance_to(name)
                if distance is not None:
                    best = turn.closest_distance
                    turn.closest_distance = distance if best is None else min(best, distance)
                return name in self.facts.get("near", [])

            if not self._travel(goal, turn, on_step, near_target):
                distance = turn.closest_distance
                turn.reached = False
                return {
                    "kind": "not_reached",
                    "object": target,
                    "steps": len(turn.steps),
                    "distance": None if distance is None else round(distance, 1),
                    "visited": visited,
                }
            visited.append(target)
        turn.reached = True
        return {"kind": "reached", "objects": visited, "steps": len(turn.steps), "room": self.facts.get("room")}

    def _distance_to(self, target: str) -> float | None:
        obj = self.facts.get("objects", {}).get(target)
        if obj is None:
            return None
        return float(np.linalg.norm(np.subtract(obj["position"], self.facts["agent"])))

    def _waypoints(self, goal: np.ndarray) -> list[np.ndarray]:
        """Subgoals through the door when the goal lies in the other room.

        The latent planner's cost is a straight-line distance, which has a local minimum at
        the wall; the door (a fact the world exposes) splits the trip into reachable legs.
        """
        door = self.facts.get("door")
        if door is None or (self.facts["agent"][0] < door["x"]) == (goal[0] < door["x"]):
            return [goal]
        side = -1.0 if self.facts["agent"][0] < door["x"] else 1.0
        middle = (door["y0"] + door["y1"]) / 2
        return [np.array([door["x"] + side * 6, middle]), np.array([door["x"] - side * 6, middle]), goal]

    def _travel(
        self,
        goal: np.ndarray,
        turn: TurnResult,
        on_step: StepCallback | None,
        done: Callable[[], bool],
        budget: int | None = None,
    ) -> bool:
        """Visit the waypoints to `goal`; True as soon as `done()` holds."""
        budget = self.max_steps if budget is None else budget
        start = len(turn.steps)
        for waypoint in self._waypoints(goal):
            is_last = waypoint is goal

            def arrived(point: np.ndarray = waypoint, last: bool = is_last) -> bool:
                if done():
                    return True
                return not last and bool(np.linalg.norm(point - np.asarray(self.facts["agent"])) < 3.0)

            left = budget - (len(turn.steps) - start)
            if not self._move_to(waypoint, turn, on_step, arrived, left) and not done():
                return False
            if done():
                return True
        return done()

    def _move_to(
        self, goal: np.ndarray, turn: TurnResult, on_step: StepCallback | None, done: Callable[[], bool], budget: int
    ) -> bool:
        """Model-predictive control: plan, execute the first actions, observe, replan."""
        assert self.planner is not None
        taken = 0
        while taken < budget and not self._stop:
            started = time.perf_counter()
            history = np.stack(list(self.latents))
            actions = np.stack(list(self.actions)) if self.actions else np.zeros((0, *self._zero_action.shape))
            plan = self.planner.plan(history, actions[-len(history) :], goal)
            turn.timings_ms["plan"] = turn.timings_ms.get("plan", 0.0) + (time.perf_counter() - started) * 1000
            self.last_plan_record = {
                "goal": goal.round(1).tolist(),
                "cost": round(plan.cost, 3),
                "horizon": len(plan.actions),
            }
            for action in plan.actions[: self.replan_every]:
                started = time.perf_counter()
                turn.steps.append(self._step(action, on_step, plan.imagined))
                if "first_action" not in turn.timings_ms:
                    turn.timings_ms["first_action"] = (time.perf_counter() - self._turn_started) * 1000
                turn.timings_ms["act"] = turn.timings_ms.get("act", 0.0) + (time.perf_counter() - started) * 1000
                taken += 1
                if done():
                    return True
                if self._stop or taken >= budget:
                    break
        return False

    def _explore(
        self, turn: TurnResult, on_step: StepCallback | None, looking_for: str | None = None
    ) -> dict[str, Any]:
        """Cross to the other room, stopping as soon as `looking_for` comes into view."""
        if self.planner is None:
            return {"kind": "cannot_move", "world": self.world_name}
        agent = np.asarray(self.facts["agent"], dtype=np.float64)
        goal = np.array([64.0 - agent[0], agent[1]])

        def found() -> bool:
            return looking_for is not None and looking_for in self.facts.get("visible", [])

        if not found():
            self._travel(goal, turn, on_step, found)
        return {
            "kind": "explored",
            "steps": len(turn.steps),
            "room": self.facts.get("room"),
            "seeing": self.facts.get("visible", []),
        }

    # -- answering -----------------------------------------------------------------------
    def _answer(self, request: Request, turn: TurnResult) -> dict[str, Any]:
        kind = request.question
        if kind == "where" and request.targets:
            target = request.targets[0]
            seen = self.memory.last_seen(target)
            if seen is None:
                return {"kind": "never_seen", "object": target}
            turn.memories_used = [seen.to_dict()]
            where = seen.facts["objects"][target]
            return {
                "kind": "last_seen",
                "object": target,
                "room": where["room"],
                "step": seen.step,
                "position": [round(v) for v in where["position"]],
                "memory_id": seen.id,
            }
        if kind == "surprise":
            top = self.memory.most_surprising(3)
            turn.memories_used = [m.to_dict() for m in top]
            return {
                "kind": "surprises",
                "moments": [
                    {
                        "step": m.step,
                        "surprise": None if m.surprise is None else round(m.surprise, 2),
                        "caption": m.caption,
                        "events": self._events_judged(m.episode, m.step),
                    }
                    for m in top
                ],
            }
        if kind == "why":
            return {"kind": "why", "plan": self.last_plan_record}
        recent = self.memory.recent(5)
        turn.memories_used = [m.to_dict() for m in recent]
        return {
            "kind": "recent",
            "moments": [{"step": m.step, "caption": m.caption} for m in recent],
        }
