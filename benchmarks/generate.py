"""Write a realistic journal as rapport's export format (jsonl), for `rapport import`.

200 clients, interactions with notes in several languages, impressions, facts and
follow-ups, spread over five years. Deterministic for a given seed.

    python benchmarks/generate.py --interactions 100000 > journal-100k.jsonl
    rapport --db big.db import journal-100k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

FIRST = [
    "Konrad",
    "Jana",
    "Sophie",
    "Ayşe",
    "Tomás",
    "Jörg",
    "Mette",
    "Łukasz",
    "Chloé",
    "Nils",
    "Amira",
    "Giulia",
    "Henrik",
    "Zoë",
    "Mateo",
    "Ingrid",
    "Yusuf",
    "Agnès",
    "Björn",
    "Lea",
]
LAST = [
    "Brandt",
    "Müller",
    "Laurent",
    "Demir",
    "Ortega",
    "Schäfer",
    "Jørgensen",
    "Nowak",
    "Dubois",
    "Berg",
    "Haddad",
    "Rossi",
    "Lindqvist",
    "Kowalski",
    "García",
    "Weiß",
]
COMPANIES = [
    "Brandt & Vogel",
    "Nordlicht Media",
    "Maison Laurent",
    "Demir Design",
    "Südwind AG",
    "Fjord Digital",
    "Kraków Works",
    "Atelier Rive",
    "Hafenblick GmbH",
    "Oceanic Ads",
]
NOTES = [
    "Lunch at the harbour; talked about his sailing trip and the spring campaign.",
    "Kurzes Telefonat wegen der Mediaplanung, sie meldet sich nächste Woche.",
    "Rendez-vous au bureau, elle veut une deuxième option pour le lancement.",
    "Call about rates. Tense at first, friendly at the end.",
    "Mittagessen, er erzählte von seiner Tochter, die in Leipzig Medizin studiert.",
    "Sent the draft plan; he answered within the hour with three questions.",
    "Met at the trade fair, introduced us to their new head of digital.",
    "Reunión breve: quieren adelantar la campaña de otoño.",
]
KINDS = ["call", "meeting", "lunch", "email", "message", "event", "note"]
TOPICS = ["family", "hobby", "interest", "challenge", "preference", "birthday", "other"]
START = datetime(2021, 1, 1, tzinfo=timezone.utc)
SPAN_SECONDS = 5 * 365 * 24 * 3600


def stamp(moment: datetime) -> str:
    return moment.isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def moment() -> datetime:
        return START + timedelta(seconds=rng.randrange(SPAN_SECONDS))

    out = sys.stdout
    write = out.write

    def emit(record: dict) -> None:
        write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    emit({"type": "header", "format": 1})
    clients = []
    for index in range(args.clients):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {index:03d}"
        client = {"type": "client", "uuid": new_uuid(), "name": name,
                  "company": rng.choice(COMPANIES), "role": "Managing director",
                  "email": f"person{index}@example.com", "phone": None,
                  "tags": sorted(rng.sample(["agency", "media", "brand", "key"], 2)),
                  "cadence_days": rng.choice([None, 14, 30, 90]), "archived": False,
                  "created_at": stamp(START)}  # fmt: skip
        clients.append(client)
        emit(client)
    owners = [(c["uuid"], c["name"]) for c in clients]
    for _ in range(args.interactions):
        owner_uuid, owner_name = rng.choice(owners)
        at = moment()
        emit({"type": "interaction", "uuid": new_uuid(), "client_uuid": owner_uuid,
              "client_name": owner_name, "at": stamp(at), "kind": rng.choice(KINDS),
              "note": rng.choice(NOTES), "mood": rng.choice([None, -1, 0, 1, 2]), "tags": [],
              "created_at": stamp(at)})  # fmt: skip
    for owner_uuid, owner_name in owners:
        for stage, score in (("first", rng.randint(-2, 0)), ("later", rng.randint(0, 2))):
            at = moment()
            emit({"type": "impression", "uuid": new_uuid(), "client_uuid": owner_uuid,
                  "client_name": owner_name, "at": stamp(at), "stage": stage,
                  "text": "Restless at first." if stage == "first" else "Keeps his word.",
                  "score": score, "created_at": stamp(at)})  # fmt: skip
        for _ in range(3):
            at = moment()
            emit({"type": "fact", "uuid": new_uuid(), "client_uuid": owner_uuid,
                  "client_name": owner_name, "at": stamp(at), "topic": rng.choice(TOPICS),
                  "text": "Sails a folkboat out of Kiel.", "created_at": stamp(at)})  # fmt: skip
        at = moment()
        emit({"type": "follow-up", "uuid": new_uuid(), "client_uuid": owner_uuid,
              "client_name": owner_name, "interaction_uuid": None,
              "text": "Send the media plan", "due": (at + timedelta(days=7)).date().isoformat(),
              "done_at": None, "created_at": stamp(at)})  # fmt: skip


if __name__ == "__main__":
    main()
