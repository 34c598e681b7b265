"""Letters bound into a PDF book: title page, contents, one letter to a section, page numbers.

The text is set in a TrueType serif embedded in the file (so curly quotes, accents and most
scripts print as written). Where no such font is installed the book falls back to the PDF core
Times font, which only knows Latin-1: other characters are then transliterated ("’" → "'").
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.outline import OutlineSection

from os1.errors import ConfigError
from os1.skills.base import ToolError
from os1.skills.letters.compose import split_letter
from os1.skills.letters.library import Letter

# (folder, regular, bold, italic, bold italic): the first with a regular file wins.
SERIF_FONTS: list[tuple[str, str, str, str, str]] = [
    (
        "/usr/share/fonts/truetype/liberation",
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        "LiberationSerif-Italic.ttf",
        "LiberationSerif-BoldItalic.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation2",
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        "LiberationSerif-Italic.ttf",
        "LiberationSerif-BoldItalic.ttf",
    ),
    (
        "/usr/share/fonts/truetype/dejavu",
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        "DejaVuSerif-Italic.ttf",
        "DejaVuSerif-BoldItalic.ttf",
    ),
    (
        "/usr/share/fonts/truetype/freefont",
        "FreeSerif.ttf",
        "FreeSerifBold.ttf",
        "FreeSerifItalic.ttf",
        "FreeSerifBoldItalic.ttf",
    ),
    (
        "/usr/share/fonts/truetype/noto",
        "NotoSerif-Regular.ttf",
        "NotoSerif-Bold.ttf",
        "NotoSerif-Italic.ttf",
        "NotoSerif-BoldItalic.ttf",
    ),
]
STYLES = ("", "B", "I", "BI")
FAMILY = "BookSerif"
MAX_BOOK_LETTERS = 500
# Contents entries per A5 page: one 7 mm line each, with room for the heading on page one.
CONTENTS_PER_PAGE = 18

# Typographic characters and their plain stand-ins, for the Latin-1-only core font.
_PLAIN_PAIRS = """
‘ '  ’ '  ‚ ,  ‛ '  “ "  ” "  „ "  ‟ "  – -  — --  ― --  − -  … ...  • *  · .
€ EUR  ™ (TM)  ♥ <3  ❤ <3  Ł L  ł l  Đ D  đ d  Œ OE  œ oe  ı i  Ŀ L  ŀ l
""".split()
_PLAIN = str.maketrans(
    dict(zip(_PLAIN_PAIRS[::2], _PLAIN_PAIRS[1::2], strict=True))
    | dict.fromkeys("\u00a0\u2009\u200a\u202f", " ")
    | {"\u200b": ""}
)
# Where the book's serif lacks a glyph (a snowman, a heart), these often have it.
FALLBACK_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
]
FALLBACK = "BookFallback"


@dataclass(frozen=True)
class Fonts:
    """The TrueType files for each style; an empty mapping means the core Times font."""

    files: dict[str, Path]
    fallback: Path | None = None

    @property
    def embedded(self) -> bool:
        return bool(self.files)


def find_fonts(configured: str | None = None) -> Fonts:
    """The configured font file, else the first serif family installed, else none."""
    if configured:
        path = Path(configured).expanduser()
        if path.suffix.lower() not in (".ttf", ".otf") or not path.is_file():
            raise ConfigError(
                f"letters.font {configured!r} is not a TrueType font file",
                hint="Point it at a .ttf file, or remove it to use the installed serif font.",
            )
        return Fonts({style: path for style in STYLES})
    for folder, *names in SERIF_FONTS:
        regular = Path(folder) / names[0]
        if regular.is_file():
            files = {}
            for style, name in zip(STYLES, names, strict=True):
                candidate = Path(folder) / name
                # A missing bold or italic is set in the regular face rather than failing.
                files[style] = candidate if candidate.is_file() else regular
            fallback = next(
                (Path(f) for f in FALLBACK_FONTS if Path(f).is_file() and Path(f) != regular),
                None,
            )
            return Fonts(files, fallback)
    return Fonts({})


def plain(text: str) -> str:
    """Text the core font can print: Latin-1, with typographic characters made plain."""
    text = text.translate(_PLAIN)
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(d for d in decomposed if ord(d) < 256 and not unicodedata.combining(d))
        out.append(base or "?")
    return "".join(out)


class _Book(FPDF):
    def __init__(self, fonts: Fonts) -> None:
        super().__init__(orientation="P", unit="mm", format=(148, 210))
        self.book_fonts = fonts
        if fonts.embedded:
            for style, path in fonts.files.items():
                self.add_font(FAMILY, style, str(path))
            self.serif = FAMILY
            if fonts.fallback is not None:
                self.add_font(FALLBACK, "", str(fonts.fallback))
                self.set_fallback_fonts([FALLBACK], exact_match=False)
        else:
            self.serif = "Times"
        self.set_margins(left=18, top=20, right=18)
        self.set_auto_page_break(auto=True, margin=20)
        self.numbered = False

    def use(self, style: str = "", size: float = 11) -> None:
        self.set_font(self.serif, style, size)

    def fit(self, text: str) -> str:
        """The text with every character the current font can print."""
        if not self.book_fonts.embedded:
            return plain(text)
        known: set[int] = set()
        for font in (self.current_font, self.fonts.get(FALLBACK.lower())):
            known.update(getattr(font, "cmap", None) or ())
        if not known:
            return text
        return "".join(ch if ord(ch) in known or ch in "\n\t" else plain(ch) for ch in text)

    def footer(self) -> None:
        if not self.numbered:
            return
        self.set_y(-13)
        self.use("", 9)
        self.set_text_color(110)
        self.cell(0, 5, str(self.page_no()), align="C")
        self.set_text_color(0)


def build_book(
    letters: Sequence[Letter],
    path: Path,
    *,
    title: str,
    author: str | None,
    fonts: Fonts,
    today: date,
    overwrite: bool = False,
) -> Path:
    """Write the book to `path` (atomically); refuses to replace a file unless told to."""
    if not letters:
        raise ToolError(
            "there are no letters to put in a book",
            hint="Write one first, or choose other letters.",
        )
    if len(letters) > MAX_BOOK_LETTERS:
        raise ToolError(
            f"that is {len(letters)} letters; a book holds at most {MAX_BOOK_LETTERS}",
            hint="Choose fewer (by id, or --starred).",
        )
    if path.exists() and not overwrite:
        raise ToolError(f"{path} already exists", hint="Choose another name, or --force.")
    pdf = _Book(fonts)
    pdf.set_title(plain(title) if not fonts.embedded else title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("OS1")
    _title_page(pdf, title, author, len(letters), today)
    pdf.add_page()
    pdf.numbered = True  # from the contents on; the title page has no number
    # The contents' pages are reserved before the letters are set; the placeholder ends with
    # a page break, so the first letter starts on the fresh page it leaves.
    pdf.insert_toc_placeholder(_contents, pages=max(1, -(-len(letters) // CONTENTS_PER_PAGE)))
    for index, letter in enumerate(letters):
        _letter_pages(pdf, letter, new_page=index > 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pdf.output(str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _title_page(pdf: _Book, title: str, author: str | None, count: int, today: date) -> None:
    pdf.add_page()
    pdf.set_y(70)
    pdf.use("B", 26)
    pdf.multi_cell(0, 12, pdf.fit(title), align="C")
    pdf.ln(6)
    pdf.use("I", 12)
    pdf.multi_cell(0, 6, pdf.fit(f"{count} letter{'s' if count != 1 else ''}"), align="C")
    if author:
        pdf.ln(2)
        pdf.multi_cell(0, 6, pdf.fit(f"by {author}"), align="C")
    pdf.set_y(-45)
    pdf.use("", 10)
    pdf.set_text_color(110)
    pdf.multi_cell(0, 5, pdf.fit(f"Compiled {_long_date(today)}"), align="C")
    pdf.set_text_color(0)


def _contents(pdf: FPDF, sections: list[OutlineSection]) -> None:
    assert isinstance(pdf, _Book)
    # fpdf2 calls this at the end, with the cursor wherever the last letter left it.
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.use("B", 16)
    pdf.cell(0, 10, pdf.fit("Contents"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.use("", 10.5)
    width = pdf.epw
    for index, section in enumerate(sections):
        if index and index % CONTENTS_PER_PAGE == 0:
            pdf.add_page()  # exactly as many pages as were reserved
        label = pdf.fit(section.name)
        number = str(section.page_number)
        room = width - pdf.get_string_width(number) - 4
        while pdf.get_string_width(label) > room and len(label) > 4:
            label = label[:-2].rstrip() + "…" if pdf.book_fonts.embedded else label[:-4] + "..."
        dots = "." * max(2, int((room - pdf.get_string_width(label)) / pdf.get_string_width(".")))
        link = pdf.add_link(page=section.page_number)
        pdf.cell(room, 7, f"{label} {dots}", link=link)
        pdf.cell(0, 7, number, align="R", link=link, new_x="LMARGIN", new_y="NEXT")


def _letter_pages(pdf: _Book, letter: Letter, *, new_page: bool) -> None:
    if new_page:
        pdf.add_page()
    pdf.start_section(pdf.fit(letter.title) if pdf.book_fonts.embedded else plain(letter.title))
    pdf.use("B", 14)
    pdf.multi_cell(0, 7, pdf.fit(letter.title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.use("I", 9)
    pdf.set_text_color(110)
    pdf.cell(0, 6, pdf.fit(_long_date(_day(letter.updated_at))), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(5)
    parts = split_letter(letter.body)
    pdf.use("", 11)
    line = 5.6
    if parts.greeting:
        pdf.multi_cell(0, line, pdf.fit(parts.greeting), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    for paragraph in parts.paragraphs:
        for piece in paragraph.split("\n"):
            pdf.multi_cell(0, line, pdf.fit(piece), align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    if parts.signoff or parts.signature:
        pdf.ln(2)
        indent = pdf.epw * 0.45
        for text in (parts.signoff, *parts.signature.split("\n")):
            if text:
                pdf.set_x(pdf.l_margin + indent)
                pdf.multi_cell(
                    pdf.epw - indent, line, pdf.fit(text), align="L", new_x="LMARGIN", new_y="NEXT"
                )


def _day(stamp: str) -> date:
    try:
        return datetime.fromisoformat(stamp).date()
    except ValueError:
        return date.today()


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def book_name(title: str, today: date) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "letters"
    return f"{slug}-{today.isoformat()}.pdf"


def unique_path(folder: Path, name: str) -> Path:
    """`name` in `folder`, numbered if taken: a new book never replaces an older one."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path
