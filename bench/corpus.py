"""Deterministic synthetic export-sales email texts for benchmarks and tests.

Everything here is made up from small vocabularies and sentence templates; no
real mail is used or needed. All functions take an explicit ``random.Random``
(or a seed) so a given seed always yields the same texts on every machine.

Main entry points:

* ``make_email(rng)``             -- one body of 80-400 words (pitch, quote, order, follow-up)
* ``make_corpus(n, seed)``        -- n independent bodies
* ``near_duplicate(text, rng)``   -- an edited copy, the way a salesperson reuses a template
* ``make_request(seed)``          -- a heavy ``nlp.analyze`` request in the contract format
"""

from __future__ import annotations

import random
import re

__all__ = [
    "FIRST_NAMES",
    "make_corpus",
    "make_email",
    "make_request",
    "near_duplicate",
]

FIRST_NAMES = [
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Marie",
    "Felix",
    "Laura",
    "Paul",
    "Julia",
    "Max",
    "Pierre",
    "Camille",
    "Louis",
    "Chloe",
    "Antoine",
    "Lucia",
    "Javier",
    "Carmen",
    "Diego",
    "Elena",
    "Marco",
    "Giulia",
    "Luca",
    "Francesca",
    "John",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Jessica",
    "Robert",
    "Olivia",
    "Ahmed",
    "Fatima",
    "Omar",
    "Priya",
    "Rahul",
    "Kenji",
    "Yuki",
    "Hiroshi",
    "Mateus",
    "Beatriz",
    "Ivan",
    "Olga",
    "Piotr",
    "Agnieszka",
    "Lars",
    "Ingrid",
    "Erik",
    "Sanne",
    "Daan",
    "Bram",
    "Noor",
    "Mehmet",
    "Ayse",
    "Tomasz",
]
LAST_NAMES = [
    "Schmidt",
    "Mueller",
    "Weber",
    "Fischer",
    "Wagner",
    "Becker",
    "Dubois",
    "Martin",
    "Bernard",
    "Garcia",
    "Lopez",
    "Martinez",
    "Rossi",
    "Bianchi",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Khan",
    "Patel",
    "Sato",
    "Tanaka",
    "Silva",
    "Santos",
    "Ivanov",
    "Kowalski",
    "Nielsen",
    "Jansen",
    "de Vries",
    "Yilmaz",
    "Andersson",
    "Novak",
    "Horvat",
    "Costa",
    "Moreau",
]
COMPANIES = [
    "Mueller GmbH",
    "Lichtwerk AG",
    "Nordbau Handel",
    "Batiplus SARL",
    "Eclairage Moderne",
    "Iluminacion Sol SL",
    "Ferreteria Central",
    "Luce Italia Srl",
    "Brightway Lighting Ltd",
    "Northstar Supply Inc",
    "Al Noor Trading LLC",
    "Tokyo Denki Shoji",
    "Casa Verde Ltda",
    "Polmet Sp. z o.o.",
    "Nordic Home AB",
    "Holland Tools BV",
    "Anadolu Yapi AS",
    "Pacific Hardware Pty",
    "Kraft Industrietechnik",
    "Gulf Building Materials",
    "Metro Electrical Wholesale",
    "Baumarkt Partner",
    "Sunrise Garden Products",
]
CITIES = [
    "Hamburg",
    "Rotterdam",
    "Antwerp",
    "Felixstowe",
    "Valencia",
    "Genoa",
    "Le Havre",
    "Gdansk",
    "Dubai",
    "Los Angeles",
    "Sydney",
    "Santos",
    "Istanbul",
    "Yokohama",
    "Durban",
]
PORTS_CN = ["Ningbo", "Shanghai", "Shenzhen", "Qingdao", "Xiamen", "Guangzhou", "Tianjin"]
FAIRS = [
    "the Canton Fair",
    "Light + Building in Frankfurt",
    "the Hong Kong Lighting Fair",
    "Ambiente",
    "the National Hardware Show",
    "Big 5 in Dubai",
    "Interzum",
    "Eisenwarenmesse",
]
PRODUCTS = [
    ("LED panel light", "LED panel lights"),
    ("stainless steel ball valve", "stainless steel ball valves"),
    ("solar inverter", "solar inverters"),
    ("garden hose reel", "garden hose reels"),
    ("cordless drill", "cordless drills"),
    ("ceramic floor tile", "ceramic floor tiles"),
    ("aluminium window profile", "aluminium window profiles"),
    ("PVC pipe fitting", "PVC pipe fittings"),
    ("office chair", "office chairs"),
    ("bamboo cutting board", "bamboo cutting boards"),
    ("silicone kitchen utensil set", "silicone kitchen utensil sets"),
    ("USB-C charger", "USB-C chargers"),
    ("LED strip light", "LED strip lights"),
    ("ceiling fan", "ceiling fans"),
    ("water pump", "water pumps"),
    ("safety helmet", "safety helmets"),
    ("nitrile glove", "nitrile gloves"),
    ("copper cable", "copper cables"),
    ("gas spring", "gas springs"),
    ("outdoor solar lamp", "outdoor solar lamps"),
]
ADJECTIVES = [
    "high quality",
    "durable",
    "energy saving",
    "cost effective",
    "reliable",
    "certified",
    "customized",
    "lightweight",
    "heavy duty",
    "eco friendly",
    "premium",
    "competitive",
    "innovative",
    "compact",
    "waterproof",
    "modern",
    "professional",
    "stable",
]
CERTS = ["CE", "RoHS", "ISO 9001", "UL", "SGS", "TUV", "REACH", "ERP", "FCC", "BSCI"]
INCOTERMS = ["FOB", "CIF", "EXW", "DDP", "CFR", "DAP"]
PAYMENT = [
    "30% deposit and 70% balance before shipment",
    "100% T/T in advance",
    "L/C at sight",
    "30% deposit and 70% against copy of B/L",
    "net 60 days after delivery",
]
FILLERS = [
    "really",
    "also",
    "of course",
    "as you know",
    "in fact",
    "currently",
    "already",
    "kindly",
    "please",
    "now",
    "still",
    "very",
    "quite",
    "just",
    "indeed",
]
EXTRA_WORDS = [
    "quality",
    "price",
    "delivery",
    "order",
    "sample",
    "catalog",
    "factory",
    "market",
    "customer",
    "shipment",
    "discount",
    "container",
    "warehouse",
    "packaging",
    "design",
    "model",
    "stock",
    "production",
    "service",
    "support",
    "offer",
    "request",
    "project",
    "season",
    "schedule",
    "logistics",
    "inspection",
    "warranty",
    "distributor",
    "retail",
]

# Sentence templates per section; several phrasings of the same idea so that
# independent mails share vocabulary but rarely long identical runs -- as in
# real sales mail, where stock phrases recur but whole bodies do not.
INTRO = [
    "I hope this message finds you well.",
    "Hope you are doing well and business is going smoothly.",
    "It was a pleasure to meet you at {fair} last {month}.",
    "Thank you for visiting our booth at {fair} and for your interest in our {products}.",
    "This is {me} from {mycompany}, we are a {adj} manufacturer of {products} based in {cnport}.",
    "Thanks for your quick reply yesterday.",
    "Following up on our call on {weekday}, I am writing with the details you asked for.",
    "I got your contact from {fair} and would like to introduce our {products}.",
    "Greetings from {cnport}!",
    "Thank you for your inquiry about our {products}.",
]
COMPANY = [
    "Our factory was founded in {year} and now has more than {n100} workers and {n10} production lines.",
    "We have been exporting {products} to {country} for over {n10} years and work with many importers there.",
    "All our products are certified to {cert} and {cert2}, and we run a full inspection before each shipment.",
    "Our annual capacity is about {n1000} thousand pieces, so we can support large orders and seasonal peaks.",
    "We are an audited supplier with {cert} certification and our own R&D team of {n10} engineers.",
    "Our main markets are Europe, the Middle East and North America, where we supply wholesalers and DIY chains.",
    "We also offer OEM and ODM service, including your own logo, color box and user manual.",
]
PITCH = [
    "Our new {product} is {adj} and {adj2}, and it is now {pct}% cheaper than last season.",
    "The {product} comes with a {n10}-year warranty and passed {cert} testing last month.",
    "Compared with other suppliers, our {products} use better materials and have a lower failure rate.",
    "Many customers in {country} choose our {product} because of its {adj} design and stable quality.",
    "We recently upgraded the {product} with a {adj} housing and improved packaging for long sea freight.",
    "This model is one of our best sellers and is very popular with retailers in {country}.",
    "The {product} is available in {n10} sizes and {n10b} colors, and we can customize the packaging for you.",
    "I believe our {products} would fit well into your range for the coming {season} season.",
    "Our engineers reduced the energy consumption of the {product} by {pct}% without raising the price.",
    "With our {products} your customers will get {adj} performance at a {adj2} price.",
]
QUOTE = [
    "Please find below our best price for the {product}: USD {price} per piece {incoterm} {cnport}.",
    "For a quantity of {qty} pieces, the unit price is USD {price} {incoterm} {cnport}, valid until the end of {month}.",
    "The MOQ is {moq} pieces per model and the lead time is about {days} days after deposit.",
    "Payment terms are {payment}.",
    "Shipping to {city} takes about {n10c} days by sea and we can arrange the freight for you.",
    "One 40HQ container holds about {qty} pieces, which brings the landed cost down considerably.",
    "If you order before {month}, we can offer an extra {pct2}% discount on the first order.",
    "The price includes standard export packaging and {cert} certificates.",
    "For orders above {qty} pieces we can lower the price to USD {price2} per piece.",
]
SAMPLE = [
    "We can send you free samples for testing, you only need to pay the courier cost.",
    "Samples can be ready within {days2} days and shipped by DHL or FedEx.",
    "Would you like us to send a sample of the {product} so your team can check the quality?",
    "I have attached our latest catalog and price list for your reference.",
    "Please let me know which models you are interested in and I will prepare a detailed offer.",
]
ORDER = [
    "We confirm receipt of your purchase order {po} for {qty} pieces of {product}.",
    "Production of order {po} has started and is expected to finish on {date}.",
    "The goods for order {po} have passed inspection and will be loaded on {date}.",
    "Attached please find the proforma invoice for order {po}, kindly check and confirm.",
    "The vessel is scheduled to leave {cnport} on {date} and arrive in {city} about {n10c} days later.",
    "Please arrange the balance payment so that we can release the original documents.",
    "We will send you the photos of the packed goods and the container loading before shipment.",
    "The tracking number for the documents is {tracking}.",
]
FOLLOWUP = [
    "I am writing to follow up on my previous email about our {products}.",
    "Did you have a chance to review the quotation I sent last {weekday}?",
    "I understand you are busy, so I just wanted to check if you received our catalog.",
    "Our prices for raw materials will rise next month, so this is a good time to place an order.",
    "If the price is the main concern, please tell me your target price and I will discuss it with my boss.",
    "We still have a few production slots available before the Chinese New Year holiday.",
]
CLOSING = [
    "Looking forward to your reply.",
    "Please feel free to contact me if you have any questions.",
    "I am happy to arrange a video call to show you our factory and production line.",
    "Thank you for your time and I hope we can start a long term cooperation.",
    "We look forward to working with you and {company}.",
    "Let me know if you need any further information or documents.",
    "Have a nice weekend.",
    "Waiting for your kind feedback.",
]
GREETINGS = [
    "Dear {name},",
    "Hi {name},",
    "Hello {name},",
    "Dear Mr. {last},",
    "Dear Ms. {last},",
    "Good morning {name},",
]

COUNTRIES = [
    "Germany",
    "France",
    "Spain",
    "Italy",
    "the UK",
    "Poland",
    "the Netherlands",
    "the UAE",
    "Saudi Arabia",
    "the USA",
    "Australia",
    "Brazil",
    "Turkey",
    "Japan",
    "Sweden",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
SEASONS = ["spring", "summer", "autumn", "winter", "Christmas", "back to school"]
MY_NAMES = ["Tom Li", "Jenny Wang", "Kevin Zhang", "Lily Chen", "Jack Liu", "Amy Zhao", "Leo Wu"]
MY_COMPANIES = [
    "Acme Export Co., Ltd.",
    "Ningbo Bright Lighting",
    "Sunny Tools Manufacturing",
    "Golden Bridge Industrial",
    "Everwin Trading",
    "Hengtai Hardware Factory",
]

KINDS = {
    # kind: list of (section, min sentences, max sentences)
    "pitch": [(INTRO, 1, 3), (COMPANY, 1, 4), (PITCH, 2, 7), (QUOTE, 0, 3), (SAMPLE, 1, 3), (CLOSING, 1, 3)],
    "quote": [(INTRO, 1, 2), (QUOTE, 3, 8), (PITCH, 0, 3), (SAMPLE, 0, 2), (CLOSING, 1, 2)],
    "order": [(INTRO, 0, 2), (ORDER, 3, 7), (QUOTE, 0, 2), (CLOSING, 1, 2)],
    "followup": [(FOLLOWUP, 2, 5), (PITCH, 1, 4), (QUOTE, 0, 3), (SAMPLE, 0, 2), (CLOSING, 1, 3)],
}

_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: random.Random, fixed: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in fixed:
            return fixed[key]
        return _slot_value(key, rng)

    return _SLOT.sub(repl, template)


def _slot_value(key: str, rng: random.Random) -> str:
    c = rng.choice
    r = rng.randint
    if key in ("adj", "adj2"):
        return c(ADJECTIVES)
    if key in ("cert", "cert2"):
        return c(CERTS)
    if key == "fair":
        return c(FAIRS)
    if key == "month":
        return c(MONTHS)
    if key == "weekday":
        return c(WEEKDAYS)
    if key == "season":
        return c(SEASONS)
    if key == "country":
        return c(COUNTRIES)
    if key == "city":
        return c(CITIES)
    if key == "cnport":
        return c(PORTS_CN)
    if key == "incoterm":
        return c(INCOTERMS)
    if key == "payment":
        return c(PAYMENT)
    if key == "company":
        return c(COMPANIES)
    if key == "year":
        return str(r(1988, 2018))
    if key in ("n10", "n10b", "n10c"):
        return str(r(2, 45))
    if key == "n100":
        return str(r(50, 900))
    if key == "n1000":
        return str(r(100, 9000))
    if key in ("pct", "pct2"):
        return str(r(3, 30))
    if key in ("price", "price2"):
        return f"{r(1, 180)}.{r(0, 99):02d}"
    if key in ("qty", "moq"):
        return f"{r(1, 60) * 100:,}"
    if key in ("days", "days2"):
        return str(r(5, 60))
    if key == "po":
        return f"PO-{r(10000, 99999)}"
    if key == "date":
        return f"{c(MONTHS)} {r(1, 28)}"
    if key == "tracking":
        return str(r(10**9, 10**10 - 1))
    if key in ("product", "products"):
        p = c(PRODUCTS)
        return p[0] if key == "product" else p[1]
    raise KeyError(key)


def make_email(rng: random.Random, *, greeting: bool = True, min_words: int = 80, max_words: int = 400) -> str:
    """One synthetic sales/quote/order body of ``min_words``..``max_words`` words."""
    kind = rng.choice(list(KINDS))
    product = rng.choice(PRODUCTS)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    # The product is fixed per mail (a mail is about one product line), the rest varies per slot.
    fixed = {
        "product": product[0],
        "products": product[1],
        "name": first,
        "last": last,
        "me": rng.choice(MY_NAMES),
        "mycompany": rng.choice(MY_COMPANIES),
        "company": rng.choice(COMPANIES),
    }
    target = rng.randint(min_words, max_words)
    sentences: list[str] = []
    for section, lo, hi in KINDS[kind]:
        for tpl in rng.sample(section, min(len(section), rng.randint(lo, hi))):
            sentences.append(_fill(tpl, rng, fixed))
    # Pad with more content sentences (and occasional personal remarks) up to the target length.
    pool = PITCH + QUOTE + COMPANY + SAMPLE + (ORDER if kind == "order" else FOLLOWUP)
    unused = list(pool)
    rng.shuffle(unused)
    while sum(len(s.split()) for s in sentences) < target:
        # Templates are drawn without replacement first: a mail rarely repeats itself.
        tpl = unused.pop() if unused else rng.choice(pool)
        personal = rng.random() < 0.15
        s = _fill(tpl, rng, fixed)
        if personal:
            s = f"{first}, " + s[0].lower() + s[1:]
        sentences.insert(rng.randint(1, max(1, len(sentences) - 1)), s)
    paragraphs = []
    para: list[str] = []
    for s in sentences:
        para.append(s)
        if rng.random() < 0.3:
            paragraphs.append(" ".join(para))
            para = []
    if para:
        paragraphs.append(" ".join(para))
    body = "\n\n".join(paragraphs)
    words = body.split()
    if len(words) > max_words:
        body = " ".join(words[:max_words])
    if greeting:
        body = _fill(rng.choice(GREETINGS), rng, fixed) + "\n\n" + body
    return body


def make_corpus(n: int, seed: int = 0, **kw: object) -> list[str]:
    rng = random.Random(seed)
    return [make_email(rng, **kw) for _ in range(n)]  # type: ignore[arg-type]


def _all_fill_words() -> list[str]:
    words: set[str] = set(EXTRA_WORDS) | set(FILLERS)
    for seq in (ADJECTIVES, COUNTRIES, CITIES, MONTHS):
        for item in seq:
            words.update(item.split())
    return sorted(words)


_FILL_WORDS = _all_fill_words()
_NAME_RE = re.compile(r"\b(?:" + "|".join(FIRST_NAMES) + r")\b")


def near_duplicate(text: str, rng: random.Random, strength: float | None = None) -> str:
    """An edited copy of ``text``, as when a salesperson reuses a template.

    Always swaps the recipient's first name (everywhere it occurs); then applies
    ``strength * words`` random edits: word substitutions, insertions, deletions,
    adjacent swaps, changed numbers, added/removed/rewritten sentences.
    ``strength`` defaults to a draw that makes 40 % light edits (ratio > 0.95)
    and spreads the rest evenly over ratios of about 0.72-0.95, so that
    recall and precision measured on these pairs exercise the 0.85 threshold
    rather than only easy cases.
    """
    if strength is None:
        u = rng.random()
        strength = 0.04 * rng.random() if u < 0.4 else 0.04 + 0.56 * rng.random()
    present = set(_NAME_RE.findall(text))
    swap = {n: rng.choice(FIRST_NAMES) for n in FIRST_NAMES if n in present}
    text = _NAME_RE.sub(lambda m: swap[m.group(0)], text)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    n_edits = round(strength * len(text.split()))
    fixed_product = rng.choice(PRODUCTS)
    fixed = {
        "product": fixed_product[0],
        "products": fixed_product[1],
        "name": rng.choice(FIRST_NAMES),
        "last": rng.choice(LAST_NAMES),
        "me": rng.choice(MY_NAMES),
        "mycompany": rng.choice(MY_COMPANIES),
        "company": rng.choice(COMPANIES),
    }
    pool = PITCH + QUOTE + SAMPLE + CLOSING + FOLLOWUP
    while n_edits > 0:
        op = rng.random()
        if op < 0.1 and n_edits >= 8:
            # add a sentence (counts as many word edits)
            s = _fill(rng.choice(pool), rng, fixed)
            sentences.insert(rng.randint(0, len(sentences)), s)
            n_edits -= len(s.split())
            continue
        if op < 0.15 and n_edits >= 8 and len(sentences) > 3:
            i = rng.randrange(1, len(sentences))
            n_edits -= len(sentences[i].split())
            del sentences[i]
            continue
        if op < 0.2 and n_edits >= 8:
            i = rng.randrange(len(sentences))
            old = len(sentences[i].split())
            sentences[i] = _fill(rng.choice(pool), rng, fixed)
            n_edits -= max(old, len(sentences[i].split()))
            continue
        i = rng.randrange(len(sentences))
        words = sentences[i].split()
        if not words:
            continue
        j = rng.randrange(len(words))
        if op < 0.45:
            words[j] = rng.choice(_FILL_WORDS)
        elif op < 0.6:
            words.insert(j, rng.choice(_FILL_WORDS))
        elif op < 0.75 and len(words) > 3:
            del words[j]
        elif op < 0.88 and j + 1 < len(words):
            words[j], words[j + 1] = words[j + 1], words[j]
        else:
            words[j] = (
                re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), words[j])
                if any(ch.isdigit() for ch in words[j])
                else rng.choice(_FILL_WORDS)
            )
        sentences[i] = " ".join(words)
        n_edits -= 1
    return " ".join(s for s in sentences if s)


def _addr(first: str, last: str, company: str, tld: str) -> str:
    dom = re.sub(r"[^a-z]", "", company.lower().split()[0]) or "example"
    return f"{first.lower()}.{re.sub(r'[^a-z]', '', last.lower())}@{dom}-trade.{tld}"


def make_request(
    seed: int = 0, *, n_to: int = 10, n_contacts: int = 10, n_history: int = 50, body_words: int = 300
) -> dict:
    """A heavy ``nlp.analyze`` request (contract format) for latency benchmarks."""
    rng = random.Random(seed)
    tlds = ["de", "fr", "es", "it", "co.uk", "pl", "nl", "ae", "com", "com.au", "com.br", "jp"]
    people = []
    for _ in range(max(n_to, n_contacts)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = rng.choice(COMPANIES)
        people.append((first, last, company, _addr(first, last, company, rng.choice(tlds))))
    body = make_email(rng, greeting=False, min_words=body_words, max_words=body_words)
    first = people[0][0]
    draft = {
        "from": {"name": "Tom Li", "email": "tom@acme-export.cn"},
        "to": [{"name": f"{p[0]} {p[1]}", "email": p[3]} for p in people[:n_to]],
        "cc": [],
        "bcc": [],
        "subject": "New LED panel lights - special price for your market",
        "body": {
            "text": f"Dear {first},\n\n{body}\n\nBest regards,\nTom Li\nAcme Export Co., Ltd.\n"
            "88 Huangpu Road, Ningbo, China\nTel: +86 574 1234 5678",
            "html": None,
        },
        "attachments": [{"name": "catalog.pdf", "size": 2400000, "content_type": "application/pdf"}],
        "thread": {"is_reply": False, "previous_messages": 0},
    }
    contacts = []
    for first_, last_, company, email in people[:n_contacts]:
        interactions = []
        for _ in range(rng.randint(1, 4)):
            interactions.append(
                {
                    "date": f"2026-{rng.randint(3, 11):02d}-{rng.randint(1, 28):02d}",
                    "direction": rng.choice(["in", "out"]),
                    "subject": rng.choice(["Inquiry", "Quotation", "Samples", "Re: price list", "Order"])
                    + f" {rng.choice(PRODUCTS)[1]}",
                    "summary": _fill(
                        rng.choice(PITCH + QUOTE + FOLLOWUP),
                        rng,
                        {"product": "LED panel light", "products": "LED panel lights"},
                    ),
                }
            )
        contacts.append(
            {
                "email": email,
                "name": f"{first_} {last_}",
                "company": company,
                "country": rng.choice(["DE", "FR", "ES", "IT", "GB", "PL", "NL", "AE", "US", "AU"]),
                "kind": "b2b",
                "role": rng.choice(["purchasing", "owner", "sales", "engineering"]),
                "industry": rng.choice(["lighting wholesale", "DIY retail", "electrical contractor", "hardware"]),
                "stage": rng.choice(["prospect", "sample", "negotiation", "customer", "repeat"]),
                "consent": {
                    "status": rng.choice(["opt_in", "soft_opt_in", "unknown", "none"]),
                    "source": "trade fair form",
                    "date": "2026-03-10",
                },
                "unsubscribed": False,
                "interactions": interactions,
            }
        )
    history = []
    for k in range(n_history):
        p = rng.choice(people)
        day = 27 - (k * 13) // max(1, n_history)
        history.append(
            {
                "sent_at": f"2026-11-{max(1, day):02d}T{rng.randint(6, 17):02d}:{rng.randint(0, 59):02d}:00Z",
                "from": "tom@acme-export.cn",
                "to": [p[3]] if rng.random() < 0.8 else [q[3] for q in rng.sample(people, 3)],
                "subject": rng.choice(["Quotation", "New products", "Follow up", "Order update"])
                + f" - {rng.choice(PRODUCTS)[1]}",
                "body": (near_duplicate(body, rng) if rng.random() < 0.4 else make_email(rng, greeting=False)),
            }
        )
    return {
        "draft": draft,
        "context": {
            "now": "2026-11-27T10:00:00Z",
            "locale": "en",
            "org": {"domains": ["acme-export.cn"], "postal_address": "88 Huangpu Road, Ningbo, China"},
            "contacts": contacts,
            "history": history,
        },
    }
