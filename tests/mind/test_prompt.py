import pytest
from hypothesis import given
from hypothesis import strategies as st

from os1.errors import InputTooLong
from os1.mind.prompt import compose_prompt
from os1.models.base import Message


def words(message: Message) -> int:
    return len(message.content.split()) + 1


def history(n: int) -> list[Message]:
    return [Message("user" if i % 2 == 0 else "assistant", f"turn {i}") for i in range(n)]


def test_system_first_history_in_order_user_last() -> None:
    msgs = compose_prompt(
        system="be kind",
        history=history(4),
        user_message="hi",
        context_window=1000,
        reply_tokens=10,
        count=words,
    )
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[0].content == "be kind" and msgs[-1].content == "hi"


def test_oldest_turns_are_dropped_to_fit_the_window() -> None:
    msgs = compose_prompt(
        system="s",
        history=history(10),
        user_message="now",
        context_window=2 + 2 + 3 * 3 + 5,
        reply_tokens=5,
        count=words,
    )
    kept = [m.content for m in msgs[1:-1]]
    # "turn 7" also fits, but it is a reply whose question was cut, so it goes too.
    assert kept == ["turn 8", "turn 9"]


def test_kept_history_never_starts_with_an_assistant_reply() -> None:
    msgs = compose_prompt(
        system="s",
        history=history(10),
        user_message="now",
        context_window=2 + 2 + 3 * 1 + 5,
        reply_tokens=5,
        count=words,
    )
    assert [m.role for m in msgs] == ["system", "user"]


def test_a_message_too_long_for_the_window_is_a_clear_error() -> None:
    with pytest.raises(InputTooLong) as caught:
        compose_prompt(
            system="s",
            history=[],
            user_message="word " * 500,
            context_window=100,
            reply_tokens=10,
            count=words,
        )
    assert "too long" in caught.value.message


@given(
    n=st.integers(0, 40),
    window=st.integers(30, 400),
    reply=st.integers(1, 20),
)
def test_composed_prompt_always_fits_and_keeps_the_newest_turns(
    n: int, window: int, reply: int
) -> None:
    hist = history(n)
    msgs = compose_prompt(
        system="sys",
        history=hist,
        user_message="the newest",
        context_window=window,
        reply_tokens=reply,
        count=words,
    )
    assert sum(words(m) for m in msgs) + reply <= window
    kept = msgs[1:-1]
    assert kept == hist[len(hist) - len(kept) :]  # a suffix of the history, in order
    assert not kept or kept[0].role == "user"


def test_recalled_context_goes_after_the_history_so_the_prefix_stays_cacheable() -> None:
    msgs = compose_prompt(
        system="s",
        history=history(2),
        user_message="now",
        context_window=1000,
        reply_tokens=5,
        count=words,
        context="you remember: the blue door",
    )
    assert [m.content for m in msgs] == [
        "s",
        "turn 0",
        "turn 1",
        "you remember: the blue door",
        "now",
    ]


def test_context_that_does_not_fit_is_left_out() -> None:
    msgs = compose_prompt(
        system="s",
        history=[],
        user_message="now",
        context_window=12,
        reply_tokens=5,
        count=words,
        context="a very long recollection " * 10,
    )
    assert [m.content for m in msgs] == ["s", "now"]
