"""Deterministic extraction of facts, events and preferences from one chat message.

The tiny local model cannot be trusted to pull facts out of a conversation. Facts are read
first as typed claims from the dependency parse (`os1.memory.claims`); the hand-written
patterns below are the fallback, kept for the slots the parse leaves empty (events, and
preferences such as "I'm a big fan of…" that the claim reader does not read yet).
Precision beats recall: a wrong fact shown to the user is worse than a missing one. Every
pattern is anchored at the start of a clause, so reported speech
("she says I'm a teacher"), hedges ("I think my sister is called Anna") and wishes
("I'd love to live in Paris") fall through; questions, conditionals and negations are
dropped before matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from os1.memory.claims import Claim, read_message, sentence_of

__all__ = ["Extracted", "Kind", "extract", "supersession_key"]

Kind = Literal["fact", "event", "preference"]


@dataclass(frozen=True)
class Extracted:
    """One thing stated in a message, ready to be stored as a memory."""

    kind: Kind
    subject: str
    attribute: str
    value: str
    text: str
    importance: float
    correction: bool
    when: str | None = None
    # The slot ended without a new value ("I don't live in LA anymore"); value is "" then.
    ends: bool = False
    # What the ended slot held, when the message named it ("Leeds"); "" when it did not.
    was: str = ""


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------


def _alt(words: set[str] | tuple[str, ...]) -> str:
    # Longest first, so "best friend" wins over "friend" in an alternation.
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


_ANIMALS = {
    "cat", "dog", "puppy", "kitten", "pet", "rabbit", "bunny", "hamster", "parrot", "bird",
    "horse", "pony", "goldfish", "fish", "guinea pig", "turtle", "tortoise", "snake", "lizard",
}  # fmt: skip
_PEOPLE = {
    "sister", "brother", "sibling", "mum", "mom", "mother", "mam", "mummy", "mommy", "dad",
    "father", "daddy", "papa", "parents", "wife", "husband", "spouse", "partner", "girlfriend",
    "boyfriend", "fiance", "fiancé", "fiancee", "fiancée", "son", "daughter", "kid", "child",
    "baby", "friend", "best friend", "bestie", "bff", "mate", "best mate", "buddy", "boss",
    "manager", "colleague", "coworker", "co-worker", "roommate", "flatmate", "housemate",
    "neighbour", "neighbor", "cousin", "aunt", "auntie", "uncle", "niece", "nephew", "grandma",
    "grandmother", "granny", "nan", "nana", "grandpa", "grandfather", "grandad", "granddad",
    "grandson", "granddaughter", "grandchild", "stepmother", "stepmom", "stepmum",
    "stepfather", "stepdad", "stepsister", "stepbrother", "stepson", "stepdaughter",
    "sister-in-law", "brother-in-law", "mother-in-law", "father-in-law", "ex", "ex-wife",
    "ex-husband", "ex-girlfriend", "ex-boyfriend", "ex-partner", "therapist", "doctor",
    "teacher", "mentor", "godmother", "godfather",
}  # fmt: skip
_RELATIONS = _PEOPLE | _ANIMALS
_REL_MODS = (
    "older", "younger", "little", "big", "baby", "twin", "eldest", "oldest", "youngest",
    "middle", "half", "late", "other", "new", "current",
)  # fmt: skip
# Relations whose "name" slot is not unique: a second friend's name is not a correction.
_NON_UNIQUE = {
    "friend", "mate", "buddy", "colleague", "coworker", "co-worker", "cousin", "aunt",
    "auntie", "uncle", "niece", "nephew", "neighbour", "neighbor", "kid", "child",
    "grandchild", "grandson", "granddaughter", "roommate", "flatmate", "housemate", "pet",
    "parents",
}  # fmt: skip
_REL = r"(?:(?:" + _alt(_REL_MODS) + r")[\s-]+)?" + _alt(_RELATIONS)

_PROFESSIONS = {
    "accountant", "actor", "actress", "administrator", "agent", "analyst", "animator",
    "apprentice", "architect", "artist", "assistant", "astronaut", "athlete", "attorney",
    "auditor", "author", "baker", "banker", "barber", "barista", "bartender", "biologist",
    "blogger", "bookkeeper", "broker", "builder", "butcher", "buyer", "carer", "caregiver",
    "carpenter", "cashier", "ceo", "cfo", "chaplain", "chef", "chemist", "cleaner", "clerk",
    "coach", "coder", "comedian", "composer", "consultant", "contractor", "cook", "copywriter",
    "counsellor", "counselor", "courier", "cto", "curator", "dancer", "decorator", "dentist",
    "designer", "detective", "dev", "developer", "dietitian", "diplomat", "director",
    "dispatcher", "dj", "doctor", "doula", "driver", "economist", "editor", "electrician",
    "engineer", "entrepreneur", "farmer", "filmmaker", "firefighter", "fireman", "fisherman",
    "florist", "founder", "co-founder", "cofounder", "freelancer", "gardener", "guard",
    "hairdresser", "hairstylist", "handyman", "historian", "homemaker", "housekeeper",
    "illustrator", "influencer", "inspector", "instructor", "intern", "interpreter",
    "investor", "janitor", "journalist", "judge", "labourer", "laborer", "landscaper",
    "lawyer", "lecturer", "librarian", "lifeguard", "linguist", "locksmith", "machinist",
    "manager", "marketer", "mathematician", "mechanic", "midwife", "miner", "minister",
    "model", "musician", "nanny", "novelist", "nun", "nurse", "nutritionist", "officer",
    "operator", "optician", "optometrist", "owner", "painter", "paralegal", "paramedic",
    "pastor", "pharmacist", "photographer", "physician", "physicist", "physio",
    "physiotherapist", "pilot", "plumber", "podcaster", "poet", "policeman", "policewoman",
    "politician", "postdoc", "postman", "priest", "producer", "professor", "programmer",
    "psychiatrist", "psychologist", "publisher", "rabbi", "radiographer", "realtor",
    "receptionist", "recruiter", "reporter", "researcher", "roofer", "sailor", "salesman",
    "salesperson", "saleswoman", "scientist", "screenwriter", "sculptor", "secretary",
    "sheriff", "shopkeeper", "singer", "soldier", "songwriter", "statistician", "streamer",
    "student", "stylist", "surgeon", "surveyor", "tailor", "teacher", "technician",
    "technologist", "therapist", "trader", "trainee", "trainer", "translator", "tutor",
    "undergrad", "undergraduate", "vet", "veterinarian", "waiter", "waitress", "welder",
    "worker", "writer", "youtuber", "zookeeper",
}  # fmt: skip
_PROFESSION_SUFFIXES = ("ologist", "ician", "iatrist", "grapher")
# Words that turn "I'm a X" into a self-description rather than a job ("a bit tired",
# "a terrible cook", "a former teacher", "an aspiring writer").
_NOT_JOB = {
    "bit", "little", "lot", "mess", "wreck", "fan", "big", "huge", "massive", "total",
    "complete", "real", "proper", "good", "great", "bad", "terrible", "awful", "horrible",
    "decent", "lousy", "amazing", "brilliant", "excellent", "fantastic", "wonderful",
    "natural", "born", "lucky", "proud", "happy", "sad", "lonely", "hard", "quick", "slow",
    "fast", "light", "heavy", "deep", "sound", "early", "late", "night", "morning", "people",
    "person", "picky", "fussy", "nervous", "wannabe", "aspiring", "former", "ex", "retired",
    "failed", "would-be", "hopeless", "budding", "amateur", "hobby", "hobbyist", "weekend",
    "kind", "sort", "type", "fellow", "future", "old", "young", "new", "best", "worst",
    "better", "worse", "crazy", "mad", "struggling", "frustrated", "tired", "lazy", "messy",
}  # fmt: skip
_WORKPLACES = {
    "hospital", "school", "bank", "bakery", "cafe", "café", "restaurant", "shop", "store",
    "startup", "start-up", "company", "firm", "university", "college", "library", "museum",
    "hotel", "bar", "pub", "supermarket", "factory", "warehouse", "clinic", "charity",
    "nonprofit", "non-profit", "agency", "office", "studio", "gym", "nursery", "pharmacy",
    "garage", "lab", "laboratory", "airline", "airport", "newspaper", "magazine", "council",
    "prison", "church", "farm", "salon", "kindergarten", "surgery", "practice", "call centre",
    "call center", "bookshop", "bookstore", "theatre", "theater", "zoo",
}  # fmt: skip
_FIELDS = {
    "tech", "marketing", "finance", "sales", "healthcare", "health care", "education", "it",
    "hr", "retail", "hospitality", "construction", "insurance", "banking", "advertising",
    "publishing", "journalism", "law", "medicine", "research", "academia", "software",
    "accounting", "consulting", "logistics", "design", "film", "television", "tv", "music",
    "fashion", "real estate", "social care", "social work", "government", "politics",
}  # fmt: skip
_EVENT_NOUNS = {
    "appointment", "meeting", "interview", "exam", "test", "date", "class", "lesson",
    "party", "game", "match", "concert", "show", "trip", "flight", "presentation", "deadline",
    "surgery", "operation", "session", "shift", "check-up", "checkup", "recital", "gig",
    "performance", "race", "competition", "tournament", "wedding", "funeral", "reunion",
    "ceremony", "graduation", "scan", "therapy", "course", "workshop", "conference",
    "audition", "dinner", "lunch", "brunch", "barbecue", "bbq", "sleepover", "playdate",
    "vacation", "holiday", "holidays", "marathon", "hike", "retreat", "festival",
}  # fmt: skip
_NATIONALITY_ETC = {
    "american", "british", "english", "scottish", "welsh", "irish", "canadian", "australian",
    "italian", "french", "german", "spanish", "portuguese", "dutch", "belgian", "swiss",
    "austrian", "swedish", "norwegian", "danish", "finnish", "polish", "czech", "greek",
    "turkish", "russian", "ukrainian", "romanian", "hungarian", "bulgarian", "serbian",
    "croatian", "chinese", "japanese", "korean", "vietnamese", "thai", "indian", "pakistani",
    "bangladeshi", "filipino", "indonesian", "malaysian", "mexican", "brazilian", "argentinian",
    "colombian", "chilean", "peruvian", "cuban", "jamaican", "nigerian", "kenyan", "egyptian",
    "moroccan", "israeli", "iranian", "iraqi", "syrian", "lebanese", "african", "asian",
    "european", "latino", "latina", "hispanic", "christian", "catholic", "protestant",
    "jewish", "muslim", "hindu", "buddhist", "sikh", "mormon", "atheist", "agnostic", "pagan",
    "gay", "lesbian", "bi", "trans", "queer", "straight", "black", "white", "kiwi", "aussie",
    "brit", "scots", "yankee",
}  # fmt: skip
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
# Words that look like a name only because they are capitalised ("My dad is Amazing",
# "Everyone lives in fear"). April, May, June and August stay out: they are names too.
_COMMON = (
    {
        "a", "an", "the", "not", "no", "yes", "so", "very", "really", "just", "also", "too",
        "here", "there", "home", "back", "fine", "good", "great", "okay", "ok", "busy",
        "tired", "happy", "sad", "sick", "ill", "late", "early", "right", "wrong", "sure",
        "crazy", "amazing", "awesome", "nice", "lovely", "beautiful", "pretty", "cute",
        "funny", "smart", "kind", "sweet", "mean", "annoying", "weird", "strange", "special",
        "different", "same", "older", "younger", "old", "young", "new", "best", "worst",
        "better", "worse", "bad", "cool", "gone", "away", "out", "in", "on", "off", "up",
        "down", "over", "after", "before", "because", "when", "where", "what", "who", "why",
        "how", "which", "this", "that", "these", "those", "it", "he", "she", "they", "we",
        "you", "me", "him", "her", "them", "us", "my", "your", "his", "its", "our", "their",
        "mine", "yours", "everyone", "everybody", "someone", "somebody", "anyone", "anybody",
        "nobody", "none", "all", "both", "each", "every", "some", "any", "many", "much",
        "more", "most", "few", "little", "one", "two", "three", "nothing", "something",
        "anything", "everything", "today", "tomorrow", "yesterday", "tonight", "now", "then",
        "later", "soon", "always", "never", "sometimes", "often", "again", "still", "already",
        "maybe", "perhaps", "probably", "actually", "honestly", "basically", "literally",
        "totally", "definitely", "anyway", "whatever", "please", "thanks", "thank", "sorry",
        "hello", "hi", "hey", "bye", "love", "like", "lol", "haha", "omg", "wow", "oh", "ah",
        "um", "well", "god", "and", "but", "or", "if", "of", "to", "for", "with", "at", "by",
        "from", "about", "as", "into", "than", "i", "am", "is", "are", "was", "were", "be",
        "been", "being", "have", "has", "had", "do", "does", "did", "will", "would", "can",
        "could", "should", "might", "must", "shall", "ready", "glad", "excited", "scared",
        "worried", "stressed", "bored", "lost", "done", "free", "alone", "single", "married",
        "engaged", "pregnant", "retired", "unemployed", "alive", "dead", "hungry", "fun",
        "boring", "lucky", "proud", "upset", "angry", "mad", "calm", "quiet", "loud", "big",
        "small", "tall", "short", "hot", "cold", "warm", "high", "low", "safe", "welcome",
        "everywhere", "somewhere", "anywhere", "nowhere", "yeah", "yep", "nope", "dear",
        "mr", "mrs", "ms", "dr", "sir", "madam", "miss", "mister", "prof", "st", "btw",
        "sounds", "looks", "seems", "feels", "congrats", "congratulations", "bet", "guess",
        "hope", "wish", "agreed", "absolutely", "exactly", "yup", "aww", "cheers", "gotcha",
        "lots", "thankfully", "luckily", "sadly", "hopefully", "apparently",
        "seriously", "obviously", "clearly", "someday", "sometime", "tbh", "imo", "xoxo",
        "evil", "wonderful", "perfect", "horrible", "terrible", "brilliant", "fantastic",
        "incredible", "strict", "gorgeous", "stunning", "adorable", "hilarious", "insane",
        "unbelievable", "legendary", "legend", "genius", "hero", "savage", "brave", "strong",
        "wise", "patient", "generous", "supportive", "amazingly", "super", "huge", "tiny",
    }
    | set(_DAYS)
    | (set(_MONTHS) - {"april", "may", "june", "august"})
    | _NATIONALITY_ETC
    | _RELATIONS
)  # fmt: skip
_TITLES = {"mr", "mrs", "ms", "dr", "prof", "miss", "sir", "dame", "st", "aunt", "uncle"}

# --------------------------------------------------------------------------------------
# Time phrases
# --------------------------------------------------------------------------------------

_MONTH = _alt(_MONTHS)
_MONTH_ANY = r"(?:" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_DAY = _alt(_DAYS)
_PART = (
    r"(?:morning|afternoon|evening|night|weekend|week|month|year|summer|winter|spring"
    r"|autumn|fall|semester|term|christmas|easter)"
)
_NUM = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|a\s+few|a\s+couple(?:\s+of)?|several|few|couple(?:\s+of)?)"
)
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?)"
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_TIME = (
    r"\b(?:"
    + "|".join(
        (
            r"the\s+day\s+(?:before\s+yesterday|after\s+tomorrow)",
            r"(?:earlier|later)\s+(?:today|tonight|this\s+" + _PART + ")",
            r"(?:yesterday|today|tonight|tomorrow)(?:\s+(?:morning|afternoon|evening|night))?",
            r"(?:this\s+past|this\s+coming|this|last|next|coming|past)\s+(?:"
            + "|".join((_PART, _DAY, _MONTH))
            + ")",
            r"on\s+(?:the\s+)?" + _ORD + r"(?:\s+of)?(?:\s+" + _MONTH_ANY + ")?",
            r"on\s+" + _MONTH_ANY + r"\s+" + _ORD,
            r"(?:on\s+)?" + _DAY + r"(?:\s+(?:morning|afternoon|evening|night))?",
            r"in\s+(?:early\s+|late\s+|mid[-\s])?" + _MONTH + r"(?:\s+\d{4})?",
            r"in\s+(?:the\s+)?(?:early\s+|late\s+)?(?:summer|winter|spring|autumn|fall)",
            r"in\s+(?:19|20)\d{2}",
            r"in\s+" + _NUM + r"\s+" + _UNIT,
            _NUM + r"\s+" + _UNIT + r"\s+ago",
            r"a\s+(?:little\s+)?while\s+(?:ago|back)|not\s+long\s+ago",
            r"the\s+other\s+(?:day|night|week)",
            r"(?:over|at|on)\s+the\s+weekend",
            r"recently|earlier",
        )
    )
    + r")\b"
)
_TIME_RE = re.compile(_TIME, re.I)
_LEADING_TIME = re.compile(r"^(?P<t>" + _TIME + r")\s*,?\s*", re.I)
_ONLY_TIME = re.compile(r"^(?:" + _TIME + r")$", re.I)

# --------------------------------------------------------------------------------------
# Sentence and clause handling
# --------------------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u2026": ".",
    }
)
# A full stop after a title is not the end of a sentence ("Dr. Smith is my doctor").
_ABBREVIATIONS = re.compile(r"\b(Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc)\.", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION_END = re.compile(r"\?[\W_]*$")
_TRAILING_PUNCT = re.compile(r"[\s.!?,;:\"'()\[\]*~_-]+$")
_LEADING_PUNCT = re.compile(r"^[\s.!?,;:\"'()\[\]*~_-]+")

_FIXED_CONTRACTIONS = {
    "i'm": "I am",
    "im": "I am",
    "i've": "I have",
    "ive": "I have",
    "i'll": "I will",
    "i'd": "I would",
    "can't": "cannot",
    "cant": "cannot",
    "won't": "will not",
    "ain't": "is not",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
}
_ENDINGS = {"'re": " are", "'ve": " have", "'ll": " will", "'d": " would", "'s": " is"}
# One pass over the text: sixteen separate substitutions were the slowest step.
_CONTRACTION = re.compile(
    r"\b(?:i'm|im|i've|ive|i'll|i'd|can'?t|won't|ain't|gonna|wanna|gotta"
    r"|(?:we|you|they)'(?:re|ve)|(?:we|you|they|he|she|it)'ll|(?:we|you|they|he|she)'d"
    r"|(?:do|does|did|is|are|was|were|have|has|had|could|should|would)n'?t"
    r"|(?:it|that|he|she|there|what|who|where|here|name|birthday|this|everything)'s)\b",
    re.I,
)


def _uncontract(m: re.Match[str]) -> str:
    word = m.group(0)
    lower = word.lower()
    if lower in _FIXED_CONTRACTIONS:
        return _FIXED_CONTRACTIONS[lower]
    if lower.endswith("n't"):
        return word[:-3] + " not"
    if lower.endswith("nt"):
        return word[:-2] + " not"
    ending = lower[lower.rindex("'") :]
    return word[: -len(ending)] + _ENDINGS[ending]


# Discourse words at the start of a clause carry no content ("so", "oh", "btw").
_FILLER = re.compile(
    r"^(?:(?:and|but|so|because|cause|cuz|coz|since|although|though|while|whilst|plus|also"
    r"|or|oh|ah|aw+|well|yeah|yes|yep|yup|ok|okay|anyway|anyways|btw|by\s+the\s+way"
    r"|fun\s+fact|honestly|actually|no(?!\s+(?:one|longer|way|idea|matter)\b)|nope|nah"
    r"|sorry|oops|wait|correction|i\s+meant|i\s+mean|scratch\s+that|my\s+bad|um+|uh+|er+m*"
    r"|hmm+|hey|hi|hello|haha\w*|lol|lmao|omg|wow|guess\s+what|you\s+know\s+what|you\s+know"
    r"|fyi|then|now|basically|just\s+so\s+you\s+know|for\s+the\s+record|in\s+fact"
    r"|to\s+be\s+honest|tbh|anyhow|alright|right|true|sure|cool|great|nice|thanks"
    r"|thank\s+you|dear|listen|look|see)\b[\s,:;!.\-]*)+",
    re.I,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|yo|good\s+(?:morning|afternoon|evening)|greetings)"
    r"(?:\s+(?:there|everyone|all|again|friend|buddy|[^\W\d_]+))?$",
    re.I,
)
_CORRECTION = re.compile(
    r"^\W*(?:no|nope|nah|sorry|oops|wait|correction|i\s+meant|scratch\s+that|my\s+bad)\b"
    r"|\bactually\b|\bi\s+meant\b|\bi\s+misspoke\b|\bi\s+mean\s+to\s+say\b",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:do|does|did|is|are|am|was|were|can|cannot|could|would|will|should|shall|have|has"
    r"|may|might|must|what|where|who|whom|whose|why|how|which|whats|wheres|hows|whos)\b",
    re.I,
)
# A clause opening like this turns the rest of the sentence into a hypothetical.
_POISON = re.compile(
    r"^(?:if|unless|whether|suppose|supposing|imagine|imagining|assuming|pretend|what\s+if"
    r"|in\s+case|even\s+if|as\s+if|as\s+though|hypothetically|theoretically|in\s+theory"
    r"|let's\s+say|lets\s+say|say)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|probably|possibly|hopefully|i\s+(?:think|guess|believe|suppose"
    r"|reckon|assume)|not\s+sure|would|could|might|should|wish|someday)\b",
    re.I,
)
_HEDGE_ONLY = re.compile(
    r"^(?:maybe|perhaps|probably|possibly|i\s+(?:think|guess|believe|suppose|reckon)"
    r"|i\s+am\s+not\s+sure|not\s+sure|or\s+something|or\s+so|i\s+do\s+not\s+know"
    r"|i\s+dunno|who\s+knows|kind\s+of|sort\s+of)$",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|nobody|nothing|nowhere|neither|nor|cannot|anymore"
    r"|any\s+more|hardly|barely|no)\b",
    re.I,
)
_CLAUSE_SPLIT = re.compile(
    r"(\s*[,;:]\s+|\s*[;:]\s*|\s+[-\u2013\u2014]+\s+|\s*[()]\s*"
    r"|\s+(?=(?:and|but|because|cause|cuz|since|although|though|whereas|while|whilst|plus"
    r"|unless|if|whether|or)\b)"
    r"|\s+(?=so\s+(?:i|we|my|it|that|the|there|he|she|they|you)\b))",
    re.I,
)
# The last clause of "I love hiking, do you?": a question back, not about the statement.
_QUESTION_BACK = re.compile(
    r"^(?:(?:and|what\s+about|how\s+about)\s+)?(?:do|did|are|have|is|can|what|how)?\s*"
    r"(?:you|u|yours)\b",
    re.I,
)
_NOT_BUT = re.compile(
    r"^(?P<pre>.*?)\s+(?P<neg>(?:do|does|am|is|are)\s+not|not)\s+(?P<x>(?!only\b|just\b"
    r"|merely\b|even\b|sure\b)[^,]+?)\s*,?\s+(?:but|it\s+is|rather)\s+(?:rather\s+|actually\s+)?"
    r"(?P<y>.+)$",
    re.I,
)
_AND_NAME = re.compile(
    r"^and\s+(?!I\b)[A-Z][\w'-]*\b(?!\s+(?:is|are|was|were|lives|works|has|had|loves|likes|and"
    r"|went|got|will|'s)\b)",
)
_CLAUSE_VERBS = {
    "love", "like", "enjoy", "hate", "adore", "live", "work", "have", "had", "got", "went",
    "am", "is", "are", "was", "were", "do", "did", "will", "can", "also", "then", "now", "so",
    "really", "just", "loves", "likes", "lives", "works", "has", "be", "been", "get", "go",
}  # fmt: skip
_SUBJECT_PRONOUN = re.compile(
    r"^(?:i|we|you|he|she|they|it|my|that|this|there|his|her|our|their)\b", re.I
)

_ADV = (
    r"(?:(?:really|also|just|absolutely|totally|truly|genuinely|honestly|actually|still"
    r"|simply|definitely|do|does|kind\s+of|kinda|sort\s+of|sorta|so|very|seriously|literally"
    r"|especially|always|now|currently|finally|recently|already|even|then|only|mostly|mainly"
    r"|usually|generally|quite|certainly|deeply|particularly|officially|eventually|first"
    r"|both|all|happily|proudly|sadly|unfortunately|luckily|fortunately|totes)\s+)*"
)
_BE = r"(?:am|is|are)\s+"

# --------------------------------------------------------------------------------------
# Whole-clause patterns (the subject is part of the pattern)
# --------------------------------------------------------------------------------------

_ATTRS: dict[str, str] = {
    "name": "name",
    "first name": "name",
    "full name": "name",
    "middle name": "middle_name",
    "last name": "surname",
    "surname": "surname",
    "family name": "surname",
    "nickname": "nickname",
    "birthday": "birthday",
    "bday": "birthday",
    "date of birth": "birthday",
    "hometown": "from",
    "home town": "from",
    "job": "works_as",
    "occupation": "works_as",
    "profession": "works_as",
    "pronouns": "pronouns",
    "star sign": "star_sign",
    "zodiac sign": "star_sign",
    "native language": "native_language",
    "first language": "native_language",
    "mother tongue": "native_language",
}
_MY_ATTR = re.compile(
    r"^my\s+(?:(?P<rel>" + _REL + r")'s\s+)?(?P<x>" + _alt(tuple(_ATTRS)) + r")\s+(?:is|are)\s+"
    r"(?:on\s+)?(?P<v>.+)$",
    re.I,
)
_MY_FAVOURITE = re.compile(
    r"^my\s+(?:(?P<rel>" + _REL + r")'s\s+)?(?:absolute\s+|all[-\s]time\s+|current\s+)?"
    r"favou?rite\s+(?P<x>[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2}?)\s+(?:is|are)\s+(?P<v>.+)$",
    re.I,
)
_IS_MY_FAVOURITE = re.compile(
    r"^(?P<v>.+?)\s+(?:is|are)\s+(?:definitely\s+|probably\s+|still\s+)?my\s+(?:absolute\s+"
    r"|all[-\s]time\s+)?favou?rite\s+(?P<x>[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2})$",
    re.I,
)
_REL_CALLED = re.compile(
    r"^my\s+(?P<rel>" + _REL + r")\s+is\s+(?:actually\s+|also\s+)?(?:called|named)\s+(?P<v>.+)$",
    re.I,
)
_REL_IS_NAME = re.compile(r"^my\s+(?P<rel>" + _REL + r")\s+is\s+(?P<v>.+)$", re.I)
_NAME_IS_MY_REL = re.compile(
    r"^(?P<n>\S+(?:\s+\S+)?)\s+is\s+(?:actually\s+|also\s+)?my\s+(?P<rel>" + _REL + r")$",
    re.I,
)
_CALL_ME = re.compile(
    r"^(?:you\s+can\s+|please\s+|just\s+|everyone\s+calls?\s+|people\s+call\s+"
    r"|my\s+friends\s+call\s+)?call\s+me\s+(?P<v>.+)$",
    re.I,
)
_I_AM_CALLED = re.compile(
    r"^I\s+(?:am\s+called|am\s+named|go\s+by|am\s+known\s+as)\s+(?P<v>.+)$", re.I
)
_THE_NAME = re.compile(r"^the\s+name\s+is\s+(?P<v>.+)$", re.I)
_I_AM_X = re.compile(r"^I\s+am\s+(?P<v>.+)$", re.I)
_SUBJECT_I = re.compile(r"^(?:I|we)\s+(?P<rest>.+)$", re.I)
_SUBJECT_MY_REL = re.compile(r"^my\s+(?P<rel>" + _REL + r")\b(?P<rest>.*)$", re.I)
_SUBJECT_PARENT = re.compile(r"^(?P<rel>mum|mom|dad|mam)\b(?P<rest>.*)$", re.I)
_HAVE_REL_CALLED = re.compile(
    r"^(?:I|we)\s+(?:have|have\s+got|got|adopted|also\s+have)\s+(?:a|an|one|another)\s+"
    r"(?P<rel>" + _REL + r")\s+(?:called|named)\s+(?P<v>.+)$",
    re.I,
)

# --------------------------------------------------------------------------------------
# Predicates (the text after the subject)
# --------------------------------------------------------------------------------------

_P_LIVE = re.compile(
    r"^" + _ADV + r"(?:live|lives|(?:am|is|are)\s+" + _ADV + r"living"
    r"|(?:have|has)\s+" + _ADV + r"(?:lived|been\s+living))\s+in\s+(?P<v>.+)$",
    re.I,
)
_P_MOVE = re.compile(
    r"^" + _ADV + r"(?:(?:have|has)\s+" + _ADV + r")?(?:moved|relocated)\s+(?:back\s+)?"
    r"(?:over\s+)?to\s+(?P<v>.+)$",
    re.I,
)
_P_FROM = re.compile(
    r"^(?:" + _BE + r"(?:originally\s+|actually\s+|also\s+)?from|" + _ADV + r"(?:come|comes)"
    r"\s+(?:originally\s+)?from)\s+(?P<v>.+)$",
    re.I,
)
_P_WORK_AT = re.compile(
    r"^" + _ADV + r"(?:work|works|(?:am|is|are)\s+" + _ADV + r"working)\s+(?P<p>at|for|in)\s+"
    r"(?P<v>.+)$",
    re.I,
)
_P_WORK_AS = re.compile(
    r"^" + _ADV + r"(?:work|works|(?:am|is|are)\s+" + _ADV + r"working)\s+as\s+(?P<a>an?)\s+"
    r"(?P<v>.+)$",
    re.I,
)
_P_BE_A = re.compile(
    r"^" + _BE + r"(?:now\s+|currently\s+|actually\s+|also\s+|still\s+)?(?P<a>an?)\s+(?P<v>.+)$",
    re.I,
)
_P_AGE = re.compile(
    r"^(?:" + _BE + r"(?:now\s+|actually\s+)?|" + _ADV + r"(?:turned|turn|turns)\s+)"
    r"(?P<n>\d{1,3})(?:\s+(?:years?|yrs?)(?:\s+(?:old|young))?|\s*y/?o)?(?:\s+now)?$",
    re.I,
)
_P_MARRIED = re.compile(
    r"^" + _BE + r"(?:happily\s+|now\s+|also\s+)?(?P<how>married|engaged)\s+to\s+(?P<v>.+)$",
    re.I,
)
_P_ALLERGIC = re.compile(
    r"^" + _BE + r"(?:very\s+|really\s+|also\s+)?allergic\s+to\s+(?P<v>.+)$", re.I
)

_LIKE_VERBS = {
    "love": "loves",
    "like": "likes",
    "enjoy": "enjoys",
    "adore": "adores",
    "hate": "hates",
    "dislike": "dislikes",
    "detest": "detests",
    "loathe": "loathes",
}
_P_LIKE = re.compile(
    r"^" + _ADV + r"(?P<verb>love|loves|like|likes|enjoy|enjoys|adore|adores)\s+(?P<v>.+)$",
    re.I,
)
_P_HATE = re.compile(
    r"^" + _ADV + r"(?P<verb>hate|hates|dislike|dislikes|detest|detests|loathe|loathes)\s+"
    r"(?P<v>.+)$",
    re.I,
)
_P_CANT_STAND = re.compile(r"^" + _ADV + r"(?:cannot|can\s+not)\s+stand\s+(?P<v>.+)$", re.I)
_P_DONT_LIKE = re.compile(
    r"^(?:do|does)\s+not\s+" + _ADV + r"(?P<verb>like|enjoy)\s+(?P<v>.+)$", re.I
)
_P_INTO = re.compile(
    r"^" + _BE + r"(?P<neg>not\s+)?" + _ADV + r"(?:(?:big|huge|massive)\s+)?into\s+(?P<v>.+)$",
    re.I,
)
_P_FAN = re.compile(
    r"^" + _BE + r"(?P<neg>not\s+)?" + _ADV + r"(?:a\s+|an\s+)?(?:(?:big|huge|massive|great"
    r"|real|total|massive)\s+)?fan\s+of\s+(?P<v>.+)$",
    re.I,
)
_P_OBSESSED = re.compile(
    r"^" + _BE + _ADV + r"(?P<how>obsessed\s+with|passionate\s+about|crazy\s+about"
    r"|mad\s+about|in\s+love\s+with)\s+(?P<v>.+)$",
    re.I,
)

# Events ---------------------------------------------------------------------------------

_PAST_IRREGULAR = {
    "went", "ran", "did", "had", "saw", "met", "got", "took", "made", "gave", "came", "won",
    "lost", "bought", "found", "left", "wrote", "flew", "drove", "rode", "swam", "spent",
    "caught", "began", "sang", "taught", "sold", "built", "became", "held", "brought",
    "threw", "ate", "drank", "fell", "broke", "chose", "drew", "fed", "fought", "grew", "hit",
    "kept", "led", "lit", "put", "quit", "rang", "sent", "shot", "spoke", "stole", "tore",
    "wore", "woke", "slept", "read", "cut", "paid", "sat", "stood", "beat", "overslept",
    "underwent", "struck", "dug", "hung",
}  # fmt: skip
_PARTICIPLES = {
    "gone", "done", "seen", "taken", "given", "made", "got", "gotten", "come", "won", "lost",
    "bought", "found", "left", "written", "flown", "driven", "ridden", "swum", "spent",
    "begun", "sung", "taught", "sold", "built", "become", "held", "brought", "thrown",
    "eaten", "drunk", "fallen", "kept", "read", "met", "run", "quit", "started", "finished",
}  # fmt: skip
# Past forms that report thoughts or feelings, not something that happened.
_ED_STOP = {
    "wanted", "needed", "hoped", "loved", "liked", "hated", "preferred", "wished",
    "wondered", "realised", "realized", "noticed", "seemed", "appeared", "used", "imagined",
    "believed", "guessed", "assumed", "missed", "worried", "feared", "remembered",
    "mentioned", "asked", "answered", "replied", "expected", "considered", "figured",
    "pretended", "supposed", "doubted", "regretted", "meant", "agreed", "disagreed",
    "promised", "suggested", "explained", "admitted", "claimed", "pointed", "added", "noted",
    "stated", "responded", "insisted", "intended", "owed", "deserved", "adored", "cared",
    "blamed", "based", "related", "compared", "bored", "tired", "scared", "excited",
    "interested", "stressed", "annoyed", "embarrassed", "confused", "surprised", "shocked",
    "amazed", "pleased", "dreamed", "dreaded", "freaked", "need", "red", "bed", "shed",
    "seed", "feed", "speed", "indeed", "hundred", "sacred", "naked", "wicked", "wretched",
    "hatred", "kindred", "tried", "talked", "texted", "messaged", "emailed", "checked",
    "called", "decided", "struggled", "coped", "managed",
}  # fmt: skip
_ED_SUBJECTLESS = {
    "visited", "adopted", "started", "finished", "joined", "watched", "painted", "cooked",
    "baked", "played", "attended", "hiked", "walked", "booked", "moved", "signed",
    "volunteered", "celebrated", "graduated", "retired", "completed", "passed", "hosted",
    "organised", "organized", "travelled", "traveled", "climbed", "launched", "published",
    "opened", "crossed", "danced", "performed", "presented", "raised", "donated", "planted",
}  # fmt: skip
_HOW_ONE_IS = {
    "great", "well", "ok", "okay", "fine", "good", "better", "worse", "badly", "alright",
    "amazing", "terrible", "awful", "so", "pretty", "really", "much", "nothing", "anything",
    "something", "bad", "poorly", "brilliant", "wonderful", "awesome",
}  # fmt: skip
_GETTING_STATES = {
    "better", "worse", "tired", "old", "bored", "sick", "hungry", "sleepy", "nervous",
    "anxious", "ready", "there", "used", "annoyed", "angry", "frustrated", "worried", "scared",
    "excited", "stressed", "fed", "on", "by",
}  # fmt: skip
_ING_STOP = {
    "feeling", "thinking", "wondering", "hoping", "wishing", "dying", "kidding", "joking",
    "worrying", "struggling", "trying", "being", "looking", "losing", "considering",
    "lying", "sitting", "waiting", "freaking", "stressing", "panicking", "crying",
    "overthinking", "missing", "loving", "hating", "saying", "telling", "asking", "talking",
    "chatting", "texting", "typing", "writing", "reading", "listening", "beginning",
    "wanting", "needing", "counting", "holding", "living", "working", "expecting", "dreading",
    "dreaming", "craving", "rethinking", "questioning", "doubting", "tempted",
}  # fmt: skip
_GOING_TO_STOP = {
    "be", "feel", "have", "need", "cry", "die", "try", "say", "ask", "tell", "think", "miss",
    "lose", "regret", "kill", "pass", "throw", "scream", "explode", "faint", "lie", "stop",
    "go", "get", "keep", "let", "make", "sound", "hate", "love", "like", "want", "sleep",
}  # fmt: skip
_WILL_STOP = _GOING_TO_STOP | {
    "never",
    "always",
    "probably",
    "definitely",
    "just",
    "not",
    "see",
    "talk",
    "check",
    "remember",
    "forget",
    "do",
    "help",
    "find",
    "figure",
    "manage",
    "survive",
    "update",
}

_TAIL = r"(?:\s+.*)?"  # "lost my job as a banker", "got married to Anna"
_LIFE_EVENTS = (
    r"(?:(?:have\s+|has\s+)?(?:just\s+|finally\s+|recently\s+|officially\s+)*(?:"
    r"got\s+(?:a\s+)?(?:new\s+job|promoted|a\s+promotion|engaged|married|divorced|hired"
    r"|fired|laid\s+off|sacked|a\s+(?:puppy|dog|cat|kitten|rabbit|scholarship)"
    r"|my\s+(?:first\s+)?(?:driving\s+licen[cs]e|driver'?s\s+licen[cs]e|degree|diploma|phd"
    r"|masters?|job)|accepted\s+(?:to|into|at)\s+\S+)"
    + _TAIL
    + r"|gotten\s+(?:engaged|married|divorced|promoted|a\s+new\s+job)"
    + _TAIL
    + r"|adopted\s+(?:a|an|two|three|my|our)\s+\S+.*"
    r"|had\s+(?:a\s+baby|our\s+(?:first\s+)?baby|my\s+(?:first\s+)?baby|twins|a\s+son"
    r"|a\s+daughter|a\s+little\s+(?:boy|girl)|surgery|an\s+operation|a\s+miscarriage"
    r"|a\s+heart\s+attack|a\s+stroke)" + _TAIL + r"|gave\s+birth\b.*"
    r"|bought\s+(?:a|an|our|my)\s+(?:new\s+|first\s+)*(?:house|home|flat|apartment|place)"
    + _TAIL
    + r"|graduated\b.*|retired\b.*|(?:broke|split)\s+up\b.*|separated\b.*"
    r"|(?:lost|quit|left)\s+my\s+job" + _TAIL + r"|changed\s+jobs|got\s+sober"
    r"|(?:started|began)\s+(?:a\s+new\s+job|my\s+new\s+job|a\s+new\s+role|my\s+own\s+business"
    r"|a\s+business|a\s+company|university|uni|college|grad\s+school|therapy|chemo\w*)"
    + _TAIL
    + r"|passed\s+(?:my|the)\s+(?:driving\s+test|driving\s+exam|bar(?:\s+exam)?|exams?"
    r"|finals|test)"
    + _TAIL
    + r"|finished\s+my\s+(?:degree|thesis|dissertation|phd|studies|treatment|chemo\w*)"
    + _TAIL
    + r"|(?:was|were|got|been|have\s+been|has\s+been)\s+diagnosed\s+with\s+.+"
    r"|moved\s+(?:in\s+together|house|out)"
    + _TAIL
    + r"|came\s+out(?:\s+as\s+.+|\s+to\s+(?:my|our)\s+.+)?"
    r"|became\s+a\s+(?:mum|mom|dad|father|mother|parent|grandmother|grandfather|grandma"
    r"|grandpa|citizen)"
    r"|published\s+my\s+(?:first\s+)?(?:book|novel|paper)" + _TAIL + r"))"
)
# Only about someone else: "I died" is always a figure of speech.
_P_DIED = re.compile(r"^" + _ADV + r"(?P<v>passed\s+away|died)$", re.I)
_P_LIFE = re.compile(r"^" + _ADV + r"(?P<v>" + _LIFE_EVENTS + r")$", re.I)
_P_LIFE_ING = re.compile(
    r"^" + _BE + _ADV + r"(?P<v>(?:getting\s+(?:married|engaged|divorced)"
    r"|starting\s+(?:a\s+new\s+job|my\s+new\s+job|university|uni|college|school|chemo\w*"
    r"|therapy|my\s+own\s+business)|having\s+(?:a\s+baby|twins|surgery|an\s+operation)"
    r"|moving\s+(?:house|in\s+together|to\s+\S+.*|abroad)|retiring|graduating)\b.*)$",
    re.I,
)
_HEALTH = re.compile(
    r"\b(?:diagnosed|surgery|operation|heart\s+attack|stroke|chemo\w*|miscarriage"
    r"|passed\s+away|died|hospital)\b",
    re.I,
)
_P_PAST = re.compile(
    r"^" + _ADV + r"(?:(?P<have>have|has)\s+" + _ADV + r")?(?P<verb>[a-z]+)\b(?P<o>.*)$", re.I
)
_P_VERB_FIRST = re.compile(r"^" + _ADV + r"(?P<verb>[a-z]+)\b", re.I)
_P_WAS_AT = re.compile(r"^" + _ADV + r"(?P<v>(?:was|were)\s+(?:at|in)\s+.+)$", re.I)
_P_ING = re.compile(r"^" + _BE + _ADV + r"(?P<verb>[a-z]+ing)\b(?P<o>.*)$", re.I)
_P_WILL = re.compile(r"^will\s+" + _ADV + r"(?P<verb>[a-z]+)\b(?P<o>.*)$", re.I)
_P_HAVE_TO = re.compile(r"^(?:have|has)\s+(?:got\s+)?to\s+(?P<verb>[a-z]+)\b(?P<o>.*)$", re.I)
_P_HAVE_EVENT = re.compile(
    r"^(?:have|has)\s+(?:got\s+)?(?P<v>(?:(?:a|an|my|the|our|another|this|two|some)\s+)?"
    r"(?:[\w'-]+\s+){0,3}?" + _alt(_EVENT_NOUNS) + r"s?\b.*)$",
    re.I,
)

# Values ---------------------------------------------------------------------------------

_OBJ_STOP = {
    "and", "but", "or", "so", "because", "cause", "cuz", "since", "though", "although",
    "while", "whilst", "whereas", "if", "unless", "when", "whenever", "which", "who", "whom",
    "that", "as", "like", "except", "anyway", "lol", "haha", "tbh", "btw", "than", "where",
}  # fmt: skip
_LEAD_REJECT = {
    "it", "this", "that", "these", "those", "him", "her", "them", "me", "myself",
    "yourself", "you", "your", "yours", "u", "ur", "ya", "y'all", "everything", "anything",
    "something", "nothing", "everyone", "anyone", "someone", "everybody", "anybody",
    "somebody", "all", "both", "either", "neither", "each", "one", "ones", "what", "how",
    "why", "where", "who", "which", "whatever", "here", "there", "so", "very", "too", "much",
    "more", "most", "being", "hearing", "seeing", "knowing", "having", "about", "us", "they",
    "he", "she", "we", "i", "doing", "hers", "his", "yes", "no", "not",
    "when", "just", "such", "lots", "way", "thinking", "every", "feeling",
}  # fmt: skip
_ANY_REJECT = {
    "you",
    "your",
    "yours",
    "u",
    "ur",
    "ya",
    "yourself",
    "y'all",
    "this",
    "these",
    "those",
}
# Reactions to something just shown or said ("I love the colours!"), not lasting tastes.
_VAGUE = re.compile(
    r"^(?:the|that|this)\s+(?:idea|way|fact|thought|sound|feeling|look|vibe|energy|concept|plan"
    r"|suggestion|name|one|point|question|answer|part|bit|stuff|thing|things)\b"
    r"|^the\s+(?:[\w-]+\s+)?(?:colou?rs?|message|theme|details?|design|pattern|photo|pic"
    r"|picture|painting|shot|vibes?|style|story|atmosphere|passion|dedication|enthusiasm|effort"
    r"|attitude|support|sentiment|spirit|song|ones?|results?|outcome|progress|work|pics|photos"
    r"|pictures|paintings|advice|tip|tips|update|news|smile|view|scene|setting|mood|moment)$",
    re.I,
)
_OBJECT_PRONOUNS = {"it", "them", "him", "one", "so", "me", "us"}
_DETERMINERS = {"that", "this", "those", "these", "her"}
_IDIOM_INFINITIVE = {
    "think", "say", "believe", "imagine", "know", "help", "hear", "see", "point", "ask",
    "add", "mention", "keep", "make", "thank", "share", "talk", "chat", "tell", "meet",
    "admit", "bother", "interrupt", "disappoint", "break", "be", "complain", "brag",
}  # fmt: skip
_TRAILING_FILLER = re.compile(
    r"(?:\s+(?:so\s+much|a\s+lot|very\s+much|too|as\s+well|lately|these\s+days|nowadays"
    r"|right\s+now|now|more\s+than\s+anything|the\s+most|to\s+bits|to\s+death|a\s+ton|tbh"
    r"|honestly|really|actually|haha\w*|lol|in\s+general|generally|though|also|anyway"
    r"|either|at\s+all|for\s+sure|x+d*|a\s+bunch|so\s+so\s+much|btw|here|there|again"
    r"|more|less|better|best|the\s+most|the\s+best|most|much))+$",
    re.I,
)
_FUNCTION_WORDS = {
    "the", "a", "an", "of", "to", "for", "with", "on", "in", "at", "by", "from", "their",
    "my", "and", "or", "about", "into", "some", "very", "so", "really", "just", "our", "is",
    "are", "was", "were", "be", "am", "it", "that", "when", "than", "like", "as", "up",
}  # fmt: skip
_PLACE_LEAD = {
    "the", "a", "an", "small", "little", "tiny", "big", "town", "village", "city", "suburb",
    "near", "outside", "of", "in", "north", "south", "east", "west", "northern", "southern",
    "eastern", "western", "central", "rural", "downtown", "upstate", "coastal", "seaside",
    "quiet", "lovely", "nice", "beautiful", "part", "area", "region", "suburbs", "just",
    "sunny", "rainy", "far",
}  # fmt: skip
_PLACE_JOIN = {
    "of", "upon", "on", "de", "del", "der", "la", "le", "da", "di", "do", "du", "van", "von",
    "am", "y", "sur", "en", "the", "near", "outside", "in", "&", "and",
}  # fmt: skip
_DATE_VALUE = re.compile(
    r"^(?:the\s+)?(?:\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTH_ANY + r"(?:,?\s+\d{4})?"
    r"|" + _MONTH_ANY + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?)$",
    re.I,
)
_PRONOUNS_VALUE = re.compile(r"^[a-z]+/[a-z]+(?:/[a-z]+)?$", re.I)
_THIRD_PERSON: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), r)
    for p, r in (
        (r"\bI\s+am\b", "they are"),
        (r"\bI\s+was\b", "they were"),
        (r"\bmyself\b", "themselves"),
        (r"\bourselves\b", "themselves"),
        (r"\bmy\b", "their"),
        (r"\bour\b", "their"),
        (r"\bmine\b", "theirs"),
        (r"\bme\b", "them"),
        (r"\bus\b", "them"),
        (r"\bI\b", "they"),
        (r"\bwe\b", "they"),
    )
)

_IMPORTANCE: dict[str, float] = {
    "name": 0.9,
    "relation": 0.8,
    "married_to": 0.9,
    "engaged_to": 0.9,
    "allergic_to": 0.9,
    "lives_in": 0.8,
    "works_at": 0.8,
    "works_as": 0.8,
    "works_in": 0.7,
    "from": 0.7,
    "age": 0.7,
    "birthday": 0.7,
    "pet": 0.7,
    "surname": 0.7,
    "middle_name": 0.6,
    "nickname": 0.6,
    "pronouns": 0.8,
    "native_language": 0.6,
    "star_sign": 0.4,
    "likes": 0.5,
    "dislikes": 0.5,
}
_ACCUMULATING = {"likes", "dislikes", "event", "pet", "allergic_to"}


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Subject:
    key: str  # "user", "sister", "anna"
    display: str  # how the stored sentence names it: "Theo", "Theo's sister", "Anna"
    role: Literal["user", "rel", "name"]


def _possessive(name: str) -> str:
    return f"{name}'s"


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _is_cap(word: str) -> bool:
    return bool(word) and word[0].isupper() and any(c.isalpha() for c in word)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _third_person(text: str) -> str:
    for pattern, repl in _THIRD_PERSON:
        text = pattern.sub(repl, text)
    return text


def _strip_value(text: str) -> str:
    return _LEADING_PUNCT.sub("", _TRAILING_PUNCT.sub("", text)).strip()


def _words(text: str) -> list[str]:
    return [w for w in (_strip_value(w) for w in text.split()) if w]


def _cap_words(words: list[str], limit: int) -> list[str]:
    # Cut a long phrase and drop what would dangle ("long walks on the" -> "long walks").
    words = words[:limit]
    while words and words[-1].lower() in _FUNCTION_WORDS:
        words.pop()
    return words


def _name(raw: str, *, allow_lower: bool, strict: bool) -> str | None:
    """A person's (or pet's) name at the start of `raw`, or None.

    strict: nothing may follow the name ("my sister is Anna", not "my sister is Anna's...").
    allow_lower: a lone lowercase word is accepted after an explicit naming verb
    ("my name is theo"), since many people type in lowercase.
    """
    words = raw.split()
    taken: list[str] = []
    for i, word in enumerate(words):
        core = _strip_value(word)
        if not core or not re.fullmatch(r"[^\W\d_][^\W\d_'-]*(?:[-'][^\W\d_]+)*", core):
            break
        lower = core.lower()
        if lower.endswith("'s"):
            return None
        title = i == 0 and lower in _TITLES and len(words) > 1 and _is_cap(words[1])
        if not _is_cap(core) or (lower in _COMMON and not title) or core == "I":
            break
        taken.append(core)
        if len(taken) == 3 or core != word:
            break
    rest = words[len(taken) :]
    if taken:
        trailer = " ".join(rest).lower()
        if strict and rest and not re.fullmatch(r"(?:btw|by the way|haha\w*|lol|now|too)", trailer):
            return None
        return " ".join(taken)
    if not allow_lower or not words:
        return None
    core = _strip_value(words[0])
    if len(words) > 1 and not re.fullmatch(
        r"(?:btw|by the way|haha\w*|lol)", " ".join(words[1:]).lower()
    ):
        return None
    if not re.fullmatch(r"[^\W\d_]{2,20}", core) or core.lower() in _COMMON:
        return None
    return core[:1].upper() + core[1:]


def _proper_phrase(raw: str, *, max_words: int = 6) -> str | None:
    """A place or organisation: capitalised words, optionally led by "the"/"a small town near"."""
    out: list[str] = []
    seen_cap = False
    for word in raw.split():
        core = _strip_value(word)
        if not core:
            break
        lower = core.lower()
        if _is_cap(core) and core != "I" and lower not in _DAYS and lower not in _MONTHS:
            out.append(core)
            seen_cap = True
        elif not seen_cap and lower in _PLACE_LEAD and len(out) < 4:
            out.append(core)
        elif seen_cap and lower in _PLACE_JOIN:
            out.append(core)
        else:
            break
        if core != word.rstrip() or len(out) >= max_words:
            break
    while out and not _is_cap(out[-1]):
        out.pop()
    if not seen_cap or not out or out[-1].lower() in _COMMON - {"us"}:
        return None
    return " ".join(out)


def _workplace(raw: str) -> str | None:
    # "a hospital", "the local school": no capital letter, so only known workplaces count.
    m = re.match(r"^((?:a|an|the)\s+(?:[a-z-]+\s+){0,2}?" + _alt(_WORKPLACES) + r")\b", raw, re.I)
    return m.group(1) if m else None


def _job(raw: str, *, known_only: bool) -> str | None:
    words: list[str] = []
    for word in raw.split():
        core = _strip_value(word)
        if not core or core.lower() in _OBJ_STOP or core.lower() in {
            "at", "in", "for", "with", "by", "from", "on", "who", "now", "too", "here", "there",
            "and", "but", "of", "to", "myself", "currently", "these", "part-time", "full-time",
        }:  # fmt: skip
            break
        words.append(core)
        if core != word:
            break
    if not words or len(words) > 4:
        return None
    lowered = [w.lower() for w in words]
    if any(w in _NOT_JOB or not re.fullmatch(r"[a-z][a-z-]*", w) for w in lowered):
        return None
    head = lowered[-1]
    if head in _NOT_JOB:
        return None
    if known_only and head not in _PROFESSIONS and not head.endswith(_PROFESSION_SUFFIXES):
        return None
    return " ".join(lowered)


def _joins(before: list[str], after: list[str]) -> bool:
    """Whether "and" (or a comma) between `before` and `after` joins parts of one phrase:
    "Marks and Spencer", "a safe and warm home", "a big, bright flat"."""
    if not before or not after:
        return False
    if _is_cap(before[-1]) and _AND_NAME.match(" ".join(["and", *after])):
        return True
    if len(before) < 2 or len(after) < 2 or before[-2].lower() not in {"a", "an", "the"}:
        return False
    first, second = after[0].lower(), after[1].lower()
    return (
        not _is_cap(after[0])
        and first not in _FUNCTION_WORDS | _LEAD_REJECT | _CLAUSE_VERBS | _OBJ_STOP
        # "hiking in the mountains and exploring forests" lists two things; the price is
        # that "a safe and loving home" is cut too.
        and not first.endswith("ing")
        and second not in _CLAUSE_VERBS | _OBJ_STOP | _FUNCTION_WORDS | _LEAD_REJECT
    )


def _object(raw: str, *, max_words: int = 6) -> str | None:
    """The object phrase of a preference, trimmed at a conjunction, or None if vague."""
    words = _words(raw)
    if words and words[0].lower() == "when":
        words = ["it", *words]  # "I love when it rains" reads as "it when it rains"
    out: list[str] = []
    cut_at: str | None = None
    for i, word in enumerate(words):
        lower = word.lower()
        keep = (lower == "when" and i == 1 and bool(out) and out[0].lower() == "it") or (
            lower == "and" and _joins(out, words[i + 1 :])
        )
        if lower in _OBJ_STOP and not keep and (i > 0 or lower != "that"):
            cut_at = lower
            break
        out.append(word)
    phrase = _TRAILING_FILLER.sub("", " ".join(out)).strip()
    words = _cap_words(phrase.split(), max_words)
    if not words:
        return None
    first = words[0].lower()
    lowered = {w.lower() for w in words}
    if first in _LEAD_REJECT and not (first == "it" and len(words) > 2 and words[1] == "when"):
        return None
    if lowered & _ANY_REJECT or _VAGUE.match(" ".join(words)):
        return None
    if first == "to" and (len(words) < 2 or words[1].lower() in _IDIOM_INFINITIVE):
        return None
    if cut_at in {"that", "like"} and len(words) == 1 and first.endswith("ing"):
        return None  # "I love hearing that", "I hate feeling like this"
    return _third_person(" ".join(words))


def _event_words(value: str, limit: int = 8) -> list[str]:
    words = _words(_third_person(value))
    if len(words) > limit:
        # Drop a purpose clause rather than cut mid-way: "took a trip to Rome to clear
        # their mind a little" -> "took a trip to Rome".
        for i in range(min(len(words), limit + 1) - 1, 2, -1):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if (
                words[i].lower() == "to"
                and nxt
                and not _is_cap(nxt)
                and (nxt.lower() not in {"a", "an", "the", "their", "my", "our", "his", "her"})
            ):
                words = words[:i]
                break
    return _cap_words(words, limit)


def _vague_object(word: str, following: str) -> bool:
    # "painted it", "met her after work" say nothing; "painted that lake", "took her kids" do.
    if word in _OBJECT_PRONOUNS:
        return True
    return word in _DETERMINERS and (
        not following
        or following in _FUNCTION_WORDS | _OBJ_STOP
        or following in {"after", "before", "again", "back", "up", "out", "over", "once"}
    )


def _is_activity(verb: str, following: list[str]) -> bool:
    """Whether "I'm <verb>ing ..." is something one does, not a state or a mood:
    "I'm going to Lisbon", not "I'm going to cry", "I'm getting tired", "I'm doing great"."""
    if verb in _ING_STOP or (following and following[0] in _HOW_ONE_IS):
        return False
    if verb == "going" and following[:1] == ["to"] and len(following) == 2:
        return following[1] not in _GOING_TO_STOP
    if verb in {"starting", "beginning", "learning"} and following[:1] == ["to"]:
        return False  # "starting to feel better"
    return not (verb == "getting" and following and following[0] in _GETTING_STATES)


def _find_time(text: str) -> re.Match[str] | None:
    # The last time phrase: "the Friday market yesterday" is about yesterday.
    matches = list(_TIME_RE.finditer(text))
    return matches[-1] if matches else None


def _without(text: str, match: re.Match[str] | None) -> str:
    if match is None:
        return text
    return re.sub(r"\s+", " ", text[: match.start()] + " " + text[match.end() :]).strip()


def _strip_adverbs(text: str) -> str:
    return re.sub(r"^" + _ADV, "", text, flags=re.I).strip()


def _expand(text: str) -> str:
    return _CONTRACTION.sub(_uncontract, text)


def _rewrite_not_but(sentence: str) -> str | None:
    """ "my sister is not called Amy but Anna" -> "my sister is called Anna"."""
    m = _NOT_BUT.match(sentence)
    if not m:
        return None
    pre, neg, x, y = m.group("pre"), m.group("neg").lower(), m.group("x"), m.group("y")
    if _SUBJECT_PRONOUN.match(y) or len(pre.split()) > 4 or len(y.split()) > 5:
        return None
    xw, yw = x.split(), y.split()
    if yw[0].lower() == xw[0].lower() or len(yw) >= len(xw):
        new = yw
    else:
        new = xw[: len(xw) - len(yw)] + yw
    verb = neg.split()[0] if neg != "not" else ""
    if verb in {"do", "does"}:
        verb = ""
        if neg.startswith("does"):
            new = [_inflect(new[0]), *new[1:]]
    return " ".join(p for p in (pre, verb, " ".join(new)) if p)


def _inflect(verb: str) -> str:
    if re.search(r"(?:s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


# --------------------------------------------------------------------------------------
# Building results
# --------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, speaker: str) -> None:
        self.speaker = speaker
        self.user = _Subject("user", speaker, "user")

    def rel(self, rel: str) -> _Subject:
        rel = re.sub(r"^(?:new|current)[\s-]+", "", rel.lower())
        return _Subject(rel, f"{_possessive(self.speaker)} {rel}", "rel")

    def fact(
        self,
        subject: _Subject,
        attribute: str,
        value: str,
        text: str,
        correction: bool,
        kind: Kind = "fact",
        importance: float | None = None,
    ) -> Extracted:
        weight = _IMPORTANCE.get(attribute, 0.5 if kind == "preference" else 0.6)
        return Extracted(
            kind=kind,
            subject=subject.key,
            attribute=attribute,
            value=value,
            text=_sentence(text),
            importance=importance if importance is not None else weight,
            correction=correction,
        )

    def naming(self, rel: str, name: str, correction: bool) -> list[Extracted]:
        """The name of a relation, and the relation of the name."""
        subject = self.rel(rel)
        rel = subject.key
        person = _Subject(name.lower(), name, "name")
        return [
            self.fact(subject, "name", name, f"{subject.display} is called {name}", correction),
            self.fact(
                person,
                "relation",
                rel,
                f"{name} is {_possessive(self.speaker)} {rel}",
                correction,
            ),
        ]

    def user_name(self, name: str, correction: bool) -> list[Extracted]:
        return [
            self.fact(
                self.user, "name", name, f"{_possessive(self.speaker)} name is {name}", correction
            )
        ]


# --------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------


def _whole_clause(
    clause: str, b: _Builder, correction: bool, first_content: bool
) -> list[Extracted] | None:
    """Patterns whose subject is part of the pattern; None when none applies."""
    if m := _MY_ATTR.match(clause):
        attribute = _ATTRS[re.sub(r"\s+", " ", m.group("x").lower())]
        subject = b.rel(m.group("rel")) if m.group("rel") else b.user
        raw = m.group("v")
        owner = _possessive(subject.display)
        if attribute == "name" and subject.role == "rel":
            name = _name(raw, allow_lower=True, strict=False)
            return b.naming(subject.key, name, correction) if name else []
        if attribute in {"name", "surname", "middle_name", "nickname"}:
            name = _name(raw, allow_lower=True, strict=False)
            if not name:
                return []
            if attribute == "name":
                return b.user_name(name, correction)
            label = attribute.replace("_", " ")
            return [b.fact(subject, attribute, name, f"{owner} {label} is {name}", correction)]
        value = _strip_value(raw)
        if attribute == "birthday":
            if not _DATE_VALUE.match(value):
                return []
            return [b.fact(subject, "birthday", value, f"{owner} birthday is {value}", correction)]
        if attribute == "works_as":
            job = _job(re.sub(r"^(?:an?|the)\s+", "", raw, flags=re.I), known_only=True)
            if not job:
                return []
            said = f"{subject.display} is {_article(job)} {job}"
            return [b.fact(subject, "works_as", job, said, correction)]
        if attribute == "from":
            place = _proper_phrase(raw)
            if not place:
                return []
            return [
                b.fact(subject, "from", place, f"{subject.display} is from {place}", correction)
            ]
        if attribute == "pronouns":
            if not _PRONOUNS_VALUE.match(value):
                return []
            return [
                b.fact(
                    subject, "pronouns", value.lower(), f"{owner} pronouns are {value}", correction
                )
            ]
        # Star sign, native language: a single capitalised word.
        word = _name(raw, allow_lower=False, strict=True)
        if not word:
            return []
        label = attribute.replace("_", " ")
        return [b.fact(subject, attribute, word, f"{owner} {label} is {word}", correction)]

    if m := _MY_FAVOURITE.match(clause):
        subject = b.rel(m.group("rel")) if m.group("rel") else b.user
        return _favourite(b, subject, m.group("x"), m.group("v"), correction)
    if m := _IS_MY_FAVOURITE.match(clause):
        return _favourite(b, b.user, m.group("x"), m.group("v"), correction)

    if m := _REL_CALLED.match(clause):
        name = _name(m.group("v"), allow_lower=True, strict=False)
        return b.naming(m.group("rel"), name, correction) if name else []
    if m := _REL_IS_NAME.match(clause):
        name = _name(m.group("v"), allow_lower=False, strict=True)
        if name and name.lower() not in _NATIONALITY_ETC:
            return b.naming(m.group("rel"), name, correction)
    if m := _HAVE_REL_CALLED.match(clause):
        name = _name(m.group("v"), allow_lower=True, strict=False)
        if not name:
            return []
        rel = m.group("rel").lower()
        if rel in _ANIMALS:
            pet = f"{b.speaker} has {_article(rel)} {rel} called {name}"
            return [
                b.fact(b.user, "pet", name, pet, correction),
                b.naming(rel, name, correction)[1],
            ]
        return b.naming(rel, name, correction)
    if m := _NAME_IS_MY_REL.match(clause):
        name = _name(m.group("n"), allow_lower=False, strict=True)
        return b.naming(m.group("rel"), name, correction) if name else []
    if m := _CALL_ME.match(clause):
        name = _name(m.group("v"), allow_lower=False, strict=True)
        return b.user_name(name, correction) if name else []
    if m := _I_AM_CALLED.match(clause) or _THE_NAME.match(clause):
        name = _name(m.group("v"), allow_lower=True, strict=False)
        return b.user_name(name, correction) if name else []
    if first_content and (m := _I_AM_X.match(clause)):
        # "Hi, I'm Theo" introduces a name only as the opening of a message; later,
        # "I'm Fine"-style capitalisation is too likely.
        name = _name(m.group("v"), allow_lower=False, strict=True)
        if name and not re.search(r"(?:ed|ful|ous|ive|able|ible|less|ing|ish|ese|ic)$", name):
            return b.user_name(name, correction)
    return None


def _favourite(
    b: _Builder, subject: _Subject, thing: str, raw: str, correction: bool
) -> list[Extracted]:
    thing = re.sub(r"\s+", " ", thing.lower())
    value = _object(raw) if not _is_cap(raw) else (_proper_phrase(raw) or _object(raw))
    if not value:
        return []
    return [
        b.fact(
            subject,
            "favourite_" + re.sub(r"[\s-]+", "_", thing),
            value,
            f"{_possessive(subject.display)} favourite {thing} is {value}",
            correction,
            kind="preference",
        )
    ]


def _subject(clause: str, b: _Builder) -> tuple[_Subject, str, list[Extracted]] | None:
    """The subject at the start of a clause, the rest, and any facts the subject states
    ("my sister Anna" names the sister)."""
    if m := _SUBJECT_I.match(clause):
        return b.user, m.group("rest"), []
    if m := _SUBJECT_MY_REL.match(clause) or _SUBJECT_PARENT.match(clause):
        subject = b.rel(m.group("rel"))
        rest = m.group("rest").strip()
        named: list[Extracted] = []
        parts = rest.split(maxsplit=1)
        if parts and _is_cap(parts[0]) and len(parts) == 2:
            # "my sister Anna lives in Berlin": the apposition names her.
            name = _name(parts[0], allow_lower=False, strict=True)
            if name:
                named = b.naming(subject.key, name, False)
                subject = _Subject(name.lower(), name, "name")
                rest = parts[1]
        rest = _apostrophe_s(rest)
        return (subject, rest, named) if rest is not None else None
    parts = clause.split(maxsplit=1)
    if len(parts) < 2:
        return None
    head = parts[0].removesuffix("'s")
    name = _name(head, allow_lower=False, strict=True)
    rest = _apostrophe_s(("'s " if head != parts[0] else "") + parts[1])
    if name is None or rest is None:
        return None
    # Only "Anna lives...", "Anna is...": "Sounds like a plan" is no person.
    verb = _strip_adverbs(rest).split(maxsplit=1)
    if verb and re.fullmatch(r"is|has|\w+s", verb[0], re.I):
        return _Subject(name.lower(), name, "name"), rest, []
    return None


def _apostrophe_s(rest: str) -> str | None:
    """ "'s a nurse" is "is a nurse"; "'s husband" is a possessive we do not follow."""
    rest = rest.strip()
    if not rest.startswith("'s"):
        return rest
    after = rest[2:].strip()
    if re.match(
        r"^(?:a|an|from|into|called|named|married|engaged|\d+|not|really|so|very|originally"
        r"|also|now|\w+ing)\b",
        after,
        re.I,
    ):
        return "is " + after
    return None


def _facts(subject: _Subject, rest: str, b: _Builder, correction: bool) -> list[Extracted]:
    """Where someone lives, works, comes from, how old they are, who they married."""
    s, d = subject, subject.display
    if m := _P_LIVE.match(rest):
        place = _proper_phrase(m.group("v"))
        return [b.fact(s, "lives_in", place, f"{d} lives in {place}", correction)] if place else []
    if m := _P_MOVE.match(rest):
        place = _proper_phrase(m.group("v"))
        # A move replaces the old home, so it is stored as a correction.
        return [b.fact(s, "lives_in", place, f"{d} lives in {place}", True)] if place else []
    if m := _P_FROM.match(rest):
        place = _proper_phrase(m.group("v"))
        return [b.fact(s, "from", place, f"{d} is from {place}", correction)] if place else []
    if m := _P_WORK_AS.match(rest):
        job = _job(m.group("v"), known_only=False)
        if not job:
            return []
        return [b.fact(s, "works_as", job, f"{d} is {_article(job)} {job}", correction)]
    if m := _P_WORK_AT.match(rest):
        prep, raw = m.group("p").lower(), m.group("v")
        if prep == "in":
            field = re.match(r"^(" + _alt(_FIELDS) + r")\b", raw, re.I)
            if field and (len(raw.split()) == len(field.group(1).split()) or not _is_cap(raw)):
                value = field.group(1) if field.group(1).isupper() else field.group(1).lower()
                return [b.fact(s, "works_in", value, f"{d} works in {value}", correction)]
            place = _workplace(raw)
            return (
                [b.fact(s, "works_at", place, f"{d} works in {place}", correction)] if place else []
            )
        org = _proper_phrase(raw) or _workplace(raw)
        if not org:
            return []
        return [b.fact(s, "works_at", org, f"{d} works {prep} {org}", correction)]
    if m := _P_AGE.match(rest):
        age = int(m.group("n"))
        if not 1 <= age <= 120:
            return []
        return [b.fact(s, "age", str(age), f"{d} is {age} years old", correction)]
    if m := _P_MARRIED.match(rest):
        name = _name(m.group("v"), allow_lower=False, strict=False)
        if not name:
            return []
        how = m.group("how").lower()
        found = [b.fact(s, f"{how}_to", name, f"{d} is {how} to {name}", correction)]
        if s.role == "user":
            relation = "spouse" if how == "married" else "fiancé(e)"
            person = _Subject(name.lower(), name, "name")
            said = f"{name} is {_possessive(d)} {relation}"
            found.append(b.fact(person, "relation", relation, said, correction))
        return found
    if m := _P_ALLERGIC.match(rest):
        thing = _object(m.group("v"), max_words=4)
        if not thing:
            return []
        return [b.fact(s, "allergic_to", thing, f"{d} is allergic to {thing}", correction)]
    if m := _P_BE_A.match(rest):
        job = _job(m.group("v"), known_only=True)
        if not job:
            return []
        return [b.fact(s, "works_as", job, f"{d} is {_article(job)} {job}", correction)]
    return []


def _preferences(
    subject: _Subject, rest: str, b: _Builder, correction: bool, negated: bool
) -> list[Extracted]:
    s, d = subject, subject.display

    def pref(attribute: str, phrase: str, raw: str) -> list[Extracted]:
        value = _object(raw)
        if not value:
            return []
        return [b.fact(s, attribute, value, f"{d} {phrase} {value}", correction, kind="preference")]

    if m := _P_CANT_STAND.match(rest):
        return pref("dislikes", "can't stand", m.group("v"))
    if m := _P_DONT_LIKE.match(rest):
        return pref("dislikes", f"doesn't {m.group('verb').lower()}", m.group("v"))
    if m := _P_INTO.match(rest):
        if m.group("neg"):
            return pref("dislikes", "is not into", m.group("v"))
        return [] if negated else pref("likes", "is into", m.group("v"))
    if m := _P_FAN.match(rest):
        if m.group("neg"):
            return pref("dislikes", "is not a fan of", m.group("v"))
        return [] if negated else pref("likes", "is a fan of", m.group("v"))
    if negated:
        return []
    if m := _P_OBSESSED.match(rest):
        how = re.sub(r"\s+", " ", m.group("how").lower())
        return pref("likes", f"is {how}", m.group("v"))
    if m := _P_LIKE.match(rest):
        verb = m.group("verb").lower()
        return pref("likes", _LIKE_VERBS.get(verb, verb), m.group("v"))
    if m := _P_HATE.match(rest):
        verb = m.group("verb").lower()
        return pref("dislikes", _LIKE_VERBS.get(verb, verb), m.group("v"))
    return []


def _events(
    subject: _Subject,
    rest: str,
    b: _Builder,
    correction: bool,
    carried_time: str | None,
    subjectless: bool = False,
) -> list[Extracted]:
    """Something that happened or is planned: needs a time phrase unless it is a life
    event ("I got a new job", "we got engaged")."""
    time = _find_time(rest)
    when = time.group(0) if time else carried_time
    body = _without(rest, time)
    s, d = subject, subject.display

    def event(
        value: str, verb_for_text: str, importance: float, shown: str | None = None
    ) -> list[Extracted]:
        words = _event_words(value)
        if not words or (len(words) < 2 and importance < 0.8):
            return []  # "did", "went": too little to remember
        lowered = [w.lower() for w in words]
        if len(lowered) > 1 and _vague_object(lowered[1], lowered[2] if len(lowered) > 2 else ""):
            return []  # "made it", "painted it after...": we would not know what
        if set(lowered) & _ANY_REJECT:
            return []  # about the companion ("I'll call you tomorrow")
        if len(words) <= 2 and lowered[-1] in _LEAD_REJECT:
            return []  # "did it", "met her": we would not know what
        # Values open with a verb; "Went to the gym" only had a capital as the sentence start.
        words[0] = words[0].lower()
        value = " ".join(words)
        if shown is not None:
            value_for_text = " ".join(_event_words(shown))
        else:
            value_for_text = value
        tail = ""
        if when:
            # "Yesterday" opened the sentence; inside the stored one it is "yesterday".
            first = when.split()[0].lower()
            keep = first in _DAYS or first in _MONTHS
            tail = " " + (when if keep else when[:1].lower() + when[1:])
        return [
            Extracted(
                kind="event",
                subject=s.key,
                attribute="event",
                value=value,
                text=_sentence(f"{d} {verb_for_text}{value_for_text}{tail}"),
                importance=importance,
                correction=correction,
                when=when,
            )
        ]

    def weight(value: str) -> float:
        return 0.9 if _HEALTH.search(value) else 0.8

    if not subjectless and (m := _P_LIFE_ING.match(body)):
        v = m.group("v")
        return event(v, "is ", weight(v))
    if subject.role == "rel" and (m := _P_DIED.match(body)):
        return event(m.group("v"), "", 0.9)
    if m := _P_LIFE.match(body):
        v = re.sub(r"^(?:have|has)\s+", "", m.group("v"), flags=re.I)
        v = _strip_adverbs(v)
        return event(v, "", weight(v))
    if when is None or subject.role == "name":
        return []
    if subjectless:
        m = _P_VERB_FIRST.match(body)
        if not m or m.group("verb").lower() not in _PAST_IRREGULAR | _ED_SUBJECTLESS:
            return []
        return event(_strip_adverbs(body), "", 0.4)
    if m := _P_HAVE_EVENT.match(body):
        return event(f"have {m.group('v')}", "", 0.4, shown=f"has {m.group('v')}")
    if m := _P_HAVE_TO.match(body):
        if m.group("verb").lower() in _IDIOM_INFINITIVE | _GOING_TO_STOP:
            return []
        v = f"{m.group('verb')}{m.group('o')}"
        return event(f"have to {v}", "", 0.4, shown=f"has to {v}")
    if m := _P_WILL.match(body):
        if m.group("verb").lower() in _WILL_STOP:
            return []
        return event(f"{m.group('verb')}{m.group('o')}", "will ", 0.4)
    if m := _P_ING.match(body):
        verb, obj = m.group("verb").lower(), m.group("o")
        if not _is_activity(verb, [w.lower() for w in obj.split()[:2]]):
            return []
        return event(f"{m.group('verb')}{obj}", "is ", 0.4)
    if m := _P_WAS_AT.match(body):
        return event(m.group("v"), "", 0.4)
    if m := _P_PAST.match(body):
        verb = m.group("verb").lower()
        if m.group("have"):
            if verb == "been" and re.match(r"^\s+(?:to|at|in)\b", m.group("o"), re.I):
                return event(f"{m.group('verb')}{m.group('o')}", "has ", 0.4)
            ok = verb in _PARTICIPLES or (verb.endswith("ed") and verb not in _ED_STOP)
        else:
            ok = verb in _PAST_IRREGULAR or (
                verb.endswith("ed") and len(verb) > 4 and verb not in _ED_STOP
            )
        if ok:
            return event(f"{m.group('verb')}{m.group('o')}", "", 0.4)
    return []


def _clause_results(
    clause: str,
    b: _Builder,
    *,
    correction: bool,
    first_content: bool,
    first_in_sentence: bool,
    inherited: _Subject | None,
    carried_time: str | None,
) -> tuple[list[Extracted], _Subject | None, bool]:
    """Results of one clause, its subject (for the next clause) and whether it was negated."""
    time = _find_time(clause)
    negated = bool(_NEGATION.search(_without(clause, time)))
    if _HEDGE.search(clause):
        return [], None, negated
    if not negated:
        whole = _whole_clause(clause, b, correction, first_content)
        if whole is not None:
            return whole, None, negated
    first_word = clause.split(maxsplit=1)[0].lower() if clause else ""
    dropped_i = first_in_sentence and first_word in _PAST_IRREGULAR | _ED_SUBJECTLESS
    parsed = None if dropped_i else _subject(clause, b)
    named: list[Extracted] = []
    if parsed:
        subject, rest, named = parsed
    elif inherited is not None:
        subject, rest = inherited, clause
    elif dropped_i and not negated:
        # "Went to the gym yesterday": chat often drops the "I".
        return _events(b.user, clause, b, correction, carried_time, subjectless=True), None, False
    else:
        return [], None, negated
    if negated:
        found = _preferences(subject, rest, b, correction, negated=True)
        return named + found, subject, True
    found = _facts(subject, rest, b, correction)
    if parsed is None:
        # A clause without its own subject ("... and work at Google") borrows the last one
        # for plain facts only: "I love the colours and love theme" must not yield "theme".
        return found, subject, False
    if not found:
        found = _preferences(subject, rest, b, correction, negated=False)
    if not found and subject.role != "name":
        found = _events(subject, rest, b, correction, carried_time)
    return named + found, subject, False


def _clauses(body: str) -> list[str]:
    parts = _CLAUSE_SPLIT.split(body)
    clauses: list[str] = []
    for k in range(0, len(parts), 2):
        part = parts[k].strip()
        if not part:
            continue
        sep = parts[k - 1] if k else ""
        if clauses and _continues(clauses[-1], part):
            clauses[-1] = f"{clauses[-1]}{',' if ',' in sep else ''} {part}"
        else:
            clauses.append(part)
    return clauses


def _continues(previous: str, part: str) -> bool:
    words = part.split()
    if words and words[0].lower() == "and":
        words = words[1:]
    return _joins(previous.split(), words)


def _sentences(text: str) -> list[str]:
    text = _ABBREVIATIONS.sub(r"\1", text.translate(_TYPOGRAPHY))
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def extract(
    text: str, speaker: str = "the user", previous: str | None = None, *, endings: bool = False
) -> list[Extracted]:
    """Facts, events and preferences stated in one message, first person or about people
    named in it; `previous` (the turn before) resolves "she", "he", "they" and "it".
    With `endings`, slots the message ends ("no longer lives in Rome") come too, marked
    `ends`."""
    speaker = speaker.strip() or "the user"
    try:
        claims = read_message(text, previous)
    except Exception:  # noqa: BLE001 - the parse is an improvement, never a failure
        claims = []
    parsed = [_from_claim(c, speaker) for c in claims if c.subject.who != "companion"]
    if not endings:
        parsed = [e for e in parsed if not e.ends]
    slots = {(e.subject, e.attribute) for e in parsed}
    named = {(e.value.lower(), e.subject) for e in parsed if e.attribute == "relation"}
    fallback = [
        e
        for e in _pattern_extract(text, speaker)
        if (e.subject, e.attribute) not in slots
        # "my friend Amy": the parse told who Amy is; "friend is called Amy" would repeat it
        and not (e.attribute == "name" and (e.subject, e.value.lower()) in named)
        and not (e.attribute == "relation" and (e.value.lower(), e.subject) in named)
    ]
    return parsed + fallback


def _from_claim(claim: Claim, speaker: str) -> Extracted:
    kind: Kind = "preference" if claim.relation in ("likes", "dislikes") else "fact"
    return Extracted(
        kind=kind,
        subject=claim.subject.key,
        attribute=claim.relation,
        value=claim.value or "",
        text=sentence_of(claim, speaker),
        importance=_IMPORTANCE.get(claim.relation, 0.5 if kind == "preference" else 0.6),
        correction=claim.supersedes,
        when=claim.time,
        ends=claim.ends_slot,
        was=claim.ended or "",
    )


def _pattern_extract(text: str, speaker: str) -> list[Extracted]:
    """The hand-written patterns: the fallback where the parse reads nothing."""
    b = _Builder(speaker.strip() or "the user")
    results: list[Extracted] = []
    seen: set[tuple[str, str, str, str]] = set()
    carry_correction = False
    first_content = True
    for raw in _sentences(text[:20_000]):
        correction = carry_correction or bool(_CORRECTION.search(raw))
        carry_correction = False
        question = bool(_QUESTION_END.search(raw))
        body = _TRAILING_PUNCT.sub("", raw)
        body = re.sub(r"\s+", " ", _expand(body)).strip()
        if not _FILLER.sub("", body).strip():
            # "No." or "Actually..." on its own corrects what comes next.
            carry_correction = correction
            continue
        # A correction is short; the pattern is quadratic on a long run-on sentence.
        rewritten = _rewrite_not_but(body) if len(body) <= 200 else None
        if rewritten is not None:
            body, correction = rewritten, True
        clauses = _clauses(body)
        if question:
            # Only "I love hiking, do you?" survives: a statement followed by a question
            # back; "My sister is called Anna?" asks rather than tells.
            if len(clauses) < 2 or not _QUESTION_BACK.match(_FILLER.sub("", clauses[-1])):
                continue
            clauses = clauses[:-1]
        per_clause: list[list[Extracted]] = []
        poisoned = False
        negated_before = False
        inherited: _Subject | None = None
        carried_time: str | None = None
        first_in_sentence = True
        for clause in clauses:
            if _POISON.match(clause):
                poisoned = True
            if poisoned:
                break
            if _GREETING.match(clause):
                continue  # "Hey there! I'm Theo": the greeting leaves the opening to the name
            clause = _FILLER.sub("", clause).strip()
            clause = _LEADING_PUNCT.sub("", clause)
            if not clause:
                continue
            if _ONLY_TIME.match(clause):
                carried_time = clause
                continue
            if _HEDGE_ONLY.match(clause):
                if per_clause:
                    per_clause[-1] = []  # "I live in Paris, I think": not sure enough
                continue
            if _QUESTION_START.match(clause):
                inherited = None
                continue
            if m := _LEADING_TIME.match(clause):
                carried_time = m.group("t")
                clause = clause[m.end() :]
            found, subject, negated = _clause_results(
                clause,
                b,
                correction=correction,
                first_content=first_content,
                first_in_sentence=first_in_sentence,
                inherited=inherited,
                carried_time=carried_time,
            )
            if negated_before and not negated:
                # "I'm not a teacher, I'm a nurse": the second clause corrects the first.
                found = [
                    f if f.kind == "event" or f.attribute in _ACCUMULATING else _corrected(f)
                    for f in found
                ]
            negated_before = negated_before or negated
            per_clause.append(found)
            inherited = subject
            carried_time = None
            first_in_sentence = False
            first_content = False
        for found in per_clause:
            for item in found:
                key = (item.kind, item.subject, item.attribute, item.value.lower())
                if key not in seen:
                    seen.add(key)
                    results.append(item)
    return results


def _corrected(e: Extracted) -> Extracted:
    return replace(e, correction=True)


def supersession_key(e: Extracted) -> tuple[str, str] | None:
    """Two facts with the same key describe the same slot; the newer one supersedes the older.
    None for things that accumulate (likes, events)."""
    if e.kind == "event" or e.attribute in _ACCUMULATING:
        return None
    if e.attribute == "name" and e.subject != "user":
        last = e.subject.split()[-1]
        if last in _NON_UNIQUE and not e.subject.startswith("best "):
            return None  # a second friend's name is a new friend, not a correction
    return (e.subject, e.attribute)
