"""The phrasing set is well-formed data: schema-valid, grounded, and using the world's objects."""

from __future__ import annotations

import json
from importlib import resources

from agent_core.worlds.base import load_world_data
from language.grounding import ground
from language.intents import Intent
from language.lexicon import words
from language.phrasings import PhrasingCase, load_phrasings

CATALOGUE = list(load_world_data("tworooms")["objects"])


def test_every_line_validates_against_the_schema():
    lines = resources.files("language").joinpath("data", "phrasings.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 200
    for line in lines:
        case = PhrasingCase.model_validate_json(line)
        if case.intent is not None:
            assert Intent.model_validate(json.loads(line)["intent"]) == case.intent


def test_texts_are_unique_and_cover_every_kind_of_request():
    cases = load_phrasings()
    assert len({c.text for c in cases}) == len(cases)
    kinds = {c.intent.kind for c in cases if c.intent}
    questions = {c.intent.question for c in cases if c.intent and c.intent.question}
    assert kinds == {"go", "explore", "wait", "stop", "question", "help", "status", "forget"}
    assert questions == {"where", "what_seen", "what_happened", "surprise", "why", "when"}
    assert {c.status for c in cases} == {"ok", "clarify", "reject"}


def test_expected_intents_name_catalogue_objects_and_pass_grounding():
    for case in load_phrasings():
        if case.intent is not None:
            assert set(case.intent.targets) <= set(CATALOGUE), case.text
            assert ground(case.intent, case.text, CATALOGUE).status == "ok", case.text


def test_few_shot_examples_are_not_benchmark_items():
    prompt = json.loads(resources.files("language").joinpath("data", "intent_prompt.json").read_text())

    def normal(text: str) -> str:
        return " ".join(words(text))

    benchmark = {normal(c.text) for c in load_phrasings()}
    examples = [normal(e["text"]) for e in prompt["examples"]]
    assert not benchmark.intersection(examples)
    for example in prompt["examples"]:
        Intent.model_validate(example["intent"])


def _normal(text: str) -> str:
    return " ".join(words(text))


def test_held_out_set_validates_and_shares_nothing_with_dev_or_the_prompt():
    lines = (
        resources.files("language").joinpath("data", "phrasings_test.jsonl").read_text(encoding="utf-8").splitlines()
    )
    assert len(lines) >= 200
    test = [PhrasingCase.model_validate_json(line) for line in lines]
    assert tuple(test) == load_phrasings("test")
    texts = [_normal(c.text) for c in test]
    assert len(set(texts)) == len(texts)
    prompt = json.loads(resources.files("language").joinpath("data", "intent_prompt.json").read_text())
    elsewhere = {_normal(c.text) for c in load_phrasings("dev")} | {_normal(e["text"]) for e in prompt["examples"]}
    assert not elsewhere.intersection(texts)
    assert {c.status for c in test} == {"ok", "clarify", "reject"}
    for case in test:
        assert set(case.forbidden) <= set(CATALOGUE), case.text
        if case.intent is not None:
            assert set(case.intent.targets) <= set(CATALOGUE), case.text
            assert not set(case.intent.targets) & set(case.forbidden), case.text
            assert ground(case.intent, case.text, CATALOGUE).status == "ok", case.text
