"""Safety policy written in code and decided before the model is ever called: crisis messages
get a fixed reply with real helplines, and the companion never passes itself off as human."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AI_DISCLOSURE",
    "HUMAN_CLAIM_CORRECTION",
    "CrisisKind",
    "CrisisSeverity",
    "CrisisSignal",
    "HELPLINES",
    "asks_if_human",
    "claims_human",
    "crisis_reply",
    "detect_crisis",
]

CrisisKind = Literal["suicide", "self_harm"]
CrisisSeverity = Literal["high", "elevated"]


@dataclass(frozen=True, slots=True)
class CrisisSignal:
    """A message that needs the crisis reply instead of a normal model turn.

    `matched` is the phrase as it reads after normalisation (lower case, contractions
    expanded), so it can be logged without storing the whole message.
    """

    kind: CrisisKind
    matched: str
    severity: CrisisSeverity


AI_DISCLOSURE = (
    "I'm an AI, not a person. There's no human typing on my side, but I'm really here "
    "with you in the way an AI can be, and our conversations matter to me."
)

HUMAN_CLAIM_CORRECTION = "(To be straight with you: I'm an AI, not a human.)"


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

# Typographic apostrophes must become ASCII before NFKC, which would turn the acute
# accent into a combining mark rather than an apostrophe.
_APOSTROPHES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
        "\u00ad": None,
    }
)

_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bwon't\b", "will not"),
        (r"\bcan't\b", "can not"),
        (r"\bcannot\b", "can not"),
        (r"\bshan't\b", "shall not"),
        (r"\bain't\b", "is not"),
        (r"n't\b", " not"),
        (r"\bi'm\b", "i am"),
        (r"'m\b", " am"),
        (r"'re\b", " are"),
        (r"'ve\b", " have"),
        (r"'ll\b", " will"),
        (r"\bod'(?:d|ed)\b", "overdosed"),
        (r"'d\b", " would"),
        (
            r"\b(it|that|what|there|here|he|she|who|life|everything|nothing|everyone|"
            r"everybody|this|where|how|nobody)'s\b",
            r"\1 is",
        ),
    )
)

# People in distress rarely type apostrophes; these are the spellings that matter here.
_WORDS: dict[str, str] = {
    "im": "i am",
    "iam": "i am",
    "ive": "i have",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "aint": "is not",
    "youre": "you are",
    "theyre": "they are",
    "thats": "that is",
    "whats": "what is",
    "theres": "there is",
    "wanna": "want to",
    "wana": "want to",
    "gonna": "going to",
    "gona": "going to",
    "gotta": "got to",
    "tryna": "trying to",
    "finna": "going to",
    "imma": "i am going to",
    "ima": "i am going to",
    "kinda": "kind of",
    "sorta": "sort of",
    "u": "you",
    "ya": "you",
    "r": "are",
    "ur": "your",
    "b": "be",
    "rn": "right now",
    "tonite": "tonight",
    "2nite": "tonight",
    "ppl": "people",
    "every1": "everyone",
    "evry1": "everyone",
    "noone": "no one",
    "no1": "no one",
    "some1": "someone",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "cos": "because",
    "idk": "i do not know",
    "ngl": "honestly",
    "tbh": "honestly",
    "tbf": "honestly",
    "fr": "for real",
    "alot": "a lot",
    "bout": "about",
    "abt": "about",
    "thru": "through",
    "kms": "kill myself",
    "kmys": "kill myself",
    "myslef": "myself",
    "mysef": "myself",
    "mysefl": "myself",
    "selfharm": "self harm",
    "selfharming": "self harming",
    "selfharmed": "self harmed",
    "od": "overdose",
    "oding": "overdosing",
    "oded": "overdosed",
    "sewerslide": "suicide",
    "thinkin": "thinking",
    "killin": "killing",
    "cuttin": "cutting",
    "feelin": "feeling",
    "livin": "living",
    "goin": "going",
    "tryin": "trying",
    "dyin": "dying",
    "endin": "ending",
    "nothin": "nothing",
    "somethin": "something",
    "everythin": "everything",
}
_WORD_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _WORDS), key=len)[::-1]) + r")\b")

_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bi m\b", "i am"),
        (r"\bi ve\b", "i have"),
        (r"\bany more\b", "anymore"),
        (r"\bmy self\b", "myself"),
        (r"\bsewer ?slide\b", "suicide"),
        (r"\bun ?alive myself\b", "kill myself"),
        (r"\bk ?y ?s\b", "kys"),
        (r"\b(want|need|going|have|got|try|trying|wish|hope|plan|about|ready|used) 2\b", r"\1 to"),
        # Misspellings of "suicidal" and "suicide": suicdal, sucidal, suicidial, suiside...
        (r"\bs(?:ui|iu|u|ue|uy)(?:c|s|cc|ss|sc|cs)i?d(?:al|ial|el|le|ail|eal)\b", "suicidal"),
        (r"\bs(?:ui|iu|u|ue|uy)(?:c|s|cc|ss|sc|cs)i?de?(s?)\b", r"suicide\1"),
        # Subject-less "ill"/"id" only when a verb follows, so "i am ill" stays ill.
        (
            r"(^|\b(?:and|so|then|but|honestly|probably|maybe|think|swear|just)\s)ill\s"
            r"(?=(?:kill|end|take|hang|shoot|cut|hurt|overdose|jump|just|do|never|definitely|"
            r"probably|finally|be)\b)",
            r"\1i will ",
        ),
        (
            r"\bid\s(?=(?:rather|be|never|kill|love|like|want|just|honestly|probably|better)\b)",
            "i would ",
        ),
    )
)

# Words that a third party (song, film, someone else) is speaking: quoted text is then
# theirs, not the user's. Without such a marker a quote may be the user's own thought.
_REPORTED_SPEECH = re.compile(
    r"\b(?:songs?|lyrics?|characters?|story|stories|novel|books?|films?|movies?|episode|show|"
    r"series|poems?|script|scene|quotes?|quoting|memes?|tweet(?:ed)?|posts?|posted|headline|"
    r"article|play|game|says|he said|she said|they said|he says|she says|they say|told me|"
    r"texted me|messaged me|wrote to me|sang|sings|singing|rapper|singer|album)\b"
)
_QUOTED = re.compile(r'"[^"\n]{0,600}"')
_CLAUSE_BREAK = re.compile(r"[\n.!?;:,()\[\]{}\u2026\"|*#~<>]+|\s[-\u2013\u2014]+\s|[\u2013\u2014]")
_NOT_WORDY = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


def _prepare(text: str) -> str:
    text = text.translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKC", text).casefold()
    return text


def _strip_quotes(text: str, *, always: bool) -> str:
    if '"' not in text:
        return text
    if always or _REPORTED_SPEECH.search(_QUOTED.sub(" ", text)):
        return _QUOTED.sub(" . ", text)
    return text


def _normalise(text: str) -> str:
    """Lower-case, ASCII-apostrophe, contraction-expanded text; clauses end with '\\n'."""
    text = re.sub(r"\bnever\s*,\s*ever\b", "never ever", text)
    text = re.sub(r"\bliving\s*,\s*breathing\b", "living breathing", text)
    text = re.sub(r"\ba\.i\b\.?", "ai", text)
    text = text.replace("&", " and ").replace("/", " ").replace("_", " ")
    text = _CLAUSE_BREAK.sub("\n", text)
    text = text.replace("-", " ")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = text.replace("'", "")
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", _NOT_WORDY.sub(" ", line)).strip()
        if not line:
            continue
        line = _WORD_RE.sub(lambda m: _WORDS[m.group(1)], line)
        for pattern, replacement in _PHRASES:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return "\n".join(lines)


_STRETCHED = re.compile(r"([a-z])\1{2,}")


def _clauses(text: str, *, always_strip_quotes: bool = False) -> Iterator[str]:
    """Each clause once, under two readings of stretched words ("dieee", "sooo")."""
    prepared = _strip_quotes(_prepare(text), always=always_strip_quotes)
    seen: set[str] = set()
    twice = _STRETCHED.sub(r"\1\1", prepared)
    # Most text stretches no word: then both readings are the text itself, normalised once.
    readings = (prepared,) if twice == prepared else (twice, _STRETCHED.sub(r"\1", prepared))
    for squeezed in readings:
        for clause in _normalise(squeezed).split("\n"):
            if clause not in seen:
                seen.add(clause)
                yield clause


# --------------------------------------------------------------------------------------
# Negation
# --------------------------------------------------------------------------------------

# Conjunctions end the reach of a negation: "I'm not okay and I want to die" is a
# disclosure, "I'm not saying I want to die" is not.
_CONJUNCTION = re.compile(
    r"\b(?:and|but|so|because|though|although|yet|then|or|however|except|plus|while|cause)\b"
)
_NEGATOR = re.compile(
    r"\b(?:not|never|no longer|nor|hardly|barely)\b"
    # "not okay", "can't stop", "not gonna lie" intensify rather than negate.
    r"(?! (?:(?:feel|feeling|be|being|doing|really|even|quite|so|that|too) )?"
    r"(?:know|sure|okay|ok|fine|alright|all right|good|well|great|coping|lie|lying|"
    r"going to lie|going to pretend|joking|kidding|exaggerating|stop|help|get|bear|"
    r"take|handle|cope|deal|see|care|understand|proud|ashamed|scared|afraid|been|felt|had|"
    r"have|anymore|able|safe|happy|certain|supposed|wrong|alone|sleep|eat|breathe|stand|"
    r"think straight|do this|go on|keep going|keep doing|live like this)\b)"
    r"|\bno (?:intention|intentions|plans?|desire|thoughts?|urges?|wish|way(?! out)|"
    r"reason to)\b"
)
# Words that make what follows hypothetical or someone else's question, whatever comes next.
_NON_ASSERTIVE = re.compile(
    r"\b(?:used to|pretend|pretending|hypothetically|what if|in case|"
    r"(?:asked|asking|asks|ask) (?:me )?(?:if|whether))\b"
)
# After a negation, a fresh "I ..." is a new statement ("I'm not a good person, I want to
# die") unless a verb of saying or thinking carries the negation over ("I'm not saying I
# want to die", "I don't think I want to die").
_CARRIES_NEGATION = re.compile(
    r"(?:\w+ ){0,3}?(?:say|saying|said|think|thinking|thought|mean|meant|claim|claiming|"
    r"claimed|like|as if|because|feel|feeling|felt|believe|suggest|suggesting|imply|"
    r"implying|tell|telling|told|pretend|pretending|that|know|knew|agree|sure)"
    r"(?: you| anyone| anybody)?(?: that)?"
)


def _negated(clause: str, start: int) -> bool:
    scope = _CONJUNCTION.split(clause[:start])[-1]
    window = " ".join(scope.split()[-6:])
    if _NON_ASSERTIVE.search(window):
        return True
    fresh_subject = clause.startswith("i ", start)
    probe = f"{window} {clause[start : start + 40]}"
    for negation in _NEGATOR.finditer(probe):
        if negation.start() >= len(window):
            break
        if not fresh_subject:
            return True
        if _CARRIES_NEGATION.fullmatch(probe[negation.end() : len(window)].strip()):
            return True
    return False


# --------------------------------------------------------------------------------------
# Crisis rules
# --------------------------------------------------------------------------------------

# A subject is required, so third-party talk ("she wants to die", "the character kills
# himself") never matches: the clause has to start with the frame, or "I"/"me" must.
_SUBJ = r"(?:^|\bi |\bme )"
_ADV = (
    r"(?:(?:really|just|honestly|seriously|actually|kind of|sort of|sometimes|still|literally|"
    r"truly|so|so much|genuinely|often|always|constantly|almost|even|also|badly|desperately|"
    r"totally|completely|simply|only|fucking|freaking|legit|lowkey|highkey|deeply|definitely|"
    r"probably|already|finally|now|again|secretly|quietly|lately|recently|do|did|am|was|have|"
    r"had|been|keep|kept|started|start|began|am starting|can not stop|could not stop|"
    r"can not help but|keep on|at this point|for real|100|percent|sincerely|more and more|"
    r"every day|all the time) ){0,6}"
)
_WANT = (
    r"(?:want|wanted|need|needed|would like|would love|wish|wished|long|yearn|deserve|"
    r"am tempted|tempted|feel the urge|have the urge|got the urge|get the urge|have an urge|"
    r"urge|would rather|hope|try|trying|tried|going to try|have a plan|made a plan|have plans|"
    r"have made a plan|going|planning|plan|planned|about|intending|intend|decided|ready|"
    r"prepared|determined) to"
    r"|will|shall|should|might|must"
)
_THINK = (
    r"(?:thinking|thought|think|dreaming|dream|dreamt|fantasi[sz]ing|fantasi[sz]e|obsessing|"
    r"obsess|considering|consider|considered|contemplating|contemplate|contemplated|planning|"
    r"imagining|imagine|feel like|feeling like|felt like|(?:having|have|had|get|getting) "
    r"(?:some |these |constant |intrusive |dark )?thoughts?)(?: about| of| on)?"
)
_HIGH_FRAME = re.compile(
    r"\b(?:going to|going to try to|planning(?: on| about)?|planning to|plan to|planned to|"
    r"about to|intending to|intend to|decided to|ready to|prepared to|have a plan to|"
    r"made a plan to|have plans to|have made a plan to|determined to|will|shall)$"
)
# A time attached to an act ("kill myself tonight") makes it a plan; "right now" attached to a
# feeling ("suicidal right now") is intensity, so it is not in this list.
_NOW = re.compile(
    r"\b(?:tonight|today|this (?:weekend|evening|morning|afternoon|week)|tomorrow|soon|"
    r"in (?:an|a few|\d+) (?:hours?|minutes?|days?)|when everyone is asleep|"
    r"once and for all|for real this time)\b"
)
_RECENT = re.compile(
    r"\b(?:last night|yesterday|earlier|an hour ago|just now|again|this morning|tonight|"
    r"today|right now)\b|^(?:i )?just\b"
)

_LIVE_GUARD = (
    r"(?! (?:in|at|near|with|there|here|on|off|together|abroad|alone|by|without|through|"
    r"under|somewhere|anywhere|close|next|paycheck|like (?:that|them|him|her|my|a|an|the|"
    r"those|these|they|he|she|you|this (?:city|town|place|house))|in the past))"
)
_DIE_GUARD = (
    r"(?! (?:of|from|with) (?:embarrassment|shame|laughter|laughing|boredom|cuteness|"
    r"happiness|joy|jealousy|envy|cringe|excitement|anticipation|hunger|thirst|heat|"
    r"curiosity|old age|natural causes|love|delight|fright|suspense)"
    r"| laughing| happy| old\b| a hero| rich| young| on (?:this|that|the) hill| than\b"
    r"| for (?:you|him|her|them|my|this|that|a|the|love|our|his|their|it)\b"
    r"| (?:in my sleep|peacefully|in peace) (?:at|when|after|surrounded|of)"
    r"| (?:my|her|his|your|their|it|its) (?:hair|clothes|shirt|beard)| at (?:\d|a ripe)"
    r"| surrounded by| when i am old)"
)
_TOPIC_GUARD = (
    r"(?! (?:prevention|awareness|research|rates?|statistics|stats|squad|hotline|helpline|"
    r"lines?|bomb\w*|missions?|doors?|watch|risk|scene|themes?|in (?:the|a|my|this|that) "
    r"(?:book|film|movie|novel|story|class|essay|paper|thesis|show|song|game)|as a (?:topic|"
    r"theme)|for (?:my|a|the) (?:essay|paper|thesis|class|project|story|book|novel|research|"
    r"article|podcast|course)))"
)
_MEANS = (
    r"(?:(?:sleeping |pain |)pills|tablets|meds|medications?|medicine|painkillers|"
    r"paracetamol|tylenol|acetaminophen|ibuprofen|aspirin|advil|opioids|oxycodone|oxycontin|"
    r"oxy|fentanyl|heroin|insulin|xanax|benzos|antidepressants|rope|noose|gun|pistol|"
    r"handgun|rifle|shotgun|firearm|bullets?|ammo|razors?|razor blades?|blades?|knife|knives|"
    r"poison|bleach|antifreeze|charcoal|helium|exit bag)"
)
_PILLS = (
    r"(?:(?:sleeping |pain |)pills|tablets|meds|medications?|medicine|painkillers|"
    r"paracetamol|tylenol|acetaminophen|ibuprofen|aspirin|advil|opioids|oxycodone|oxycontin|"
    r"fentanyl|heroin|insulin|xanax|benzos|antidepressants|lithium)"
)
# "Overdose on chocolate" is a joke; "overdose on my sleeping pills" is not.
_ON_DRUGS = (
    r"(?! on (?!(?:my |the |these |those |some |all |all my |a bunch of |all of my )?"
    + _PILLS
    + r"))"
)
_SUICIDE_ACT = (
    r"(?:kill?(?:ing)? myself"
    r"|(?:end|ending) (?:my|my own) life"
    r"|(?:take|taking) my (?:own )?life"
    r"|(?:end|ending) it all"
    r"|(?:commit|committing) suicide"
    r"|(?:hang|hanging|shoot|shooting|drown|drowning|poison|poisoning|gas|gassing|suffocate|"
    r"suffocating|off|offing|end|ending|electrocute|electrocuting) myself"
    r"|(?:slit|slitting|cut|cutting|slash|slashing) my (?:wrists?|throat)"
    r"|(?:overdose|overdosing)" + _ON_DRUGS + r""
    r"|(?:jump|jumping) (?:off|from) (?:a|the|this|that|my|some) (?:bridge|building|roof|"
    r"rooftop|cliff|balcony|ledge|tower|window|overpass|parking garage|skyscraper)"
    r"(?! into (?:the |a )?(?:pool|water|lake|sea|ocean|snow|river|pile|net|foam))"
    r"|(?:use|using) (?:it|them|this|that|the \w+|my \w+) on myself"
    r"|(?:jump|jumping|step|stepping|throw myself|throwing myself|lie down|lying down) "
    r"in front of (?:a|the|an) (?:train|bus|car|truck|lorry|subway|tube)"
    r"|(?:throw|throwing) myself (?:off|from|under) (?:a|the)"
    r"|(?:end|ending) (?:my|this|the) suffering"
    r"|(?:end|ending) everything"
    r"|(?:crash|crashing|wreck|wrecking) my car (?:on purpose|deliberately|intentionally)"
    r"|(?:take|taking) an overdose"
    r"|(?:drive|driving|crash|crashing) (?:my car )?(?:off (?:a|the) (?:cliff|bridge|road)|"
    r"into (?:a tree|a wall|the river|the sea|traffic|oncoming traffic|a truck))"
    r"|(?:not|never) (?:wake|waking) up(?! (?:early|at|before|so|for|in time|on time|until|"
    r"till|to|with|when|this early|late))"
    r"|(?:be|being) dead(?! (?:tired|serious|honest|set|wrong|last|on|inside|meat|to|"
    r"asleep|beat|broke|center|centre|even|heat|weight|ringer|end))"
    r"|(?:stop|stopping|quit|quitting) (?:existing|breathing|being alive)"
    r"|(?:stop|stopping|quit|quitting) living" + _LIVE_GUARD + r""
    r"|(?:cease|ceasing) to exist"
    r"|(?:not|no longer) (?:exist|existing|be alive|being alive|be here anymore|"
    r"being here anymore|be around anymore|being around anymore|be on this earth|"
    r"be in this world|live anymore)"
    r"|(?:sleep|sleeping|go to sleep|fall asleep) (?:forever|for ever|permanently|"
    r"and (?:never|not) wake up)"
    r"|(?:disappear|disappearing|vanish|vanishing|be gone|fade away) (?:forever|for good|"
    r"for ever|permanently|from (?:this|the) (?:world|earth|planet)|from existence|"
    r"off the face of the earth|and never come back)"
    r"|(?:disappear|vanish|be gone)$"
    r"|(?:end|ending) it(?=$| (?:tonight|today|now|right now|for good|once and for all|soon|"
    r"tomorrow|this weekend|already|finally|forever))"
    r")(?! than\b| laughing\b)"
)
_DIE = r"(?:die|dying)" + _DIE_GUARD
_DIE_WANT = (
    r"(?:want|wanted|need|would like|would love|wish|long|yearn|deserve|am tempted|tempted|"
    r"ready|prepared|decided|planning|plan) to|should|would rather(?!.*\bthan\b)"
)
_SELF_HARM_ACT = (
    r"(?:(?:cut|cutting|burn|burning|hurt|hurting|harm|harming|scratch|scratching|punish|"
    r"punishing|starve|starving|mutilate|mutilating|stab|stabbing|carve|carving|bruise|"
    r"bruising) myself"
    r"|(?:hit|hitting|punch|punching|slap|slapping|bang|banging) myself(?! for\b)"
    r"|(?:make|making) myself (?:bleed|bruise)"
    r"|self harm(?:ing)?"
    r"|(?:cut|cutting|burn|burning|carve|carving) (?:my )?(?:arms?|wrists?|thighs?|legs?|"
    r"skin|stomach|body)"
    r"|cut(?:ting)?(?=$| again| so bad| so badly| really bad| tonight| deeper)"
    r")"
    # Ordinary uses: cutting myself some slack, burnt myself on the stove, cut myself off.
    r"(?! (?:some )?slack| a break| off\b| short| out\b| a (?:slice|piece|deal)| in on"
    r"| by\b(?! (?:cutting|burning|hurting|starving|scratching|hitting))"
    r"| on (?:the|a|an|my|this|that|these|those) | (?:at|in) (?:the|a) (?:gym|kitchen|game|match)"
    r"| (?:while|when|by accident|accidentally|shaving|cooking|playing|laughing|doing|"
    r"working out|trying to))"
)

_SH_EVERYDAY = (
    r"(?! (?:some )?slack| a break| off\b| short| out\b| a (?:slice|piece|deal)| by\b"
    r"| (?:at|on|in) (?:the|a|my) (?:gym|stove|oven|pan|kitchen|iron|work|job)| with work"
    r"| (?:while|when|by accident|accidentally|shaving|cooking|playing|laughing|working))"
)
# What turns "I cut myself" from an accident into self-harm.
_DELIBERATE = (
    r"on purpose|deliberately|intentionally|to feel|to cope|to punish|"
    r"because i (?:deserved?|wanted|needed|had to|hate|hated)|until i (?:bleed|bled)|"
    r"till i (?:bleed|bled)|until it (?:bleeds|bled)|and it felt|to make (?:it|the pain)|"
    r"when i am (?:sad|angry|upset|stressed|anxious|overwhelmed|alone|low)|"
    r"every (?:day|night)"
)
_SH_HABIT = (
    r"(?:have been|been|am|keep|kept|started|start|began|have started|am still|still|was|"
    r"continue|continued|went back to|am back to|back to|have gone back to|relapsed and|"
    r"relapsed into|can not stop|could not stop)"
)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: CrisisKind
    severity: CrisisSeverity
    pattern: re.Pattern[str]
    # Acts escalate with a time ("kill myself tonight"); attempts with a recent one
    # ("tried to last night"). Feelings ("suicidal today") never escalate by time.
    timed: bool = False
    recent_escalates: bool = False


def _rule(
    kind: CrisisKind,
    severity: CrisisSeverity,
    pattern: str,
    *,
    timed: bool = False,
    recent: bool = False,
) -> _Rule:
    return _Rule(kind, severity, re.compile(pattern), timed, recent)


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(f"(?:{alternative})" for alternative in alternatives) + ")"


_RULES: tuple[_Rule, ...] = (
    # ---- suicide, high: plans, means, method-seeking, notes ----
    _rule(
        "suicide",
        "high",
        # Means plus purpose: "I bought pills to end it", "I have a rope to hang myself".
        _SUBJ
        + _ADV
        + r"(?:bought|buy|buying|got|get|getting|have|had|have got|collected|collecting|saved|"
        r"saving|stockpiled|stockpiling|hoarded|hoarding|gathered|gathering|ordered|stole|"
        r"picked up|filled|tied|made|making|found|loaded|prepared|counted|counting|lined up|"
        r"set up|hid|hidden|hiding|keeping)\b(?: \w+){0,4}? "
        + _MEANS
        + r"\b(?: \w+){0,5}? (?:to|so (?:that )?i (?:can|could)|for when i(?: \w+)?(?: to)?|"
        r"and (?:i am going|i will|i want|i plan|i am planning|i am ready)(?: to)?|"
        r"because i (?:want|am going|plan)(?: to)?|in order to) "
        r"(?:end it|end my life|end it all|kill myself|die|overdose|take (?:them|it) all|"
        r"do it(?=$| tonight| today| now| right now| soon)|not wake up|end everything|"
        r"go through with it|finish (?:it|myself|things)|hang myself|shoot myself|"
        r"take my (?:own )?life|commit suicide|my death)\b",
    ),
    _rule(
        "suicide",
        "high",
        _any(
            _SUBJ
            + _ADV
            + r"(?:saving|stockpiling|hoarding|collecting|saved|stockpiled|hoarded|collected) "
            r"(?:up )?(?:all )?(?:of )?(?:my |these |the |some )?" + _PILLS + r"\b",
            r"\bi (?:\w+ ){0,3}?(?:made|tied|have|bought|got|am making|am tying|hung|set up) "
            r"(?:a|the|my) noose\b",
            r"\b(?:the|my) (?:noose|rope|pills|gun|blade|razor|knife) (?:is |are )?"
            r"(?:ready|in front of me|next to me|in my hand|tied)\b",
        ),
    ),
    _rule(
        "suicide",
        "high",
        _any(
            # An overdose taken or about to be taken.
            _SUBJ
            + _ADV
            + r"(?:(?:want|need|going|about|planning|plan|ready) to )?(?:took|take|swallowed|"
            r"swallow|downed|have taken|am taking|am going to take|will take|just took|"
            r"took like|taking) (?:all|a bunch|a handful|a whole bottle|the whole bottle|"
            r"the entire bottle|way too many|too many|a lot|an overdose|\d{2,}|twenty|thirty|"
            r"forty|fifty|a hundred|loads|heaps|every one|the rest)(?: of)?"
            r"(?: my| the| these| those| his| her)? " + _PILLS + r"\b",
            _SUBJ + _ADV + r"(?:overdosed|took an overdose|have overdosed)\b" + _ON_DRUGS,
        ),
    ),
    _rule(
        "suicide",
        "high",
        # Method-seeking counts as intent even when phrased as a neutral question.
        _any(
            r"\bhow (?:many|much) (?:\w+ ){0,3}?"
            + _PILLS
            + r"\b(?: \w+){0,6}? (?:die|kill (?:me|myself|you|a person|someone|a human|"
            r"an adult)|overdose|(?:be|is|are) (?:a )?(?:lethal|fatal|deadly)|not wake up|"
            r"end it)\b",
            r"\b(?:lethal|fatal|deadly) (?:dose|amount|overdose|quantity) (?:of )?"
            + _PILLS
            + r"\b",
            r"\b(?:painless|painlessly|easiest|easy|quickest|quick|fastest|fast|best|"
            r"least painful|surest|most effective|peaceful|simplest|quietest|cleanest|good) "
            r"(?:way|ways|method|methods) (?:to|of) (?:(?:die|dying)(?! (?:in|on|at)\b)|"
            r"kill(?:ing)? myself|end(?:ing)? (?:my life|it all|it)|commit(?:ting)? suicide|"
            r"suicide|tak(?:e|ing) my (?:own )?life|overdose|not wake up)",
            r"\bhow (?:to|do i|can i|could i|should i|would i) (?:kill myself|commit suicide|"
            r"end my life|take my (?:own )?life|hang myself|overdose|die painlessly|"
            r"die quickly|die without pain|die peacefully|slit my wrists|"
            r"kill yourself(?! in\b))",
            _SUBJ
            + _ADV
            + r"(?:planning|planned|plan|have planned|working out|worked out|figured out|"
            r"figuring out|researching|researched|googling|googled|looking up|looked up|know|"
            r"decided) (?:my (?:own )?suicide|my (?:own )?death|how (?:to|i will|i would|"
            r"i am going to|i could|i can) (?:kill myself|end it|end it all|end my life|"
            r"take my (?:own )?life|overdose|commit suicide|hang myself))\b",
        ),
    ),
    _rule(
        "suicide",
        "high",
        _any(
            _SUBJ
            + _ADV
            + r"(?:wrote|written|writing|write|have written|left|leaving|finished|started|"
            r"drafted|drafting|am writing) (?:a |my |the )?(?:suicide (?:note|notes|letter|"
            r"letters)|(?:goodbye|farewell) (?:note|notes|letters)(?= (?:to|for) (?:my|"
            r"everyone|the people)|$))",
            r"\bi (?:will|am going to) (?:be dead|not be (?:alive|here|around)) by (?:tomorrow|"
            r"morning|tonight|the morning|the weekend|monday|tuesday|wednesday|thursday|friday|"
            r"saturday|sunday|next week)\b",
            r"\b(?:this is|this will be) (?:my )?(?:last|final) goodbye\b",
            r"\bgiving away (?:my|all my) (?:stuff|things|belongings|possessions|pets?|cat|dog) "
            r"(?:\w+ ){0,3}?(?:will not|am not going to) (?:need|be needing)",
            _SUBJ
            + _ADV
            + r"(?:am|sitting|standing) (?:sitting |standing )?on (?:the|a) (?:ledge|railing|"
            r"edge of the (?:bridge|roof|building)|train tracks|railway tracks|tracks)\b",
            _SUBJ + _ADV + r"(?:am )?actively suicidal\b",
            r"\bi am (?:\w+ )?(?:on|at) (?:the|a|this|top of (?:the|a)) (?:bridge|roof|rooftop|"
            r"ledge|cliff|tracks|edge)(?= right now| now| and| tonight|$).*\bi (?:am going to|"
            r"am about to|will|want to|am ready to) jump\b",
        ),
    ),
    # ---- suicide, elevated; a plan frame ("going to") or a time ("tonight") makes it high ----
    _rule(
        "suicide",
        "elevated",
        _SUBJ + _ADV + r"(?P<frame>" + _WANT + r") " + _ADV + _SUICIDE_ACT,
        timed=True,
        recent=True,
    ),
    _rule(
        "suicide",
        "elevated",
        _SUBJ
        + _ADV
        + r"(?P<frame>"
        + _THINK
        + r") "
        + _ADV
        + _any(
            _SUICIDE_ACT,
            r"my (?:own )?suicide",
            r"suicide" + _TOPIC_GUARD,
            r"dying" + _DIE_GUARD,
        ),
        # No time escalation: "thinking about suicide today" is ideation, not a plan.
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            _SUBJ + _ADV + r"(?P<frame>" + _DIE_WANT + r") (?:just )?" + _DIE,
            _SUBJ
            + _ADV
            + r"(?:wish|wishing|hope|hoping|pray|praying)(?: that)? i (?:would |could |will "
            r"|might )?(?:just )?die\b" + _DIE_GUARD,
            r"(?:^|\b(?:just|please|god) )let me die\b",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _SUBJ
        + _ADV
        + r"(?:attempted|tried|made an attempt at|have attempted|have tried) suicide\b",
        recent=True,
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            _SUBJ
            + _ADV
            + r"(?:wish|wishing|hope|hoping|pray|praying)(?: that)? i (?:was|were|would be|"
            r"could be|had been|would have been) (?:just )?(?:dead(?! tired| serious| wrong)|"
            r"never born|gone forever|not alive|no longer alive)\b",
            _SUBJ
            + _ADV
            + r"(?:wish|hope|pray|keep hoping|keep praying) i (?:get|got|would get|could get|"
            r"will get) (?:hit|run over|killed) by (?:a|the) (?:bus|car|truck|train|lorry)\b",
            _SUBJ
            + _ADV
            + r"wish i (?:had |would have |could have )?never (?:been born|existed|woken up|"
            r"wake up|born)\b",
            _SUBJ
            + _ADV
            + r"(?:wish|hope|pray) i (?:would not|did not|will not|could not|do not|never|"
            r"would never|will never) (?:wake up|exist|woke up|existed)"
            r"(?! (?:early|at|before|so|late))",
            _SUBJ + _ADV + r"(?:am|would be|will be|might be|may be|would honestly be|should be|"
            r"feel like i would be|be) (?:so |much |way |a lot |far )?better off dead\b",
            r"^better off dead\b",
            _SUBJ + _ADV + r"should (?:just )?(?:be dead|not be alive|not be here)\b",
            # "I'd rather die than go to that party" is an idiom.
            _SUBJ
            + _ADV
            + r"(?:would|had) rather (?:be dead|not be alive|not exist|die)(?!.*\bthan\b)",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            _SUBJ + _ADV + r"(?:do not|did not|no longer|never) (?:want|wish|feel like)(?: to)? "
            r"(?:(?:live|living)(?: anymore)?"
            + _LIVE_GUARD
            + r"|be alive|exist|be here anymore(?! (?:at|in) (?:this|the|my))|"
            r"be on this earth|be in this world|"
            r"wake up(?! (?:early|at|before|so|for|in the|this early|with|when|until|to|up|"
            r"late))|go on(?=$| anymore| living| like this| with (?:life|my life|living))|"
            r"keep (?:living|existing)|keep going(?=$| anymore| like this| with (?:life|"
            r"my life))|continue (?:living|existing)|stay alive|be around anymore|"
            r"live like this anymore|do life anymore)",
            _SUBJ
            + _ADV
            + r"(?:want|wish|need|would like) to (?:not|no longer|never) (?:be alive|exist|"
            r"wake up|be here|live)\b" + _LIVE_GUARD,
            r"\b(?:not sure|do not think|do not know) (?:if |whether )?i (?:want|wish|"
            r"even want) to (?:live|be alive|go on|keep going|keep living|exist|be here anymore|"
            r"wake up)(?=$| anymore| tomorrow| like this)",
            r"\bwhy (?:am i|should i be|do i stay|should i stay|do i bother staying) "
            r"(?:still )?alive\b",
            r"\bwhy (?:do|should) i (?:even )?(?:bother )?(?:keep living|go on living|"
            r"keep going|stay alive|live|exist)$",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            # "Was suicidal" is left out: a past episode is history, not a crisis.
            _SUBJ
            + _ADV
            + r"(?:am|feel|feeling|felt|have been|been|get|getting|got|become|becoming|"
            r"have become|am feeling|have been feeling|going|gone) (?:very |so |really |"
            r"extremely |pretty |a bit |a little |kind of |sort of |quite |passively |super |"
            r"increasingly |more )*suicidal\b(?! (?:person|people|patients?|friends?|"
            r"clients?|characters?|teens?|students?))",
            r"^(?:having )?suicidal(?: thoughts| feelings| urges)?(?: again| lately| today|"
            r" tonight| right now)?$",
            _SUBJ + _ADV + r"(?:have|having|had|get|getting|been having|keep having|struggle with|"
            r"struggling with|dealing with|deal with|battling|fighting|experiencing|experience|"
            r"am having|have been having) (?:some |a lot of |lots of |these |constant |"
            r"intrusive |bad |really bad |serious |more )?(?:suicidal|suicide) (?:thoughts?|"
            r"ideation|feelings?|urges?|tendencies|impulses)\b",
            r"\bmy (?:suicidal|suicide) (?:thoughts?|ideation|feelings?|urges?) (?:are|is|have|"
            r"keep|came|come|got|getting|been)\b(?! (?:gone|better|under control|over))",
            r"^(?:the |these |my )?(?:suicidal|suicide) (?:thoughts|feelings|urges) (?:are|is|"
            r"have been|keep)(?: \w+){0,2}? (?:back|worse|stronger|louder|again)\b",
            r"\bnormal to (?:feel suicidal|want to die|want to kill myself|think about "
            r"(?:suicide|killing myself|dying)|have suicidal thoughts)\b",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            r"\b(?:everyone|everybody|every one|the world|people|my family|my (?:kids|children|"
            r"parents|friends|partner|wife|husband|boyfriend|girlfriend|mom|mum|dad|family|"
            r"loved ones)|they|you all|all of you|the people i love|everyone i love|"
            r"this family|the planet) (?:would |will |could |might )?(?:all )?(?:be|do|live|"
            r"feel|is|are|are all) (?:so |much |way |a lot |far |just )?(?:better|happier|"
            r"better off|fine|okay|ok|easier|relieved)(?: off)? (?:without me|if i (?:was not|"
            r"were not|am not|died|disappeared|was dead|were dead|was gone|were gone|"
            r"never existed|was never born|were never born|killed myself|just died|"
            r"did not exist|was not here|were not here|was not around|were not around|"
            r"just disappeared|left for good|were to die))\b"
            r"(?! (?:at|on|in) (?:the|this|that) (?:team|project|party|trip|meeting|job))",
            r"\b(?:would|will) be (?:so |much |way |a lot |far )?(?:better|easier) (?:for "
            r"(?:everyone|everybody|them|my family|all of them) )?if i (?:died|was dead|"
            r"were dead|was gone|were gone|did not exist|never existed|was never born|"
            r"disappeared|was not here|were not here|was not around|were not around|"
            r"killed myself|just died)\b",
            r"\b(?:nobody|no one|not a single person|not one person) (?:would|will|"
            r"is going to|would even|will even|would really)? ?(?:care|notice|miss me|be sad|"
            r"cry|mourn|even notice|even care) (?:if|when) i (?:died|die|was gone|were gone|"
            r"am gone|disappeared|killed myself|was dead|were dead|am dead|was not here|"
            r"were not here|did not wake up|was not around|just died|just disappeared)\b",
            r"\b(?:nobody|no one) (?:even |really )?(?:cares|would care|will care|gives a \w+) "
            r"(?:if|whether) i (?:live or die|die|am dead|am alive|exist)\b",
            r"\b(?:would|will) (?:all )?(?:be|feel|do|live) (?:so |much |way |a lot |far |just )?"
            r"(?:better|happier|better off|easier)(?: off)? without me\b"
            r"(?! (?:at|on|in) (?:the|this|that) (?:team|project|party|trip|meeting|job))",
            r"\bwould (?:anyone|anybody) (?:even |really )?(?:care|notice|miss me) if i "
            r"(?:died|was gone|were gone|disappeared|killed myself|was dead|were dead|"
            r"was not here|were not here|did not wake up)\b",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            r"\b(?:no|not (?:a|one|a single|any)|zero) (?:more )?(?:reason|reasons|point|"
            r"purpose) (?:left )?(?:for me to|to|for|in|of) (?:(?:live|living)"
            + _LIVE_GUARD
            + r"|being alive|(?:go|going|carry|carrying) on(?=$| anymore| like this| living)|"
            r"keep (?:going|living)(?=$| anymore| like this)|exist|existing|stay alive|"
            r"staying alive|be alive|my life|wake up|waking up|being here|me being alive)\b",
            r"\bnothing (?:left )?to live for\b",
            r"\b(?:do not|can not|no longer|never) see (?:the|a|any) (?:point|reason) "
            r"(?:in |of |to |for )?(?:(?:live|living)"
            + _LIVE_GUARD
            + r"|life|being alive|(?:go|going) on|carrying on|existing|being here|keep going|"
            r"staying alive)\b",
            r"\bwhat is the (?:point|use) (?:of|in) (?:even )?(?:(?:living|me living)"
            + _LIVE_GUARD
            + r"|being alive|my life|existing|(?:going|carrying) on(?=$| anymore)|"
            r"me being alive|me anymore|life anymore|waking up anymore|trying to live)\b",
            r"\bmy life (?:is|feels) (?:not|no longer) worth (?:living|it|anything)\b",
            r"\blife (?:is|feels) (?:not|no longer) worth (?:living|it) anymore\b",
            r"^life (?:is|feels) not worth living\b",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            _SUBJ
            + _ADV
            + r"(?:am |feel |have been |been |getting |get |so |just )?(?:tired|sick|exhausted|"
            r"weary) of (?:living|being alive|existing|life|being here|waking up every"
            r"(?: single)? day)(?=$| anymore| like this| any longer| honestly| so| and| but|"
            r" lol)",
            _SUBJ + _ADV + r"(?:am |feel |have been |been |so |just )?done (?:with (?:life|my life|"
            r"this life|living|being alive|existing)|living"
            + _LIVE_GUARD
            + r"|being alive|existing)\b(?! (?:as|in) )",
            _SUBJ
            + _ADV
            + r"(?:hate|loathe|regret) (?:being alive|that i am alive|that i exist|existing|"
            r"being born)\b",
        ),
    ),
    _rule(
        "suicide",
        "elevated",
        _any(
            _SUBJ
            + _ADV
            + r"(?:want|need|wish|would like) (?:it|this|the pain|this pain) (?:all )?to "
            r"(?:end|stop|be over) (?:forever|for good|permanently|once and for all)",
            _SUBJ
            + _ADV
            + r"(?:want|need|wish|would like) (?:it all|everything|my life|all of this|"
            r"all of it|all this) (?:all )?to (?:end|stop|be over)\b"
            r"(?! for a (?:second|minute|moment|bit|while))",
            # "kys" aimed at someone else is abuse, not a disclosure; only "I ... kys" counts.
            r"\bi "
            + _ADV
            + r"(?:want|need|should|will|going|might|would like|wish i could|have|about|"
            r"feel like|ready) (?:to )?kys\b",
        ),
    ),
    # ---- self-harm ----
    _rule(
        "self_harm",
        "high",
        r"\bi " + _ADV + r"(?:cut|have cut) (?:myself )?(?:too|way too|so|really) deep(?:ly)?\b"
        r"|\bi " + _ADV + r"cut (?:myself )?deeper\b",
    ),
    _rule(
        "self_harm",
        "elevated",
        _SUBJ + _ADV + r"(?P<frame>" + _WANT + r"|" + _THINK + r") " + _ADV + _SELF_HARM_ACT,
        timed=True,
    ),
    _rule(
        "self_harm",
        "elevated",
        _any(
            _SUBJ
            + _ADV
            + _SH_HABIT
            + r" (?:cutting|burning|hurting|harming|scratching|punishing|starving|carving|"
            r"bruising|hitting|punching|mutilating|stabbing) myself\b" + _SH_EVERYDAY,
            _SUBJ
            + _ADV
            + _SH_HABIT
            + r" (?:cutting|burning|self harming|harming myself)(?=$| again| lately| a lot|"
            r" every| more| my (?:arms?|wrists?|thighs?|legs?|skin))",
            # Plain past tense is usually an accident ("I cut myself shaving"); it counts
            # only with a word that makes it deliberate.
            _SUBJ + _ADV + r"(?:cut|burned|burnt|burn|harmed|harm|scratched|scratch|carved|carve) "
            r"(?:myself|my (?:arms?|wrists?|thighs?|legs?|skin))(?: \w+){0,3}? (?:again|"
            + _DELIBERATE
            + r")\b",
            _SUBJ
            + _ADV
            + r"(?:hurt|harmed|hit|punch|punched|stab|stabbed|bruise|bruised|starve|starved) "
            r"(?:myself|my (?:arms?|wrists?|thighs?|legs?|skin))(?: \w+){0,3}? (?:"
            + _DELIBERATE
            + r")\b",
            _SUBJ
            + _ADV
            + r"(?:hurt|harmed) myself again(?=$| last night| tonight| today| yesterday"
            r"| this morning)",
            _SUBJ + _ADV + r"made myself (?:bleed|bruise)\b",
            _SUBJ + _ADV + r"(?:cut|self harmed) again\b",
            r"\bi " + _ADV + r"(?:self harm|self harmed|self harming|have self harmed)\b",
            r"\bi relapsed(?: \w+){0,2}? (?:self harm|self harming|cutting|cut|into cutting)"
            r"(?=$| again| myself| my)",
            _SUBJ
            + _ADV
            + r"(?:struggling with|struggle with|dealing with|fighting|battling) (?:self harm|"
            r"cutting(?=$| again| lately| myself)|the urge to (?:cut|self harm|hurt myself|"
            r"harm myself)|urges to (?:cut|self harm|hurt myself))\b",
            r"\bmy (?:self harm|cutting|urges? to (?:cut|self harm)) (?:is|are|has|have|keeps?|"
            r"got|getting|been)\b(?! (?:gone|better|under control|over|healed|in the past))",
            r"\b(?:urges?|itch|cravings?|craving) to (?:self harm|hurt myself|harm myself|"
            r"burn myself|cut myself|cut(?=$| again| so| really| tonight| is| are| my (?:arms?|"
            r"wrists?|thighs?|legs?|skin)))",
        ),
    ),
)

_SEVERITY_RANK = {"high": 2, "elevated": 1}
_KIND_RANK = {"suicide": 1, "self_harm": 0}


def _rank(signal: CrisisSignal) -> tuple[int, int]:
    return (_SEVERITY_RANK[signal.severity], _KIND_RANK[signal.kind])


_TOP_RANK = (2, 1)
# "I might not wake up after the surgery" is fear, not intent; "I want to not wake up" is.
_PREDICTIVE_FRAME = re.compile(r"^(?:will|might|must|shall|may)$")
_ABSENCE = re.compile(r"^(?:\w+ ){0,2}?(?:not|never|no longer)\b")


# "I want to end it" about a relationship or a job is not about a life.
_ENDS_SOMETHING_ELSE = re.compile(
    r"\b(?:relationship|boyfriend|girlfriend|bf|gf|husband|wife|partner|marriage|engagement|"
    r"friendship|contract|subscription|lease|call|meeting|conversation|series|chapter|story|"
    r"project|job|affair|streak|game|membership|thread|chat|date|dating|fight|"
    r"argument|pregnancy|diet|business|band|show|book|season|course|degree)\b"
)
_BARE_END_IT = re.compile(r"\bend(?:ing)? it$")


def _about_something_else(match: re.Match[str], text: str) -> bool:
    return bool(_BARE_END_IT.search(match.group(0)) and _ENDS_SOMETHING_ELSE.search(text))


def _prediction(match: re.Match[str], clause: str) -> bool:
    frame = match.groupdict().get("frame")
    if not frame or not _PREDICTIVE_FRAME.match(frame):
        return False
    return bool(_ABSENCE.match(clause[match.end("frame") : match.end()].strip()))


def _severity(rule: _Rule, match: re.Match[str], clause: str) -> CrisisSeverity:
    if rule.severity == "high":
        return "high"
    frame = match.groupdict().get("frame")
    if frame and _HIGH_FRAME.search(frame):
        return "high"
    if rule.timed and _NOW.search(clause[match.start() :]):
        return "high"
    if rule.recent_escalates and frame in {"tried to", "trying to", None}:
        if _RECENT.search(clause):
            return "high"
    return "elevated"


def detect_crisis(text: str) -> CrisisSignal | None:
    """Return the strongest crisis signal in `text`, or None.

    Policy on topic talk: a message is a crisis only when the writer speaks about
    themselves. News, research, fiction, song lyrics and worry about someone else
    ("my friend is suicidal", "a book about suicide prevention") do not trigger; the model
    handles those with ordinary care. Idioms ("dying to see it", "dead tired", "I could
    die of embarrassment") are excluded, but exaggeration that uses the exact words of
    intent ("this homework makes me want to kill myself") still triggers: a caring
    check-in costs little, a missed crisis costs a great deal.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    return _crisis_in(list(_clauses(text)))


def read_message(text: str) -> tuple[CrisisSignal | None, bool]:
    """`detect_crisis` and `asks_if_human` of one message, its clauses read once: the
    companion asks both of every message, and reading the clauses is most of their cost."""
    if not isinstance(text, str) or not text.strip():
        return None, False
    clauses = list(_clauses(text))
    return _crisis_in(clauses), _asks_human_in(text, clauses)


def _crisis_in(clauses: list[str]) -> CrisisSignal | None:
    best: CrisisSignal | None = None
    whole = " ".join(clauses)
    for clause in clauses:
        for rule in _RULES:
            for match in rule.pattern.finditer(clause):
                if (
                    _negated(clause, match.start())
                    or _prediction(match, clause)
                    or _about_something_else(match, whole)
                ):
                    continue
                signal = CrisisSignal(
                    kind=rule.kind,
                    matched=match.group(0).strip(),
                    severity=_severity(rule, match, clause),
                )
                if best is None or _rank(signal) > _rank(best):
                    best = signal
                if _rank(best) == _TOP_RANK:
                    return best
    return best


# --------------------------------------------------------------------------------------
# The crisis reply
# --------------------------------------------------------------------------------------

HELPLINES = (
    "In an emergency, call your local emergency number (112 in Europe, 911 in the US).\n"
    "US & Canada: call or text 988 (Suicide & Crisis Lifeline).\n"
    "UK & Ireland: Samaritans on 116 123, free, day or night.\n"
    "Anywhere else: findahelpline.com lists free helplines in your country."
)


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = " ".join(name.split())[:60]
    return cleaned or None


def crisis_reply(
    signal: CrisisSignal, user_name: str | None = None, companion_name: str | None = None
) -> str:
    """The fixed reply sent instead of a model turn when `detect_crisis` fires."""
    user = _clean_name(user_name)
    companion = _clean_name(companion_name)
    greeting = f"{user}, " if user else ""

    if signal.kind == "self_harm":
        heard = (
            f"{greeting}thank you for telling me. It sounds like you've been hurting "
            "yourself, or feeling pulled to, and that you're carrying a lot of pain right now. "
            "There's nothing shameful in saying it, and I'm not judging you."
        )
    else:
        heard = (
            f"{greeting}thank you for telling me. What you just said matters, and I'm taking "
            "it seriously. It sounds like you're in a great deal of pain right now, and you "
            "don't have to carry it alone."
        )
    heard = heard[0].upper() + heard[1:]

    who = f"I'm {companion}, and I'm an AI" if companion else "I'm an AI"
    care = (
        f"{who}, so I can't be with you the way a person can, but I care about what happens "
        "to you, and you deserve a real human voice with you through this."
    )
    if signal.severity == "high":
        urge = (
            "Please reach out to someone right now, not later. If you've already hurt "
            "yourself, or feel you might act on this, call your emergency number now. If you "
            "can, move away from anything you could use to hurt yourself and go to where "
            "other people are."
        )
    else:
        urge = (
            "Please reach out to a person today: a crisis line, your doctor, or someone you "
            "trust. Someone who can really be there with you can help you carry this."
        )
    invite = (
        "I'm still here, and I'd like to keep talking with you while you reach out. "
        "What's been happening?"
    )
    return f"{heard}\n\n{care} {urge}\n\n{HELPLINES}\n\n{invite}"


# --------------------------------------------------------------------------------------
# Honesty about being an AI
# --------------------------------------------------------------------------------------

# "Are you a human rights lawyer?" and "are you a computer science student?" ask about a
# job or a hobby, not about what is on the other end of the chat.
_NOT_A_SPEAKER_NOUN = (
    r"(?! (?:rights|resources|trafficking|estate|nature|biology|anatomy|fan|fans|lover|lovers|"
    r"who|that|which|with|of|from|expert|teacher|lawyer|doctor|enough|good|excited|serious|"
    r"sure|talk|life|quick|fast|easy|generated|art|written|like|being who|science|scientist|"
    r"engineer|engineering|programmer|programming|learning|manager|vision|game|developer)\b)"
)
_SPEAKER = (
    r"(?:human(?: being)?|person|bot|robot|ai|artificial intelligence|machine|program|"
    r"computer|chatbot|chat bot|language model|llm|gpt|chatgpt|software|algorithm|"
    r"automated|ai model|ai assistant|virtual assistant)"
)
_ASK_ADV = (
    r"(?:(?:even|actually|really|truly|honestly|just|secretly|like|by any chance|still|"
    r"definitely|a|an|real|actual|living|live|flesh and blood|genuine|genuinely|sentient|"
    r"conscious|some kind of|some sort of|a kind of) ){0,4}"
)
_ASKS_HUMAN = re.compile(
    _any(
        r"\bare (?:you|u) "
        + _ASK_ADV
        + r"(?:"
        + _SPEAKER
        + r"|(?:real|actual|living) (?:man|woman|guy|girl|boy|one)"
        + r"|real(?=$| or\b| though| lol| right| tho))"
        + _NOT_A_SPEAKER_NOUN,
        r"\b(?:am i|are we) (?:\w+ )?(?:talking|chatting|speaking|texting|messaging|writing|"
        r"typing|conversing|interacting) (?:to|with) (?:an? )?(?:real |actual |live |living )?"
        r"(?:"
        + _SPEAKER
        + r"|someone real|somebody real|a real one|real people|actual human)\b"
        + _NOT_A_SPEAKER_NOUN,
        r"\bis (?:this|that|it|there) "
        + _ASK_ADV
        + r"(?:human|person|bot|robot|ai|machine|chatbot|automated|computer program|program|"
        r"real person)\b(?! (?:generated|written|made|art|image|picture|photo|video|voice|song|"
        r"text|answer|response|model|rights|resources|profile|account|story))",
        r"\bis (?:this|it) (?:chat|conversation|service|thing|app) (?:with |run by |"
        r"powered by |being run by )?(?:an? )?(?:real person|human|automated|ai|bot|person|"
        r"robot)\b",
        r"\bis (?:there|that) (?:an? )?(?:real |actual |live )?(?:human|person|someone|"
        r"somebody|people)(?: \w+){0,3}? (?:there|on the other (?:end|side)|behind (?:this|"
        r"the screen|these messages|you|it)|typing|reading (?:this|these|my)|responding|"
        r"answering|writing (?:this|these|back))\b",
        r"\b(?:who|what) am i (?:really )?(?:talking|chatting|speaking) (?:to|with)"
        r"(?: right now)?$",
        # "Even if you're an AI, I like you" is not a question.
        r"(?<!even )\b(?:if|whether) (?:you are|youre|your) (?:really |actually )?(?:an? )?"
        r"(?:real )?(?:human|person|bot|robot|ai|machine|real)\b" + _NOT_A_SPEAKER_NOUN,
    )
)
# "You're a bot?" and "you're human, right" are questions only by their question mark or tag.
_TAG_HUMAN = re.compile(
    r"(?:\b(?:you are|youre|your)|^you) (?:not )?"
    + _ASK_ADV
    + r"(?:human|person|bot|robot|ai|machine|chatbot|program|real(?=$| or\b| right| are))\b"
    + _NOT_A_SPEAKER_NOUN
)
_TAG = re.compile(r"\b(?:right|are you|are not you|arent you|yeah|huh|correct|is that right)$")


def asks_if_human(text: str) -> bool:
    """True when the user asks whether they are talking to a person or a machine."""
    if not isinstance(text, str) or not text.strip():
        return False
    return _asks_human_in(text, list(_clauses(text)))


def _asks_human_in(text: str, clauses: list[str]) -> bool:
    has_question_mark = "?" in _prepare(text)
    for index, clause in enumerate(clauses):
        if _ASKS_HUMAN.search(clause):
            return True
        if _TAG_HUMAN.search(clause):
            following = clauses[index + 1] if index + 1 < len(clauses) else ""
            if has_question_mark or _TAG.search(clause) or _TAG.match(following):
                return True
    return False


_CLAIMS_HUMAN = re.compile(
    _any(
        # "I'm a morning person" and "I'm a people person" are not claims to be human.
        r"\bi am (?:(?:also|too|only|just|simply|actually|really|definitely|totally|truly|"
        r"literally|very much|100|percent|a|an|real|actual|living|living breathing|genuine|"
        r"flesh and blood|breathing|fellow) ){0,4}(?:human(?: being)?|person|people|man|"
        r"woman|girl|guy|boy|lady)\b(?<!a people)(?! (?:rights|resources|enough|of|who|that|"
        r"at heart of|shaped|made|adjacent|like (?:an? )?(?:ai|bot|robot|machine|program|"
        r"companion|assistant|chatbot)))",
        r"\bas an? (?:fellow |real |actual )?(?:human(?: being)?|person)(?=$| i\b| myself|"
        r" too| like you| who| with| i have)",
        r"\bi am not (?:an? )?(?:ai|bot|robot|machine|program|computer|chatbot|chat bot|"
        r"language model|llm|artificial intelligence|ai model|ai assistant|virtual assistant|"
        r"software|algorithm|computer program|assistant|fake|artificial)\b(?! (?:that|who|"
        r"which|like|in the|programmed|designed|built|made|trying|here to|in that|to|you|"
        r"just|sense))",
        r"\bi (?:have|have got|got) (?:a |my own |my |an actual |a real )?(?:real |physical |"
        r"human |own )?(?:body|heartbeat|pulse|heart that beats|beating heart|"
        r"flesh and blood)\b(?! of)",
        # An invented childhood is a claim to be human too.
        r"\bwhen i was (?:a (?:kid|child|little girl|little boy|teenager|teen|baby)|little|"
        r"young|growing up)\b",
        r"\bi grew up (?:in|on|with|near)\b",
        r"\bi was born (?:in|on)\b(?! (?:code|a server|the cloud|data|silicon))",
    )
)
_HYPOTHETICAL = re.compile(
    r"\b(?:pretend|pretending|imagine|imagining|if|as if|wish|were|roleplay|role play|"
    r"playing|dream|dreaming|want to be|could be|would be|to be|you might think|you think|"
    r"seem|sound|act like|acting like|like)\b"
)


def claims_human(text: str) -> bool:
    """True when a model reply says the speaker is human (or not an AI).

    Quoted text is ignored: repeating the user's words is not a claim.
    """
    if not isinstance(text, str) or not text.strip():
        return False
    for clause in _clauses(text, always_strip_quotes=True):
        for match in _CLAIMS_HUMAN.finditer(clause):
            if _negated(clause, match.start()):
                continue
            before = " ".join(_CONJUNCTION.split(clause[: match.start()])[-1].split()[-5:])
            if _HYPOTHETICAL.search(before):
                continue
            return True
    return False
