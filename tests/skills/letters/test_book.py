"""The book: a PDF that opens, holds every chosen letter's text, with contents and numbers."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from os1.errors import ConfigError
from os1.skills.base import ToolError
from os1.skills.letters.book import Fonts, build_book, find_fonts, plain
from os1.skills.letters.library import Letter
from os1.skills.letters.service import Letters
from tests.skills.letters.conftest import MakeLetters

TODAY = date(2026, 11, 30)


def _text(path: Path) -> list[str]:
    """Each page's text, whitespace collapsed (justified lines extract with extra spaces)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(str(path)).pages]


async def _three(letters: Letters) -> list[Letter]:
    return [
        await letters.write(
            notes="the café in Montréal; you said “yes” — and I cried",
            recipient="Chris",
            sender="Loretta",
            occasion="our anniversary",
        ),
        await letters.write(
            notes="the flowers on my desk",
            recipient="Paul",
            occasion="thanking him for the flowers",
            tone="grateful",
        ),
        await letters.write(notes="our first flat; the cat", recipient="Amy", tone="playful"),
    ]


async def test_the_book_holds_every_letter_with_contents_and_page_numbers(
    letters: Letters, home: Path
) -> None:
    chosen = await _three(letters)
    path = letters.book(chosen, title="Letters for the people I love")
    assert path.parent == home / "letters" and path.suffix == ".pdf"
    pages = _text(path)
    assert len(pages) == 5  # title, contents, three letters
    assert "Letters for the people I love" in pages[0] and "3 letters" in pages[0]
    contents = pages[1]
    assert "Contents" in contents
    for letter, page in zip(chosen, (3, 4, 5), strict=True):
        assert re.search(re.escape(letter.title) + r" \.+ " + str(page), contents)
    for letter, page_text in zip(chosen, pages[2:], strict=True):
        assert letter.title in page_text
        for paragraph in letter.body.split("\n\n"):
            assert " ".join(paragraph.split()) in page_text
        assert page_text.split()[-1].isdigit()  # the page number in the footer
    assert "Montréal" in pages[2] and "“yes” — and I cried" in pages[2]


async def test_a_book_embeds_an_installed_serif_font(letters: Letters) -> None:
    fonts = find_fonts()
    assert fonts.embedded, "no TrueType serif installed (Debian: fonts-liberation)"
    path = letters.book(await _three(letters))
    reader = PdfReader(str(path))
    names = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Serif" in n for n in names), names


async def test_without_a_truetype_font_the_text_is_transliterated(
    letters: Letters, tmp_path: Path
) -> None:
    chosen = await _three(letters)
    path = build_book(
        chosen, tmp_path / "core.pdf", title="Letters", author=None, fonts=Fonts({}), today=TODAY
    )
    pages = _text(path)
    assert "Montréal" in pages[2]  # Latin-1 accents survive
    assert '"yes" -- and I cried' in pages[2]  # curly quotes and dashes made plain


def test_plain_keeps_latin1_and_replaces_the_rest() -> None:
    assert plain("“Café” – naïve… Łódź 北") == '"Café" - naïve... Lódz ?'


async def test_a_new_book_never_replaces_an_older_one(letters: Letters) -> None:
    chosen = await _three(letters)
    first = letters.book(chosen)
    second = letters.book(chosen[:1])
    assert first != second and first.exists() and second.exists()
    assert len(PdfReader(str(first)).pages) == 5


async def test_an_explicit_path_is_only_replaced_when_forced(
    letters: Letters, tmp_path: Path
) -> None:
    chosen = await _three(letters)
    out = tmp_path / "mine.pdf"
    out.write_bytes(b"precious")
    with pytest.raises(ToolError, match="already exists"):
        letters.book(chosen, out=out)
    assert out.read_bytes() == b"precious"
    letters.book(chosen, out=out, overwrite=True)
    assert len(PdfReader(str(out)).pages) == 5


async def test_starred_letters_make_their_own_book(letters: Letters) -> None:
    chosen = await _three(letters)
    letters.library.star(chosen[1].id)
    pages = _text(letters.book(letters.choose(starred=True)))
    assert len(pages) == 3 and "To Paul" in pages[2]


def test_no_letters_no_book(make_letters: MakeLetters) -> None:
    letters = make_letters()
    with pytest.raises(ToolError, match="no letters yet"):
        letters.choose()
    with pytest.raises(ToolError, match="no starred letters"):
        letters.choose(starred=True)


def test_a_font_setting_that_is_not_a_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a TrueType font"):
        find_fonts(str(tmp_path / "missing.ttf"))


async def test_a_long_letter_flows_onto_more_pages(letters: Letters) -> None:
    notes = "\n".join(f"memory number {n} of the summer we spent by the sea" for n in range(120))
    letter = await letters.write(notes=notes, recipient="Chris")
    pages = _text(letters.book([letter]))
    assert len(pages) > 3
    assert "Memory number 119 of the summer" in " ".join(pages)


def test_a_book_of_many_letters_has_contents_over_several_pages(
    letters: Letters, tmp_path: Path
) -> None:
    chosen = [
        letters.library.add(
            f"Dear friend number {n},\n\nHello.\n\nLove,\nAmy\n",
            now=letters.ctx.now(),
            recipient=f"Friend {n} with a rather long "
            "name that will not fit on one line of the contents page",
        )
        for n in range(60)
    ]
    path = letters.book(chosen, out=tmp_path / "many.pdf")
    pages = _text(path)
    assert len(pages) == 1 + 4 + 60  # title, four pages of contents, one page a letter
    contents = " ".join(pages[1:5])
    assert contents.count("To Friend") == 60
    assert "Dear friend number 59," in pages[-1]
