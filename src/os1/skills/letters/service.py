"""What the letters skill does, for one user: the tools and the CLI both call these."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from os1.mind.persona import Identity
from os1.models.base import ChatModel
from os1.skills.base import SkillContext, ToolError
from os1.skills.letters import writer
from os1.skills.letters.compose import LetterRequest
from os1.skills.letters.library import MAX_NOTES_CHARS, Letter, LetterLibrary, check_body
from os1.skills.letters.proofread import MAX_PROOFREAD_CHARS, Suggestion, proofread
from os1.skills.letters.settings import TONES, LettersSettings, Tone


@dataclass
class Letters:
    """The skill bound to one user's context: their library, settings and model."""

    ctx: SkillContext

    def __post_init__(self) -> None:
        self.settings = LettersSettings.of(self.ctx.settings.letters)
        self.library = LetterLibrary(self.ctx.store)

    @property
    def model(self) -> ChatModel | None:
        return self.ctx.model if writer.model_allowed(self.ctx.model, self.settings) else None

    def letter(self, letter_id: int | None) -> Letter:
        return self.library.latest() if letter_id is None else self.library.get(letter_id)

    async def write(
        self,
        *,
        notes: str = "",
        recipient: str = "",
        sender: str = "",
        occasion: str = "",
        tone: str | None = None,
    ) -> Letter:
        if not notes.strip() and not occasion.strip():
            raise ToolError(
                "I need a few notes to write the letter",
                hint='Say who it is for and what it should say, e.g. "write a letter to Chris '
                'about our anniversary: the lake house; how you still make me laugh".',
            )
        if len(notes) > MAX_NOTES_CHARS or len(occasion) > 500 or len(recipient) > 200:
            raise ToolError(
                f"those notes are too long for a letter (the most is {MAX_NOTES_CHARS:,} "
                "characters)",
                hint="Give the main points only; nothing was saved.",
            )
        chosen: Tone = tone if tone in TONES else self.settings.tone  # type: ignore[assignment]
        signer = sender.strip() or (Identity.load(self.ctx.store).user_name or "")
        request = LetterRequest(
            recipient=recipient.strip(),
            sender=signer,
            occasion=occasion.strip(),
            notes=notes.strip(),
            tone=chosen,
        )
        body, author = await writer.write(request, self.model)
        return self.library.add(
            body,
            now=self.ctx.now(),
            recipient=request.recipient,
            sender=request.sender,
            occasion=request.occasion,
            tone=chosen,
            notes=request.notes,
            author=author,
        )

    async def revise(self, instruction: str, letter_id: int | None = None) -> Letter:
        if not instruction.strip():
            raise ToolError("what should I change?", hint='e.g. "make it warmer" or "shorter".')
        letter = self.letter(letter_id)
        tone: Tone = letter.tone if letter.tone in TONES else "warm"  # type: ignore[assignment]
        body, new_tone, author = await writer.revise(
            letter.body,
            instruction,
            tone=tone,
            recipient=letter.recipient,
            sender=letter.sender,
            model=self.model,
        )
        check_body(body)
        revised = self.library.revise(
            letter.id, body, change=instruction.strip(), now=self.ctx.now(), author=author
        )
        if new_tone != revised.tone:
            self.library.set_tone(letter.id, new_tone)
            revised = self.library.get(letter.id)
        return revised

    async def proofread(
        self, text: str = "", letter_id: int | None = None
    ) -> tuple[str, list[Suggestion], Letter | None]:
        """Suggestions for the given text, or for a letter (the latest by default)."""
        letter = None
        if not text.strip():
            letter = self.letter(letter_id)
            text = letter.body
        if len(text) > MAX_PROOFREAD_CHARS:
            raise ToolError(
                f"that is too long to proofread at once ({len(text):,} characters; the most is "
                f"{MAX_PROOFREAD_CHARS:,})",
                hint="Proofread it a part at a time.",
            )
        extra = [*self.settings.words]
        if letter is not None:
            extra += [*letter.recipient.split(), *letter.sender.split()]
        found = await asyncio.to_thread(proofread, text, extra)
        model = self.model
        if model is not None:
            style = await writer.style_suggestions(text, model)
            taken = [(s.start, s.end) for s in found]
            found += [s for s in style if all(s.end <= a or s.start >= b for a, b in taken)]
            found.sort(key=lambda s: (s.start, s.end))
        return text, found, letter

    def book(
        self,
        letters: list[Letter],
        *,
        title: str | None = None,
        out: Path | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Bind the letters into a PDF; by default a new file in the letters folder."""
        # fpdf2 takes a second to import: only a book pays for it, not every chat start.
        from os1.skills.letters.book import book_name, build_book, find_fonts, unique_path

        title = (title or self.settings.book_title).strip() or "Letters"
        today = self.ctx.now().date()
        if out is None:
            # A fresh name every time: making a book never replaces an earlier one.
            out = unique_path(self.settings.folder_in(self.ctx.home), book_name(title, today))
        author = Identity.load(self.ctx.store).user_name
        return build_book(
            letters,
            out,
            title=title,
            author=author,
            fonts=find_fonts(self.settings.font),
            today=today,
            overwrite=overwrite,
        )

    def choose(self, ids: list[int] | None = None, *, starred: bool = False) -> list[Letter]:
        """The letters by id (in the order given), the starred ones, or all of them."""
        if ids:
            return [self.library.get(i) for i in dict.fromkeys(ids)]
        letters = self.library.all(starred=starred)
        if not letters:
            raise ToolError(
                "you have no starred letters yet" if starred else "you have no letters yet",
                hint='Star one with "star it" or `os1 letters star ID`.'
                if starred
                else 'Say "write a letter to … about …" to start one.',
            )
        return letters
