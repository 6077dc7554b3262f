#!/usr/bin/env python3
"""Writes the files bench/import.sh imports: a CSV of N contacts as French Excel saves
it (Windows-1252, semicolons, CRLF, 20 columns, French headers and values) in which
about 5% of the rows repeat an earlier address and 5% are invalid, and a suppression
list of N lines (addresses and MD5s, some repeated). Usage:
  import_data.py contacts N FILE
  import_data.py suppression N FILE
Deterministic (a fixed seed), so every run imports the same files."""
import hashlib
import random
import sys

FIRST = ["Anne", "Léa", "Chloé", "Zoé", "Inès", "Hélène", "Jérôme", "François", "Loïc", "Noël", "Marc", "Paul"]
LAST = ["Lefèvre", "Durand", "Martin", "Bernard", "Dubois", "Girard", "Rousseau", "Mercier", "Fontaine", "Chevalier"]
CITY = [("75011", "Paris"), ("69001", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"), ("59000", "Lille")]
INTERESTS = ["vins", "fromages", "voyages", "cuisine", "jardin", "mode", "sport"]
HEADER = [
    "Courriel", "Civilité", "Prénom", "Nom", "Téléphone", "Date de naissance", "Société", "Fonction",
    "Adresse", "Complément d'adresse", "Code postal", "Ville", "Pays", "Centres d'intérêt", "Dernier achat",
    "Montant total", "Canal", "Source", "Date d'inscription", "Fidélité",
]


def contacts(n, path):
    rnd = random.Random(20261202)
    seen = []
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write(";".join(HEADER) + "\r\n")
        for i in range(n):
            roll = rnd.random()
            if roll < 0.05 and seen:
                email = rnd.choice(seen).upper()  # the same address, written otherwise
            elif roll < 0.10:
                email = f"pas-une-adresse-{i}"  # refused
            else:
                email = f"client{i}@exemple.fr"
                if len(seen) < 100_000:
                    seen.append(email)
            postal, city = rnd.choice(CITY)
            row = [
                email,
                rnd.choice(["M.", "Mme"]),
                rnd.choice(FIRST),
                rnd.choice(LAST),
                f"06 {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)}",
                f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(1950, 2005)}",
                rnd.choice(["", "Dupont SA", "Atelier Léon"]),
                rnd.choice(["", "Gérant", "Acheteuse"]),
                f"{rnd.randint(1, 120)} rue de la République",
                rnd.choice(["", "Bâtiment B"]),
                postal,
                city,
                "France",
                ", ".join(rnd.sample(INTERESTS, 2)),
                f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(2020, 2025)}",
                f"{rnd.randint(0, 4000)},{rnd.randint(0, 99):02d}",
                rnd.choice(["Magasin", "Web", "Salon"]),
                "Ancien CRM",
                f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(2018, 2025)}",
                rnd.choice(["or", "argent", "bronze"]),
            ]
            out.write(";".join(row) + "\r\n")


def suppression(n, path):
    rnd = random.Random(7)
    with open(path, "w", encoding="ascii", newline="") as out:
        out.write("email\n")
        for i in range(n):
            address = f"ancien{rnd.randint(0, n)}@exemple.fr"
            if i % 2:
                out.write(hashlib.md5(address.encode()).hexdigest() + "\n")
            else:
                out.write(address + "\n")


if __name__ == "__main__":
    kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    {"contacts": contacts, "suppression": suppression}[kind](n, path)
