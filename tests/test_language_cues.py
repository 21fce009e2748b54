"""Cues in the user's words take intent shapes out of the decoding grammar, never add a choice."""

from __future__ import annotations

import importlib.util

import pytest

from language import IntentParser, LanguageInputError
from language.backends.keyword_double import KeywordTestDouble
from language.chat_models import load_chat_model
from language.cues import in_order, read_cues
from language.grammar import intent_schema
from language.intents import Intent
from language.model_files import DEFAULT_MODEL
from language.phrasings import load_phrasings

BOX_BALL = ["blue box", "red ball"]
OPEN = {"question:where,when", "question:what_seen,what_happened,surprise,why"}


def branches(text: str, named: list[str]) -> dict[str, dict]:
    """The schema's branches by kind (and question kinds), e.g. "go", "question:where,when", "plain"."""
    found = {}
    for branch in intent_schema(named, read_cues(text, named))["anyOf"]:
        props = branch["properties"]
        kind = props["kind"].get("const", "plain")
        found[kind + (":" + ",".join(props["question"]["enum"]) if "question" in props else "")] = props
    return found


@pytest.mark.parametrize(
    ("text", "least"),
    [
        ("go to the box and then the ball", 2),  # both named objects are visited
        ("if you don't mind, go to the ball and the box", 1),  # a negation that forbids no object
    ],
)
def test_targets_cover_every_named_object_unless_one_is_excluded(text, least):
    shapes = branches(text, BOX_BALL)
    assert shapes["go"]["targets"]["minItems"] == shapes["question:where,when"]["targets"]["minItems"] == least


@pytest.mark.parametrize(
    "text",
    [
        "don't go to the ball, go to the box",
        "skip the ball and head to the box",
        "the box, not the ball",
        "rather than the ball, the box please",
        "steer clear of nothing but... no: avoid the ball, then go to the box",
        "forget about the ball, the box it is",
    ],
)
def test_a_forbidden_object_is_never_offered_as_a_place_to_go(text):
    shapes = branches(text, BOX_BALL)
    assert shapes["go"]["targets"]["items"]["enum"] == ["blue box"] and shapes["go"]["targets"]["minItems"] == 1
    assert "red ball" in shapes["question:where,when"]["targets"]["items"]["enum"]  # asking about it is fine


def test_no_more_targets_are_required_than_a_command_may_hold():
    names = ["a", "b", "c", "d", "e", "f"]
    go = branches(" ".join(names), names)["go"]
    assert go["targets"]["minItems"] == go["targets"]["maxItems"] == 5


@pytest.mark.parametrize(
    ("text", "model", "told"),
    [
        ("go to the box, then the ball", ["red ball", "blue box"], ["blue box", "red ball"]),
        ("go to the box but stop by the ball first", ["blue box", "red ball"], ["red ball", "blue box"]),
        ("box, ball, box", ["blue box", "red ball", "blue box"], ["blue box", "red ball", "blue box"]),
        ("go to the box, then the ball", ["red ball"], ["red ball"]),
    ],
)
def test_a_sequence_is_visited_in_the_order_told_unless_a_word_reorders_it(text, model, told):
    assert in_order(model, read_cues(text, BOX_BALL)) == told


@pytest.mark.parametrize(
    ("text", "questions"),
    [
        ("did anything weird happen?", {"question:surprise"}),
        ("what suprised you?", {"question:surprise"}),  # one slip still counts
        ("how strong is it?", OPEN),  # no word of surprise, not even one letter off
        ("when was the last surprise?", {"question:when", "question:surprise"}),
        ("remind me where the ring was", {"question:where"}),
        ("did something catch you off guard?", OPEN),  # a missing word takes nothing away
    ],
)
def test_question_words_narrow_the_question_kinds_offered(text, questions):
    assert {shape for shape in branches(text, []) if shape.startswith("question")} == questions


@pytest.mark.parametrize(
    ("text", "named", "off_topic"),
    [
        ("help me find the ball", ["red ball"], False),
        ("what's in your memory?", [], False),
        ("cancel that", [], False),
        ("wander around for a bit", [], False),
        ("what is the capital of Spain?", [], True),
        ("what is a strange attractor?", [], True),  # a word of surprise is not about this world
    ],
)
def test_requests_about_this_world_are_not_offered_as_off_topic(text, named, off_topic):
    assert ("unknown" in branches(text, named)["plain"]["kind"]["enum"]) is off_topic


@pytest.mark.parametrize(
    ("text", "forget"),
    [
        ("remind me where the ring was", False),
        ("why did you stop?", False),
        ("wipe your memory", True),
        ("can you please forget everything you saw?", True),  # a polite request is still a request
    ],
)
def test_a_question_is_never_taken_as_the_command_to_forget(text, forget):
    assert ("forget" in branches(text, [])["plain"]["kind"]["enum"]) is forget


@pytest.mark.parametrize(
    ("text", "wait"),
    [("wander around for a bit", False), ("go and search", False), ("watch for a bit", True), ("wait 5 steps", True)],
)
def test_a_request_to_move_is_never_taken_as_waiting_where_it_is(text, wait):
    assert ("wait" in branches(text, [])["plain"]["kind"]["enum"]) is wait


def test_the_keyword_test_double_still_answers_within_the_schema():
    schema = intent_schema(["red ball"], read_cues("did the red ball surprise you?", ["red ball"]))
    reply = KeywordTestDouble().invoke("did the red ball surprise you?", json_schema=schema)
    assert Intent.model_validate_json(str(reply.content)).question == "surprise"


# Requests that speak of memory or of forgetting without asking to delete anything.
NOT_A_REQUEST_TO_FORGET = [
    "what's in your memory?",
    "what do you remember?",
    "show me your memories",
    "how much do you remember?",
    "what did you forget?",
    "do you ever forget things",
    "how do I make you forget everything",
    "don't forget the red ball",
    "never forget where the key was",
    "forget the red ball, go to the blue box",
    "show me what you would forget",
    "tell me about your memory",
    "did you erase anything?",
    "is your memory clear?",
    "remind me where the ring was",
    "list your memories",
]


@pytest.mark.parametrize("text", NOT_A_REQUEST_TO_FORGET)
def test_words_that_do_not_ask_for_deletion_never_offer_forget(text):
    named = [n for n in BOX_BALL if n.split()[1] in text]
    assert "forget" not in branches(text, named)["plain"]["kind"]["enum"]


@pytest.mark.parametrize("text", [c.text for c in load_phrasings() if c.intent and c.intent.kind == "forget"])
def test_every_request_to_forget_in_the_phrasing_set_is_still_offered_forget(text):
    assert "forget" in branches(text, [])["plain"]["kind"]["enum"]


@pytest.mark.parametrize("text", NOT_A_REQUEST_TO_FORGET)
def test_a_model_that_ignores_the_grammar_cannot_turn_them_into_forget(text):
    """The keyword test double ignores the schema's kinds and says "forget" whenever the word is
    there; the parser still refuses to hand that on."""
    understanding = IntentParser(KeywordTestDouble()).parse(text, BOX_BALL)
    assert understanding.intent is None or understanding.intent.kind != "forget"


@pytest.mark.real_llm
@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="the llm extra is not installed")
def test_the_real_model_takes_none_of_them_for_forget(tmp_path):
    try:
        parser = IntentParser(load_chat_model(DEFAULT_MODEL, tmp_path / "models", threads=1))
    except LanguageInputError as exc:
        pytest.skip(str(exc))
    taken = {}
    for text in NOT_A_REQUEST_TO_FORGET:
        understanding = parser.parse(text, BOX_BALL)
        taken[text] = understanding.intent.kind if understanding.intent else understanding.status
    assert "forget" not in taken.values(), taken
    assert parser.parse("forget all your memories", BOX_BALL).intent.kind == "forget"  # it still can


NAMED = ["red ball", "blue box", "green key", "yellow star"]


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("ahead of the red ball, visit the green key", ["green key", "red ball"]),
        ("head for the blue box before you head for the yellow star", ["blue box", "yellow star"]),
        ("before you make for the red ball, drop by the green key", ["green key", "red ball"]),
        ("make for the red ball after the yellow star", ["yellow star", "red ball"]),
        (
            "visit the yellow star once you have seen the green key and the blue box",
            ["green key", "blue box", "yellow star"],
        ),
        (
            "the blue box, then the red ball; before all of that, the yellow star",
            ["yellow star", "blue box", "red ball"],
        ),
        ("the green key and after it the red ball", ["green key", "red ball"]),
        ("lastly the green key; begin with the red ball", ["red ball", "green key"]),
        (
            "visit the yellow star, the green key and the blue box, the blue box first",
            ["blue box", "yellow star", "green key"],
        ),
        ("after the green key move to the red ball and then the yellow star", ["green key", "red ball", "yellow star"]),
    ],
)
def test_order_words_in_any_position_set_the_visiting_order(text, order):
    """Through the parser: the keyword test double lists objects in the order it reads them, so the
    order comes from the cues."""
    understanding = IntentParser(KeywordTestDouble()).parse(text, NAMED)
    assert understanding.intent == Intent(kind="go", targets=order), understanding


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("not the red ball, the green key", ["green key"]),
        ("go to the yellow star, not the blue box", ["yellow star"]),
        ("avoid the red ball and go to the green key then the yellow star", ["green key", "yellow star"]),
        ("go to the blue box instead of the red ball", ["blue box"]),
        ("ignore the green key; go to the red ball", ["red ball"]),
        ("no, go to the blue box", ["blue box"]),  # "no" forbids nothing here
        ("if you don't mind, go to the yellow star", ["yellow star"]),
        ("go anywhere but the blue box: the green key", ["green key"]),
    ],
)
def test_a_forbidden_object_never_becomes_a_place_to_go(text, targets):
    understanding = IntentParser(KeywordTestDouble()).parse(text, NAMED)
    assert understanding.intent == Intent(kind="go", targets=targets), understanding


@pytest.mark.parametrize(
    "text",
    [
        "do not go to the red ball",
        "never visit the green key",
        "avoid the yellow star",
        "stay away from the blue box",
        "not the red ball",
        "neither the green key nor the blue box",
        "please don't touch the yellow star",
        "don't delete anything",
        "the red ball is off limits",
    ],
)
def test_a_request_that_only_forbids_gets_a_clarifying_question(text):
    understanding = IntentParser(KeywordTestDouble()).parse(text, NAMED)
    assert understanding.status == "clarify" and understanding.reason == "prohibition"
    assert "prohibition" in understanding.message


def test_a_model_that_ignores_the_grammar_still_never_goes_to_a_forbidden_object():
    class GoesEverywhere(KeywordTestDouble):
        @staticmethod
        def _intent(text: str, schema: dict) -> dict:
            return {"kind": "go", "targets": ["red ball", "blue box"]}

    parser = IntentParser(GoesEverywhere())
    assert parser.parse("don't go to the red ball, go to the blue box", NAMED).intent == Intent(
        kind="go", targets=["blue box"]
    )
    assert parser.parse("skip the red ball and the blue box, go to the green key", NAMED).reason == "prohibition"


def test_questions_about_a_forbidden_object_are_still_questions():
    understanding = IntentParser(KeywordTestDouble()).parse("why did you not go to the blue box?", NAMED)
    assert understanding.intent == Intent(kind="question", question="why", targets=["blue box"])


@pytest.mark.real_llm
@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="the llm extra is not installed")
def test_the_real_model_never_goes_where_it_is_told_not_to_and_keeps_order(tmp_path):
    try:
        parser = IntentParser(load_chat_model(DEFAULT_MODEL, tmp_path / "models", threads=1))
    except LanguageInputError as exc:
        pytest.skip(str(exc))
    assert parser.parse("avoid the key", NAMED).reason == "prohibition"
    went = parser.parse("please do not head to the ball, go to the key", NAMED).intent
    assert went is not None and "red ball" not in went.targets
    went = parser.parse("the star, not the box", NAMED).intent
    assert went is not None and "blue box" not in went.targets
    went = parser.parse("before you make for the ball, drop by the key", NAMED).intent
    assert went == Intent(kind="go", targets=["green key", "red ball"])
