"""The agent loop: observe -> encode -> surprise -> remember -> (goal) -> plan -> act -> report.

The agent owns no learning and no language: it asks the world model what it sees and expects,
the memory what it remembers, the planner how to reach a goal, and the language layer what the
user means and how to say what happened. Goals resolve through perception and memory: an object
in view is reached by planning to where the agent perceives it, one seen before by planning to
where a memory's caption says it was perceived, one never seen is searched for first, and a
named place (or the start) by planning to that remembered moment.

Nothing here reads the world's facts to decide. They arrive with each step and are handed on,
untouched, to be stored beside the memory as ground truth (`agent_core.perceived.for_storage`);
`self.facts` keeps the latest for the front-ends' views of the truth only.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from agent_core import outcomes
from agent_core.answering import answer_without_world, events_in_window, heard, reply_to
from agent_core.ball_readout import Glimpse
from agent_core.broca import Broca
from agent_core.errors import AgentInputError
from agent_core.exchange import DEFAULT_WAIT, MAX_WAIT, Request
from agent_core.navigation import Destination, Navigator, distance
from agent_core.perceived import (
    START,
    for_storage,
    glimpse_caption,
    merged_for_storage,
    nameable,
    named_places,
    perceived_caption,
    read_caption,
)
from agent_core.perception import Perception
from agent_core.perception_heads import Percept
from agent_core.reports import StepReport, TurnResult
from agent_core.worlds import WorldEnv
from agent_core.worlds.events import Event
from memory import MemoryFilter, MemoryRecord, MemoryStore

StepCallback = Callable[[StepReport], None]
TokenCallback = Callable[[str], None]
SURPRISE_HISTORY_ON_RESUME = 60  # steps of the surprise curve restored from memory on resume
CONFIRMING = "yes"  # the only answer that confirms deleting memories; anything else cancels
REACH_PX = 5.0  # an object is reached when perceived this close (the world's "next to" is 6 px)
LOCATE_PX = 8.0  # an object's seen position is trusted from further away than this
# Read from closer, an object's keypoint reads the gap up to 2.4 px short (dev layouts 8,100,000-
# 8,100,299, objects 6-8 px away; 0.8 px when the position was read from afar): the gap to reach then.
REACH_CLOSE_READING_PX = 3.5
SIGHTINGS = 50  # recent memories that saw an object, searched for one that located it from afar
STUCK_STEPS = 10  # model steps without 1 px of progress that make the agent wander a little
WANDER_CHUNK = 6  # model steps of wandering when stuck


class Agent:
    def __init__(
        self,
        world: WorldEnv,
        perception: Perception,
        planner: Navigator | None,
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
        self.percept: Percept | None = None
        self.glimpse: Glimpse | None = None  # what it perceives of a world it only watches (bounce)
        self._places: list[str] | None = None
        self._told: list[str] = []  # events the user injected, for the next memory's caption
        self.step_count = 0  # env steps of the episode, counted by the agent itself
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
                # The simulator is put back where the episode stopped (the world's persistence,
                # not the agent's knowledge); the agent perceives it afresh.
                self.frame = self.world.restore(recent[0].facts)
                self.facts = self.world.facts()
                self.step_count = recent[0].step
                latent, self.percept = self.perception.perceive(self.frame)
                self.glimpse = self.perception.glimpse(latent)
                self._recall_ground(last[0])
                for memory in reversed(recent[: self.perception.span]):  # history and window, as they were
                    self._remember_latent(memory.latent)
                    if memory.action:
                        self.actions.append(np.asarray(memory.action, dtype=np.float32))
                self.surprise_history = [m.surprise for m in reversed(recent) if m.surprise is not None]
                self.episode = last[0]
                return
        self._begin_episode()

    def _begin_episode(self) -> None:
        self.episode = self.memory.begin_episode(self.world_name, self.seed)
        self.step_count = 0
        if self.planner is not None:
            self.planner.lost_track()
        self._observe(self.frame, self.facts, action=None, names=[START])

    def _recall_ground(self, episode: int) -> None:
        """Rebuild the experience map from where the episode's memories perceived the agent."""
        if self.planner is None:
            return
        for memory in reversed(self.memory.browse(MemoryFilter(episode=episode), limit=100_000)):
            reading = read_caption(memory.caption)
            if reading is not None:
                self.planner.walked(np.asarray(reading.agent))
        self.planner.lost_track()

    def reset(self) -> None:
        """A new episode in the same world and seed; memories and chat history stay."""
        self.pending_confirmation = None
        self.memory.end_episode(self.episode)
        self.latents.clear()
        self.actions.clear()
        self.frame, self.facts = self.world.reset(seed=self.seed)
        self._begin_episode()

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
        facts: Any,
        action: np.ndarray | None,
        imagined: list[tuple[float, float]] | None = None,
        names: list[str] | None = None,
        stored: dict[str, Any] | None = None,
    ) -> StepReport:
        """Perceive `frame`, judge the surprise, remember. `facts` (the world's, as it handed them
        over) are only passed on to storage: `stored` when the step merged several of them."""
        latent, percept = self.perception.perceive(frame)
        surprise = None
        if action is not None:
            self.actions.append(action)
            if self.perception.can_judge(len(self.latents)):
                surprise = self.perception.surprise(np.stack(list(self.latents)), np.stack(list(self.actions)), latent)
                self.surprise_history.append(surprise)
        self._remember_latent(latent)
        action_list = [] if action is None else [float(a) for a in action]
        truth = stored if stored is not None else for_storage(facts)
        glimpse = self.perception.glimpse(latent)
        if percept is not None:
            text, seen = perceived_caption(percept, names), percept.in_view() + list(names or [])
            if self.planner is not None:
                self.planner.perceived(percept)
        else:  # a watched world (bounce), or one perceived only as latents (a gymnasium env)
            text, seen = glimpse_caption(glimpse, names), (glimpse.in_view() if glimpse else []) + list(names or [])
        text = "; ".join([text, *self._told])  # what the user made the world do (/inject), once
        self._told = []
        memory_id = self.memory.remember(
            self.episode, self.step_count, action_list, latent, text, truth, surprise, seen
        )
        self.frame, self.facts, self.percept, self.glimpse = frame, facts, percept, glimpse
        return StepReport(
            step=self.step_count,
            frame=frame,
            facts=truth,
            action=action_list,
            surprise=surprise,
            surprising=surprise is not None and surprise > self.surprise_threshold,
            memory_id=memory_id,
            imagined=imagined or [],
            percept=percept,
        )

    def _step(
        self,
        block: np.ndarray,
        on_step: StepCallback | None,
        imagined: list[tuple[float, float]] | None = None,
    ) -> StepReport:
        """One model step: the block's primitive actions in the world, then one observation."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        per_env_step = []
        for primitive in block.reshape(self.frameskip, -1):
            frame, _, _, _, facts = self.world.step(primitive)
            per_env_step.append(facts)
            self.step_count += 1
        report = self._observe(frame, per_env_step[-1], block, imagined, stored=merged_for_storage(per_env_step))
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
        turn.reply = self._verbalize(outcomes.Moved(repeat, self._room).record(), None)
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
        self._told = [f"{record.event.value.replace('_', ' ')} of the {record.target}"]
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
        """The injected events a surprise at `step` judged (`answering.events_in_window`)."""
        return events_in_window(self.memory, self.perception.window, self.frameskip, episode, step)

    # -- language ------------------------------------------------------------------------
    @property
    def vocabulary(self) -> list[str]:
        """What the user can name: the objects perception knows, and the places named so far."""
        return nameable(self.perception.object_names, self.places())

    def places(self) -> list[str]:
        """Names the user gave to moments of this namespace, and the start."""
        if self._places is None:
            self._places = named_places(self.memory)
        return list(self._places)

    @property
    def _room(self) -> str | None:
        return None if self.percept is None else self.percept.room

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
        started = time.perf_counter()
        pending, self.pending_confirmation = self.pending_confirmation, None
        if pending is None:
            request: Request | None = self.language.understand(text, self.vocabulary)
        elif text.strip().lower() == CONFIRMING:
            request = replace(pending, confirmed=True)
        else:
            request = None  # the question to confirm was not answered "yes": nothing else is done
        return self.respond(text, request, started, on_step, on_token)

    def respond(
        self,
        text: str,
        request: Request | None,
        started: float | None = None,
        on_step: StepCallback | None = None,
        on_token: TokenCallback | None = None,
    ) -> TurnResult:
        """Do or answer what `request` (understood from `text` since `started`) asks, and say what
        happened; None cancels the forgetting that waited for a "yes"."""
        self._stop = False
        self._turn_started = time.perf_counter() if started is None else started
        turn = heard(text, request, self._turn_started, self.memory)
        if request is None:
            record = {"kind": "cancelled", "count": self.memory.count(), "namespace": self.namespace}
        else:
            record = self._carry_out(request, turn, on_step)
        return reply_to(turn, record, self.language, self.memory, on_token)

    ask = say  # questions and commands take the same path; the intent decides

    def _carry_out(self, request: Request, turn: TurnResult, on_step: StepCallback | None) -> dict[str, Any]:
        return self._outcome(request, turn, on_step).record()

    def _outcome(self, request: Request, turn: TurnResult, on_step: StepCallback | None) -> outcomes.Outcome:
        if request.kind == "go":
            return self._go(request.targets, turn, on_step)
        if request.kind == "explore":
            return self._explore(turn, on_step)
        if request.kind == "name":
            return self.name_place(request.targets[0])
        if request.kind == "wait":
            if (request.steps or 0) > MAX_WAIT:  # a chat turn must not hold the user long
                return outcomes.Message("clarify", f"I can wait at most {MAX_WAIT} steps at a time.")
            said = self._watch(request.steps or DEFAULT_WAIT, turn, on_step)
            if said["kind"] == "surprise":
                return outcomes.SurpriseAlert(said["step"], said["surprise"], said["threshold"], said["events"])
            return outcomes.Waited(said["steps"])
        if request.kind == "forget":
            if not request.confirmed:
                self.pending_confirmation = request
                return outcomes.Counted("confirm", self.memory.count(), self.namespace)
            return outcomes.Counted("forgotten", self._forget_all())
        if request.kind == "status":
            return outcomes.Status(self._room, self.step_count, [] if self.percept is None else self.percept.near())
        answered = answer_without_world(
            request, self.memory, self._cite(turn), self._events_judged, self.last_plan_record, self.vocabulary
        )
        assert answered is not None, f"no outcome for a {request.kind!r} request"
        return answered

    @staticmethod
    def _cite(turn: TurnResult) -> Callable[[list[MemoryRecord]], None]:
        def cite(memories: list[MemoryRecord]) -> None:
            turn.memories_used = [m.to_dict() for m in memories]

        return cite

    # -- places ----------------------------------------------------------------------------
    def name_place(self, name: str) -> outcomes.Outcome:
        """Give the current moment a name: a memory of it whose caption and sightings carry the name."""
        name = name.strip().lower()
        latent = self.latents[-1]
        if self.percept is None:
            return outcomes.Message("clarify", "I cannot tell where I am in this world, so I cannot name places.")
        text = perceived_caption(self.percept, [name])
        memory_id = self.memory.remember(
            self.episode,
            self.step_count,
            [],
            latent,
            text,
            for_storage(self.facts),
            None,
            [*self.percept.in_view(), name],
        )
        places = self.places()
        if name not in places:
            assert self._places is not None
            self._places.append(name)
        return outcomes.Named(name, self._room, self.step_count, memory_id)

    # -- going -----------------------------------------------------------------------------
    def _position(self) -> np.ndarray:
        assert self.percept is not None
        return np.asarray(self.percept.agent, dtype=np.float64)

    def _sees(self, target: str) -> bool:
        return self.percept is not None and target in self.percept.in_view()

    def _destination(self, target: str) -> tuple[Destination, MemoryRecord | None] | None:
        """Where `target` is, as perceived: for an object, where the agent locates it now, else
        where a memory located it from afar, else where it sees it now from close by; for a named
        place or the start, the remembered moment. None when no memory saw it."""
        assert self.percept is not None
        if target in self.perception.object_names:
            located = self._located(target)
            if located is not None:
                return Destination(located, None, target), None
            sighting = self._sighting(target)
            if sighting is not None:
                return Destination(sighting[0], None, target), sighting[1]
            if target in self.percept.in_view():
                return Destination(np.asarray(self.percept.objects[target].position), None, target, True), None
        seen = self.memory.last_seen(target)
        reading = None if seen is None else read_caption(seen.caption)
        if seen is None or reading is None:
            return None
        if target in reading.names:  # a named moment: its latent and where the agent perceived itself
            return Destination(np.asarray(reading.agent), seen.latent, target), seen
        if target in reading.seeing:
            return Destination(np.asarray(reading.seeing[target]), None, target, True), seen
        return None

    def _sighting(self, target: str) -> tuple[np.ndarray, MemoryRecord] | None:
        """The latest memory whose caption located `target` from farther than LOCATE_PX, and where."""
        for memory in self.memory.browse(MemoryFilter(seen=target), limit=SIGHTINGS):
            reading = read_caption(memory.caption)
            if reading is not None and reading.agent is not None and target in reading.seeing:
                position = np.asarray(reading.seeing[target])
                if distance(position, reading.agent) > LOCATE_PX:
                    return position, memory
        return None

    def _arrived(self, target: str, destination: Destination) -> bool:
        assert self.percept is not None and self.planner is not None
        if target not in self.perception.object_names:
            radius = self.planner.config.arrive_px
        else:
            radius = REACH_CLOSE_READING_PX if destination.close_reading else REACH_PX
        return self._gap(destination) <= radius

    def _gap(self, destination: Destination) -> float:
        """How far the agent perceives itself from the destination."""
        assert self.percept is not None
        return distance(destination.position, self.percept.agent)

    def _located(self, target: str) -> np.ndarray | None:
        """Where the agent sees `target` now, if it does from far enough to tell it apart from
        itself (its square drawn over the object pulls the object's keypoint towards it)."""
        assert self.percept is not None
        seen = self.percept.objects.get(target)
        if seen is None or seen.in_view < 0.5 or distance(seen.position, self.percept.agent) <= LOCATE_PX:
            return None
        return np.asarray(seen.position)

    def _go(self, targets: list[str], turn: TurnResult, on_step: StepCallback | None) -> outcomes.Outcome:
        if self.planner is None or self.percept is None:
            return outcomes.CannotMove(self.world_name)
        visited: list[str] = []
        for target in targets:
            started = time.perf_counter()
            resolved = self._destination(target)
            if resolved is None and target in self.perception.object_names:
                self._search(target, turn, on_step)
                resolved = self._destination(target)
            if resolved is None:
                turn.reached = False
                return outcomes.NotFound(target, len(turn.steps))
            destination, seen = resolved
            if seen is not None:
                turn.memories_used.append(seen.to_dict())
            turn.timings_ms["resolve"] = turn.timings_ms.get("resolve", 0.0) + (time.perf_counter() - started) * 1000
            turn.closest_distance = None
            if not self._travel(target, destination, turn, on_step):
                turn.reached = False
                distance_left = turn.closest_distance
                return outcomes.NotReached(
                    target, len(turn.steps), None if distance_left is None else round(distance_left, 1), visited
                )
            visited.append(target)
        turn.reached = True
        return outcomes.Reached(visited, len(turn.steps), self._room)

    def _travel(self, target: str, destination: Destination, turn: TurnResult, on_step: StepCallback | None) -> bool:
        """MPC to the destination. When the way left (the travel field over what the agent believes
        passable) stops shrinking, it walks about a few steps (the map learns the ground, a bump
        the obstacle), then plans again. True when arrived."""
        assert self.planner is not None
        planner = self.planner
        start = len(turn.steps)
        way: list[float] = []

        def left() -> int:
            return self.max_steps - (len(turn.steps) - start)

        def done() -> bool:
            gap = self._gap(destination)
            turn.closest_distance = gap if turn.closest_distance is None else min(turn.closest_distance, gap)
            return self._arrived(target, destination) or self._stop

        while not done() and left() > 0:
            located = self._located(target) if target in self.perception.object_names else None
            if located is not None:
                destination = Destination(located, None, target)
            way.append(planner.way_left(self._position(), destination.position))
            if len(way) > STUCK_STEPS and min(way[:-STUCK_STEPS]) - min(way[-STUCK_STEPS:]) < 1.0:
                way.clear()
                self._wander(turn, on_step, lambda: False, min(WANDER_CHUNK, left()))
                continue
            before = len(turn.steps)
            self._move_to(destination, turn, on_step, done, 1)
            if len(turn.steps) == before:
                break
        return self._arrived(target, destination)

    def _move_to(
        self,
        destination: Destination,
        turn: TurnResult,
        on_step: StepCallback | None,
        done: Callable[[], bool],
        budget: int,
    ) -> None:
        """Model-predictive control (navigation.Navigator): plan, take a block, perceive, replan."""
        assert self.planner is not None
        planner = self.planner
        trip = planner.travel(_Body(self, turn, on_step), destination, done, budget)
        turn.timings_ms["plan"] = turn.timings_ms.get("plan", 0.0) + trip.plan_seconds * 1000
        self.last_plan_record = {
            "goal": [round(float(v), 1) for v in destination.position],
            "cost": None if trip.last_cost is None else round(trip.last_cost, 3),
            "horizon": planner.config.planner.horizon,
        }

    def _wander(self, turn: TurnResult, on_step: StepCallback | None, done: Callable[[], bool], budget: int) -> None:
        assert self.planner is not None
        self.planner.wander(
            _Body(self, turn, on_step), done, budget, self.frameskip, int(np.prod(self._primitive_shape))
        )

    def familiarise(self, steps: int, on_step: StepCallback | None = None) -> TurnResult:
        """Walk about for `steps` model steps (a random walk): the experience map learns the ground."""
        turn = TurnResult(text=f"familiarise {steps}")
        self._stop = False
        if self.planner is not None and self.percept is not None:
            self._wander(turn, on_step, lambda: False, steps)
        return turn

    def _through_door(
        self, turn: TurnResult, on_step: StepCallback | None, done: Callable[[], bool], budget: int
    ) -> None:
        """Go through the door the agent perceives into the other room (the same MPC as any trip),
        until `done()`: what a room hides is seen from the other."""
        assert self.planner is not None
        planner = self.planner
        beyond = planner.experience.beyond_door(self._position())
        if beyond is None:
            return
        destination = Destination(beyond, None, "the other room")

        def there() -> bool:
            return done() or self._gap(destination) <= planner.config.arrive_px

        self._move_to(destination, turn, on_step, there, budget)

    def _search(self, target: str, turn: TurnResult, on_step: StepCallback | None) -> None:
        """Look for an object never seen: every object in the agent's room is in view, so it is in
        the other one; go there until perception reports it, then walk about for what budget is left."""
        sees = partial(self._sees, target)
        start = len(turn.steps)
        self._through_door(turn, on_step, sees, self.max_steps)
        self._wander(turn, on_step, sees, self.max_steps - (len(turn.steps) - start))

    def _explore(self, turn: TurnResult, on_step: StepCallback | None) -> outcomes.Outcome:
        """Go and see the other room: through the perceived door, then walk about there a while."""
        if self.planner is None or self.percept is None:
            return outcomes.CannotMove(self.world_name)
        self._through_door(turn, on_step, lambda: self._stop, self.max_steps // 2)
        self._wander(turn, on_step, lambda: self._stop, self.max_steps // 2 - len(turn.steps))
        return outcomes.Explored(len(turn.steps), self._room, self.percept.in_view())


class _Body:
    """The agent as navigation sees it: its latent history, where it perceives itself, and a step
    that is timed into the turn (the first action's latency is what a user waits for)."""

    def __init__(self, agent: Agent, turn: TurnResult, on_step: StepCallback | None) -> None:
        self.agent, self.turn, self.on_step = agent, turn, on_step

    def history(self) -> np.ndarray:
        return np.stack(list(self.agent.latents))

    def position(self) -> np.ndarray:
        return self.agent._position()

    def move(self, block: np.ndarray, imagined: list[tuple[float, float]]) -> bool:
        started = time.perf_counter()
        timings = self.turn.timings_ms
        self.turn.steps.append(self.agent._step(block, self.on_step, imagined))
        if "first_action" not in timings:
            timings["first_action"] = (time.perf_counter() - self.agent._turn_started) * 1000
        timings["act"] = timings.get("act", 0.0) + (time.perf_counter() - started) * 1000
        return not self.agent._stop
