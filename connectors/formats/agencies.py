"""Agency names from what formats carry: provider ids, domains, qcodes, credits."""

from __future__ import annotations

import re

# Provider ids, mail domains and names as feeds write them -> the agency's short name.
AGENCIES: dict[str, str] = {
    "afp.com": "AFP", "afp": "AFP", "agence france-presse": "AFP",
    "ap.org": "AP", "ap": "AP", "associated press": "AP", "the associated press": "AP",
    "aap.com.au": "AAP", "aap": "AAP", "australian associated press": "AAP",
    "ana-mpe.gr": "ANA", "ana-mpe": "ANA", "ana": "ANA", "απε-μπε": "ANA",
    "ansa.it": "ANSA", "ansa": "ANSA",
    "bbc.co.uk": "BBC", "bbc.com": "BBC", "bbc": "BBC",
    "dpa.com": "DPA", "dpa.de": "DPA", "dpa": "DPA", "dpa-afx": "DPA-AFX",
    "efe.com": "EFE", "efe": "EFE", "agencia efe": "EFE",
    "ntb.no": "NTB", "ntb": "NTB",
    "pa.press.net": "PA", "pamediagroup.com": "PA", "pa": "PA", "press association": "PA",
    "reuters.com": "Reuters", "thomsonreuters.com": "Reuters", "reuters": "Reuters",
    "ritzau.dk": "Ritzau", "ritzau": "Ritzau",
    "stt.fi": "STT", "stt": "STT", "stt-lehtikuva": "STT",
    "wenn.com": "WENN", "wenn": "WENN",
    "belga.be": "Belga", "belga": "Belga", "anp.nl": "ANP", "anp": "ANP",
    "apa.at": "APA", "apa": "APA", "tt.se": "TT", "tt": "TT", "tt nyhetsbyrån": "TT", "sda.ch": "SDA", "sda": "SDA",
    "kyodonews.jp": "Kyodo", "xinhuanet.com": "Xinhua", "xinhua": "Xinhua",
}  # fmt: skip
_PREFIX = re.compile(r"^(?:urn:|https?://|www\.|mailto:)+", re.IGNORECASE)


def agency_name(value: str | None) -> str | None:
    """'afp.com' -> 'AFP', 'nprov:REUTERS' -> 'Reuters', 'news@dpa.com' -> 'DPA';
    an unknown short name is kept as given, an unknown long one is None."""
    if not value or not value.strip():
        return None
    raw = value.strip()
    key = _PREFIX.sub("", raw.lower()).strip("/ ")
    if "@" in key:
        key = key.rsplit("@", 1)[1]
    if ":" in key and not key.startswith(("http", "urn")):
        key = key.rsplit(":", 1)[1]  # qcode 'nprov:afp'
    if key in AGENCIES:
        return AGENCIES[key]
    parts = key.split(".")
    for i in range(len(parts) - 1):  # 'newsml.afp.com' -> 'afp.com'
        if (domain := ".".join(parts[i:])) in AGENCIES:
            return AGENCIES[domain]
    if re.fullmatch(r"[\w-]{2,12}", key):
        short = raw.rsplit(":", 1)[-1]
        return short.upper() if short.islower() else short
    return None


def known_agency(value: str | None) -> str | None:
    """Like agency_name, but only for names in AGENCIES (an author is no agency)."""
    name = agency_name(value)
    return name if name in AGENCIES.values() else None
