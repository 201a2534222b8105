"""The learned scorer: the filter computes exactly what the trainer fitted, the weights are compact and
inlined at the end of the pasted file, and the decisions on near-misses of both sides."""

import math
import pathlib

import pytest

from owui_router_filter import decide
from owui_router_filter.function import features, learned
from owui_router_filter.function.signals import builtin_vocabulary, keyword_signals, structure_signals, tokenize
from owui_router_filter.tools import train

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "functions" / "router_filter.py"

TEXTS = [
    "Crie uma função em Python que some dois números",
    "Resuma este texto sobre a economia do Brasil",
    "Traceback (most recent call last):\n  File \"app.py\", line 3\nKeyError: 'id'",
    "写一个Python函数，计算列表的平均值",
    "Напиши стихотворение о зиме",
    "SELECT name FROM users WHERE id = 3; why is this slow?",
    "",
    "a" * 5000,
]


def _weights():
    table = learned._hashed()
    return [w * learned.MODEL["scale"] for w in table]


@pytest.mark.parametrize("text", TEXTS)
def test_the_filter_computes_what_the_trainer_fitted(text):
    """log_odds() in the filter == the trainer's feature row . the decoded weights + bias."""
    hashed, dense = train.row(text)
    weights = _weights()
    expected = learned.MODEL["bias"] + sum(weights[i] * v for i, v in hashed.items())
    expected += sum(learned.MODEL["dense"][name] * v for name, v in dense.items())
    raw = text[: 40000]
    lexicon = keyword_signals(tokenize(raw), builtin_vocabulary())
    z, parts = learned.log_odds(features.feature_tokens(raw), features.dense_features(structure_signals(raw), lexicon))
    assert z == pytest.approx(expected, abs=1e-9)
    assert sum(parts.values()) == pytest.approx(z - learned.MODEL["bias"], abs=1e-9)


def test_the_weights_are_trained_compact_and_at_the_end_of_the_pasted_file():
    assert learned.MODEL["trained_on"]["examples"] >= 20000
    assert len(learned._hashed()) == features.HASH_SIZE
    assert sum(1 for w in learned._hashed() if w) > 10000  # trained, not the all-zero bootstrap
    source = FUNCTION.read_text(encoding="utf-8")
    assert len(source.encode()) < 400_000
    tail = source[source.index("# weights.py: "):]
    assert "\ndef " not in tail and "\nclass " not in tail, "only data after the weights' marker"
    head = source[: source.index("# weights.py: ")]
    assert "HASHED_WEIGHTS = (" not in head


def test_the_score_scale():
    """Code score = 3 + log-odds: the threshold 3 is p(code) = 0.5."""
    assert learned.probability(learned.OFFSET) == pytest.approx(0.5)
    assert learned.probability(learned.OFFSET + math.log(3)) == pytest.approx(0.75)
    decision = decide([{"role": "user", "content": TEXTS[0]}])
    assert decision.probability == pytest.approx(learned.probability(decision.score), abs=0.01)


def user(text):
    return [{"role": "user", "content": text}]


CHAT_NEAR_MISSES = [
    "Write a short film script where two old friends meet again at a train station",
    "How does calcium carbonate react with hydrochloric acid? Balance the equation",
    "Escreva um roteiro de peça de teatro sobre uma família que perde o emprego",
    "Explique o que é uma API para alguém que não sabe programar, sem código",
    "Qual é a função do fígado no corpo humano?",
    "Solve by hand: a train leaves at 3pm at 80 km/h, another at 4pm at 100 km/h. When do they meet?",
    "¿Cuál es la diferencia entre el código civil y el código penal?",
    "Give me tips to prepare for a job interview as a software engineer manager",
]
CODE_IN_PLAIN_WORDS = [
    "write a chrome extension that saves the current page as a PDF",
    "write a program to compute Elo ratings for a chess club from a list of game results",
    "Meu app Android trava quando giro o celular, o que faço no Activity?",
    "Haz una macro de Excel que copie las filas con estado 'pagado' a otra hoja",
    "Give me a bash one-liner that renames all .jpeg files in a folder to .jpg",
    "Write a GLSL fragment shader that draws a rotating checkerboard",
    "Write an OCaml function that reverses a list without List.rev",
    "Una fórmula para sumar la columna B solo si la columna A dice 'Madrid'",
]


@pytest.mark.parametrize("text", CHAT_NEAR_MISSES)
def test_chat_with_technical_words_goes_to_chat(text):
    decision = decide(user(text))
    assert decision.route == "chat", str(decision)


@pytest.mark.parametrize("text", CODE_IN_PLAIN_WORDS)
def test_code_asked_in_plain_words_goes_to_the_coder(text):
    decision = decide(user(text))
    assert decision.route == "code", str(decision)

