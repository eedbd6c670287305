"""Rebuild the entity knowledge files from the packages whose data they come from.

    pip install -e '.[knowledge]' && python -m pipeline.extract.knowledge.build

- given_names.txt: the given names of Faker's person providers, every locale, Latin
  script only (Faker, MIT licence). It replaces gender-guesser's list (GPLv3 code, GFDL
  data), which a permissively licensed wirestream cannot ship.
- companies.tsv: the constituents of 20 stock indices (CAC 40, SBF/CAC Mid 60, DAX, MDAX,
  SDAX, TecDAX, FTSE 100, EURO STOXX 50, S&P 500/100/600, NASDAQ 100, Dow Jones, IBEX 35,
  AEX, BEL 20, SMI, OMX 25/30, Nikkei 225) from pytickersymbols (MIT licence): the listed
  name and its short form without the legal form (cleanco, MIT licence).
- legal_forms.txt: the legal forms cleanco knows (SA, AG, GmbH, plc, SpA, NV, Oyj ...),
  written as they follow a company's name.

institutions.tsv and companies_extra.tsv are written by hand (regulators, unions, agencies,
parties; well-known companies the index lists miss),
not built.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

HERE = Path(__file__).parent
_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-žȘșȚț'’-]{2,}$")


def given_names() -> list[str]:
    import faker.providers.person as person

    names: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        try:
            module = importlib.import_module(f"faker.providers.person.{info.name}")
        except ImportError:
            continue
        provider = getattr(module, "Provider", None)
        if provider is None:
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            value = provider.__dict__.get(attr)
            if value is None or isinstance(value, property):
                continue
            for n in value.keys() if isinstance(value, dict) else value:
                if isinstance(n, str) and _LATIN.match(n) and n[0].isupper():
                    names.add(n)
    return sorted(names)


# Written after a name in these forms; ambiguous short words ('as', 'at', 'co', 'et') left out.
_SKIP_FORMS = {
    "as", "at", "et", "ok", "ad", "ba", "ec", "ei", "ep", "pp", "sp", "uk", "co", "da", "sd",
    "ps", "ks", "og", "oe", "vat", "ud", "sf", "pt", "ae", "ee", "mb", "bl", "bm", "fa", "hf",
    "ij", "ik", "kt", "nl", "ky", "ay", "aj", "kf", "kb", "kd", "gp", "ev", "sal", "sem",
    "sep", "cio", "cic", "private", "limited", "unlimited", "company", "and company", "teo",
    "e.g.", "i/s", " i/s", "etat", "fop", "sia", "ans", "ood", "dat", "tov", "ent.",
}  # fmt: skip


def legal_forms() -> list[str]:
    from cleanco.termdata import terms_by_country, terms_by_type

    terms: set[str] = set()
    for group in (*terms_by_type.values(), *terms_by_country.values()):
        terms.update(t.strip() for t in group)
    out: set[str] = set()
    for t in terms:
        if t.lower() in _SKIP_FORMS or not re.search(r"[a-z]", t) or len(t) < 2:
            continue
        if not t[0].isalpha():  # '& co', '3ao'
            continue
        bare = t.replace(".", "")
        if len(bare) <= 4 and " " not in t:
            out.add(t.upper())  # SA, AG, NV, PLC, S.A., S.P.A.
        out.add(t[:1].upper() + t[1:])  # Inc, Ltd, Corp., Oyj, Gmbh
    out |= {"GmbH", "SpA", "S.p.A.", "KGaA", "AG & Co. KGaA", "GmbH & Co. KG", "Plc", "plc",
            "Inc.", "Ltd.", "Corp.", "SE", "SAS", "SARL", "Sàrl", "BV", "B.V.", "N.V."}  # fmt: skip
    return sorted(out)


def companies() -> list[tuple[str, str]]:
    from cleanco import basename
    from pytickersymbols import PyTickerSymbols

    rows: set[tuple[str, str]] = set()
    for stock in PyTickerSymbols().get_all_stocks():
        name = " ".join(str(stock["name"]).split())
        short = basename(name).strip(" ,")
        rows.add((name, short if short and short != name else ""))
    return sorted(rows)


def main() -> None:
    (HERE / "given_names.txt").write_text(
        "# Given names: Faker's person providers, all locales, Latin script (MIT licence).\n"
        + "\n".join(given_names())
        + "\n",
        encoding="utf-8",
    )
    (HERE / "legal_forms.txt").write_text(
        "# Legal forms written after a company name: cleanco's terms (MIT licence).\n"
        + "\n".join(legal_forms())
        + "\n",
        encoding="utf-8",
    )
    (HERE / "companies.tsv").write_text(
        "# Listed companies (20 stock indices): pytickersymbols (MIT licence).\n"
        "# name\tshort form without the legal form (cleanco)\n"
        + "\n".join(f"{n}\t{s}" for n, s in companies())
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
