"""rouse_py.app_literals: an emitted app's constants read back as data, references to its
other constants resolved, anything that would run code refused."""

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rouse_py.app_literals import constant

HEADER = 'MODEL_NAME = "org/m"\nMODEL_REVISION = "abc"\nMODEL = MODEL_NAME\nENGINE_PORT = 8001\n'


def read(source: str, name: str = "X"):
    return constant(ast.parse(HEADER + source), name)


def test_reads_the_forms_the_emitted_apps_use():
    source = 'X = ["vllm", MODEL_NAME, "--port", str(ENGINE_PORT), f"--revision={MODEL_REVISION}", MODEL]\n'
    assert read(source) == ["vllm", "org/m", "--port", "8001", "--revision=abc", "org/m"]
    assert read('X = {"model": MODEL, "n": [1, 2.5, None, True]}') == {"model": "org/m", "n": [1, 2.5, None, True]}


@pytest.mark.parametrize(
    "source",
    [
        'X = [__import__("os").system("true")]',
        "X = [str(ENGINE_PORT, 1)]",
        "X = [repr(ENGINE_PORT)]",
        "X = [ENGINE_PORT + 1]",
        "X = [MODEL_NAME.upper()]",
        'X = [f"{MODEL_NAME!r}"]',
        'X = [f"{MODEL_NAME:>9}"]',
        'X = [f"{ENGINE_PORT + 1}"]',
        "X = [UNDEFINED]",
        "X = [X]",
        "X = {**{}}",
        "Y = Z\nZ = Y\nX = [Y]",
    ],
)
def test_refuses_anything_but_data_and_references(source):
    with pytest.raises(ValueError):
        read(source)


def test_a_missing_constant_is_a_lookup_error():
    with pytest.raises(LookupError):
        read("", "ENGINE_CMD")


# Infinity and NaN have no literal spelling (their repr, inf / nan, is a name), so no app holds them.
@given(
    st.lists(
        st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False))
    )
)
def test_any_literal_list_reads_back_as_itself(values):
    assert read(f"X = {values!r}") == values
