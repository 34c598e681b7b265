"""The letters skill's tools: write, revise, proofread, list, show, star, and bind into a book.

None of them asks for confirmation: each one only adds to the user's own library (a revision
is a new version; the old ones stay) or writes a *new* PDF file under a name never used
before, so nothing the user had is changed or lost.
"""

from __future__ import annotations

from os1.skills.base import SkillContext, ToolOutput, tool
from os1.skills.letters.library import Letter
from os1.skills.letters.proofread import describe
from os1.skills.letters.service import Letters
from os1.skills.letters.settings import Tone

NEXT_STEPS = 'You can say "make it warmer", "shorter", "add that …", or "proofread it".'


def _who(letter: Letter) -> str:
    return f" to {letter.recipient}" if letter.recipient else ""


@tool
async def write_letter(
    ctx: SkillContext,
    notes: str = "",
    recipient: str = "",
    sender: str = "",
    occasion: str = "",
    tone: Tone | None = None,
) -> ToolOutput:
    """Write a letter from a few notes and keep it in the user's letter library.

    Args:
        notes: What the letter should say, as short notes (one per line or separated by ;).
        recipient: Who the letter is to, e.g. "Chris".
        sender: Who it is from, when writing on someone's behalf; default: the user.
        occasion: What it is about, e.g. "our anniversary".
        tone: warm, tender, formal, playful or grateful.
    """
    letter = await Letters(ctx).write(
        notes=notes, recipient=recipient, sender=sender, occasion=occasion, tone=tone
    )
    text = f"Here is your letter{_who(letter)} (#{letter.id}):\n\n{letter.body}\n{NEXT_STEPS}"
    return ToolOutput(text=text, data=letter.as_dict())


@tool
async def revise_letter(
    ctx: SkillContext, instruction: str, letter_id: int | None = None
) -> ToolOutput:
    """Revise a letter as asked ("make it warmer", "shorter", "add that …"); keeps old versions.

    Args:
        instruction: What to change, in the user's words.
        letter_id: Which letter; default: the one worked on last.
    """
    letter = await Letters(ctx).revise(instruction, letter_id)
    text = f"Letter #{letter.id}, version {letter.version}:\n\n{letter.body}"
    return ToolOutput(text=text, data=letter.as_dict())


@tool
async def proofread_letter(
    ctx: SkillContext, text: str = "", letter_id: int | None = None
) -> ToolOutput:
    """Proofread a text or a letter: spelling, grammar and style, each with a short reason.

    Args:
        text: The text to proofread; leave empty to proofread a letter from the library.
        letter_id: Which letter, when no text is given; default: the one worked on last.
    """
    checked, found, letter = await Letters(ctx).proofread(text, letter_id)
    head = f"Letter #{letter.id}: " if letter is not None else ""
    return ToolOutput(
        text=head + describe(checked, found),
        data={
            "letter_id": letter.id if letter else None,
            "suggestions": [s.as_dict() for s in found],
        },
    )


@tool
def list_letters(ctx: SkillContext, starred: bool = False) -> ToolOutput:
    """List the user's letters, newest last.

    Args:
        starred: Only the starred ones.
    """
    letters = Letters(ctx).library.all(starred=starred)
    if not letters:
        return ToolOutput(
            text="You have no starred letters yet." if starred else "You have no letters yet.",
            data=[],
        )
    lines = [
        f"{'★' if x.starred else ' '} #{x.id} {x.title} (v{x.version}, {x.updated_at[:10]})"
        for x in letters
    ]
    return ToolOutput(text="\n".join(lines), data=[x.as_dict() for x in letters])


@tool
def show_letter(ctx: SkillContext, letter_id: int | None = None) -> ToolOutput:
    """Show one letter as it is now.

    Args:
        letter_id: Which letter; default: the one worked on last.
    """
    letter = Letters(ctx).letter(letter_id)
    text = f"Letter #{letter.id}: {letter.title} (version {letter.version})\n\n{letter.body}"
    return ToolOutput(text=text, data=letter.as_dict())


@tool
def star_letter(ctx: SkillContext, letter_id: int | None = None, starred: bool = True) -> str:
    """Star a letter (to put it in the book of the best ones), or unstar it.

    Args:
        letter_id: Which letter; default: the one worked on last.
        starred: False to take the star away.
    """
    letters = Letters(ctx)
    letter = letters.library.star(letters.letter(letter_id).id, starred)
    return f"Letter #{letter.id} is {'starred' if starred else 'no longer starred'}."


# A book is a new PDF under a name never used before (book-2.pdf, …): it overwrites nothing,
# so, like saving a draft, it runs without asking first.
@tool
def make_letter_book(
    ctx: SkillContext,
    letter_ids: list[int] | None = None,
    starred: bool = False,
    title: str | None = None,
) -> ToolOutput:
    """Bind letters into a PDF book (title page, contents, one letter a section).

    Args:
        letter_ids: Which letters, in order; default: all of them (or the starred ones).
        starred: Only the starred letters.
        title: The book's title; default from the settings ("Letters").
    """
    letters = Letters(ctx)
    chosen = letters.choose(letter_ids, starred=starred)
    path = letters.book(chosen, title=title)
    count = len(chosen)
    return ToolOutput(
        text=f"I made a book of {count} letter{'s' if count != 1 else ''}: {path}",
        data={"path": str(path), "letters": [x.id for x in chosen]},
    )


TOOLS = [
    write_letter,
    revise_letter,
    proofread_letter,
    list_letters,
    show_letter,
    star_letter,
    make_letter_book,
]
