"""Dataset metadata: an indicator as Satu Data describes it, and the DCAT catalogue
(JSON-LD) that Satu Data Indonesia and CKAN (ckanext-dcat) harvesters read. Pure."""

from dataclasses import dataclass

FREQUENCY = {  # Dublin Core accrual periodicity (EU frequency vocabulary)
    "monthly": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
    "quarterly": "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
    "yearly": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "api": "application/json",
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}


def indicator_metadata(indicator) -> dict:
    """The indicator's metadata as the API gives it."""
    return {
        "code": indicator.code,
        "name": {"id": indicator.name_id, "en": indicator.name_en},
        "definition": {"id": indicator.definition_id, "en": indicator.definition_en},
        "unit": indicator.unit,
        "frequency": str(indicator.frequency),
        "sensitive": indicator.sensitive,
        "suppression_k": indicator.suppression_k,
        "per_household": indicator.per_household,
        "source": indicator.source,
        "linked": [link.relation for link in links_of(indicator.code)],
    }


@dataclass(frozen=True)
class Dataset:
    """One indicator as a dataset: its department, latest release and URLs."""

    indicator: object
    department: object
    release: object | None
    links: dict[str, str]


def dcat(home: str, datasets: list[Dataset]) -> dict:
    """A ``dcat:Catalog`` with one ``dcat:Dataset`` per indicator (JSON-LD)."""
    return {
        "@context": CONTEXT,
        "@id": home,
        "@type": "dcat:Catalog",
        "dct:title": "Transparansi RT — Kota Surabaya",
        "dct:description": "Published, privacy-protected figures per RT of Kota Surabaya.",
        "dct:language": ["id", "en"],
        "foaf:homepage": home,
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": "Diskominfo Kota Surabaya"},
        "dcat:dataset": [_dataset(dataset) for dataset in datasets],
    }


def _dataset(dataset: Dataset) -> dict:
    indicator, release = dataset.indicator, dataset.release
    entry = {
        "@id": dataset.links["landing"],
        "@type": "dcat:Dataset",
        "dct:identifier": indicator.code,
        "dct:title": [
            {"@language": "id", "@value": indicator.name_id},
            {"@language": "en", "@value": indicator.name_en},
        ],
        "dct:description": [
            {"@language": "id", "@value": indicator.definition_id},
            {"@language": "en", "@value": indicator.definition_en},
        ],
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": dataset.department.name},
        "dct:accrualPeriodicity": {"@id": FREQUENCY.get(str(indicator.frequency), "")},
        "dct:spatial": "Kota Surabaya (35.78)",
        "dcat:keyword": ["RT", "Surabaya", indicator.unit],
        "dcat:landingPage": dataset.links["landing"],
        "dct:source": indicator.source,
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:title": f"{indicator.code} {release.period.code} ({fmt.upper()})",
                "dcat:downloadURL" if fmt != "api" else "dcat:accessURL": url,
                "dcat:mediaType": MEDIA_TYPES[fmt],
                "dct:format": fmt.upper(),
            }
            for fmt, url in dataset.links.items()
            if fmt != "landing" and release is not None
        ],
    }
    if release is not None:
        entry["dct:modified"] = release.publication.published_at.date().isoformat()
        entry["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": release.period.starts_on.isoformat(),
            "dcat:endDate": release.period.ends_on.isoformat(),
        }
    return entry


@dataclass(frozen=True)
class Link:
    """Indicators whose counts bound one another in every area (issue 12), protected
    together by disclosure control (``disclosure.Link`` says what each kind does).

    ``members``: the whole counts the people in the households the parts count
    (``kk_gamis ≤ jiwa_gamis``, zero together). ``within``: the parts sum to at most the
    whole (``kk_gamis + kk_pramis ≤ kk_total``). ``base`` names a whole that is the public
    households of the area.
    """

    kind: str
    parts: tuple[str, ...]
    whole: tuple[str, ...]
    base: str | None = None
    relation: str = ""


LINKS = (
    Link(
        "members",
        ("kk_gamis",),
        ("jiwa_gamis",),
        relation="kk_gamis ≤ jiwa_gamis; both zero together",
    ),
    Link(
        "within",
        ("kk_gamis", "kk_pramis"),
        ("kk_total",),
        base="kk_total",
        relation="kk_gamis + kk_pramis ≤ kk_total",
    ),
    Link(
        "within",
        ("anak_tidak_sekolah",),
        ("anak_sd", "anak_smp", "anak_sma"),
        relation="anak_tidak_sekolah ≤ anak_sd + anak_smp + anak_sma",
    ),
)


def links_of(code: str) -> list[Link]:
    """The links an indicator takes part in."""
    return [link for link in LINKS if code in link.parts + link.whole]


def linked_group(code: str) -> list[str]:
    """The indicators protected together with ``code`` (itself included), sorted: the
    connected members of ``LINKS``, public bases left out."""
    group, todo = {code}, [code]
    while todo:
        member = todo.pop()
        for link in links_of(member):
            if link.base == member:
                continue  # the public households: it bounds, it needs no protection
            for other in link.parts + link.whole:
                if other != link.base and other not in group:
                    group.add(other)
                    todo.append(other)
    return sorted(group)
