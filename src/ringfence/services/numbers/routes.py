"""HTTP edge of the numbers service: the page and the JSON API."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from ringfence.http.bodies import upload
from ringfence.http.deps import TemplatesDep
from ringfence.services.numbers import export, formats, service, validation
from ringfence.services.numbers.fiction import fiction_regions, reservations
from ringfence.services.numbers.kinds import KINDS

router = APIRouter()
# The types as people name them, where their ids do not say it plainly.
KIND_WORDS = {
    "voip": "internet (VoIP)",
    "uan": "company number (UAN)",
    "personal_number": "personal number",
    "premium_rate": "premium rate",
}
# Set by the page's script, only after the visitor consents to "preferences" cookies.
REGION_COOKIE = "rf_numbers_region"
SPOOL_BYTES = 1 << 20  # an upload to validate is kept in memory up to this, then on disk

RegionQ = Annotated[str, Query(description="ISO 3166 region code, e.g. GB.", max_length=3)]
TypeQ = Annotated[
    str | None,
    Query(alias="type", description="any, " + ", ".join(KINDS), max_length=32),
]
SafeQ = Annotated[bool, Query(description="Only numbers reserved for fiction.")]
SeedQ = Annotated[int | None, Query(description="Seed for reproducible output.", ge=0)]
PrefixQ = Annotated[
    str,
    Query(
        description="Digits the national number starts with: an area code (415 in the US, "
        "20 for London), without the trunk prefix.",
        max_length=32,
    ),
]
NUMBER_FORMATS_TEXT = ", ".join(formats.NUMBER_FORMATS)


class NumberOut(BaseModel):
    e164: str
    international: str
    national: str
    rfc3966: str
    region: str | None
    type: str
    valid: bool
    possible: bool
    description: str
    fictional: bool
    fiction_source: str | None
    fiction_note: str | None


class FormattedNumberOut(NumberOut):
    number: str = Field(description="The number in the format asked for.")


class NumbersOut(BaseModel):
    region: str
    type: str
    safe: bool
    seed: int | None
    prefix: str
    format: str
    numbers: list[FormattedNumberOut]


class CheckIn(BaseModel):
    number: str = Field(description="A number as typed: E.164, or national with region.")
    region: str | None = Field(None, description="Region for national numbers, e.g. GB.")


class RegionOut(BaseModel):
    code: str
    name: str
    country_code: int
    types: list[str]
    fiction: bool


@router.get("/numbers", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, templates: TemplatesDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "numbers/index.html",
        {
            "title": "numbers",
            "optional_cookies": True,
            "service": "numbers",
            "remembered_region": request.cookies.get(REGION_COOKIE, "US"),
            "regions": service.regions(),
            "kinds": [(k, KIND_WORDS.get(k, k.replace("_", " "))) for k in KINDS],
            "max_count": service.MAX_API_COUNT,
            "reservations": _reservation_rows(),
            "number_formats": [
                ("national", "national, e.g. 020 7946 0123"),
                ("international", "international, e.g. +44 20 7946 0123"),
                ("e164", "E.164, e.g. +442079460123"),
                ("rfc3966", "RFC 3966, e.g. tel:+44-20-7946-0123"),
            ],
        },
    )


def _reservation_rows() -> list[dict[str, Any]]:
    """The page's list of countries with numbers reserved for fiction, by regulator."""
    names = {r.code: r.name for r in service.regions()}
    return [
        {
            "regulator": r.regulator,
            "plan": r.plan,
            "purpose": r.purpose,
            "countries": [names.get(code, code) for code in r.regions],
            "codes": r.regions,
            "kinds": [k.replace("_", " ") for k in r.kinds],
            "sources": r.sources,
            "validates": r.validates,
        }
        for r in reservations()
    ]


@router.get("/api/numbers", response_model=NumbersOut, tags=["numbers"])
async def generate(
    region: RegionQ = "US",
    kind: TypeQ = None,
    count: Annotated[int, Query(description=f"1 to {service.MAX_API_COUNT}")] = 10,
    safe: SafeQ = False,
    seed: SeedQ = None,
    prefix: PrefixQ = "",
    fmt: Annotated[
        str, Query(alias="format", description=NUMBER_FORMATS_TEXT, max_length=16)
    ] = "e164",
) -> dict[str, Any]:
    """Random numbers, valid for the region and type, or (safe=true) reserved for fiction;
    ``number`` is each one in the format asked for."""
    req = service.parse_request(region, kind, safe, prefix)
    service.check_count(count, service.MAX_API_COUNT)
    number_format = formats.parse_formats([fmt], files=()).number
    infos = service.generate(req, count, seed)
    return {
        "region": req.region,
        "type": req.kind or "any",
        "safe": safe,
        "seed": seed,
        "prefix": req.prefix,
        "format": number_format,
        "numbers": [{**i.to_dict(), "number": getattr(i, number_format)} for i in infos],
    }


@router.get(
    "/api/numbers/download",
    tags=["numbers"],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, in the format asked for.",
            "content": {media: {} for media in export.MEDIA_TYPES.values()},
        }
    },
)
async def download(
    region: RegionQ = "US",
    kind: TypeQ = None,
    count: Annotated[int, Query(description=f"1 to {service.MAX_DOWNLOAD_COUNT}")] = 1000,
    safe: SafeQ = False,
    seed: SeedQ = None,
    prefix: PrefixQ = "",
    fmt: Annotated[
        list[str],
        Query(
            alias="format",
            description="The file (csv, jsonl or txt) and each number's format "
            f"({NUMBER_FORMATS_TEXT}); repeat it for both, e.g. format=jsonl&format=national.",
        ),
    ] = ["csv"],  # noqa: B006 - FastAPI copies a default, it is never shared
) -> StreamingResponse:
    """A streamed file of numbers with region, type and fiction flag."""
    req = service.parse_request(region, kind, safe, prefix)
    service.check_count(count, service.MAX_DOWNLOAD_COUNT)
    chosen = formats.parse_formats(fmt)
    batches = formats.formatted(service.bulk_e164(req, count, seed), chosen.number)
    chunks = export.brief(
        batches,
        chosen.file,  # type: ignore[arg-type]
        safe,
        chosen.number,
        service.reserved_by(req),
    )
    name = (
        f"numbers-{req.region}-{req.kind or 'any'}{f'-{req.prefix}' if req.prefix else ''}"
        f"{'-fiction' if safe else ''}.{chosen.file}"
    )
    return StreamingResponse(
        iterate_in_threadpool(chunks),
        media_type=export.MEDIA_TYPES[chosen.file],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/api/numbers/check", response_model=NumberOut, tags=["numbers"])
async def check(body: CheckIn) -> dict[str, Any]:
    """Whether a number is valid and possible, its type and region, and if it is fictional."""
    return service.check(body.number, body.region).to_dict()


@router.post(
    "/api/numbers/validate",
    tags=["numbers"],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Each row's verdict, in the order of the file.",
            "content": {media: {} for media in validation.MEDIA_TYPES.values()},
        }
    },
)
@upload
async def validate(
    request: Request,
    region: Annotated[
        str | None, Query(description="Region for national numbers, e.g. GB.", max_length=3)
    ] = None,
    column: Annotated[
        str | None,
        Query(
            description="The CSV column holding the numbers (default: number, phone...).",
            max_length=64,
        ),
    ] = None,
    fmt: Annotated[str, Query(alias="format", description="csv or jsonl")] = "csv",
) -> StreamingResponse:
    """Validate a file of numbers (the request body: CSV with a header, or one number per line),
    streamed both ways: each row's validity, possibility, type, region, E.164, international and
    national forms and fiction flag; a row that is no number says why."""
    validation.check_output(fmt)
    checker = validation.Checker(region, column)
    # The upload is read in full before the answer starts (the server reads no more of a body
    # once its response streams), spooled to disk past SPOOL_BYTES: memory stays one chunk.
    # Its first line is judged as it arrives, so a CSV file without a number column is a 422.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - body() closes it
    first: list[validation.Verdict] = []
    try:
        async for chunk in request.stream():
            if checker.started:
                await run_in_threadpool(spool.write, chunk)
            else:
                first += await run_in_threadpool(checker.feed, chunk)
        if not checker.started:
            first += checker.finish()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            yield validation.header(fmt)
            yield validation.rows(first, fmt)
            while chunk := await run_in_threadpool(spool.read, validation.CHUNK):
                yield validation.rows(await run_in_threadpool(checker.feed, chunk), fmt)
            yield validation.rows(checker.finish(), fmt)
        finally:
            spool.close()

    return StreamingResponse(body(), media_type=validation.MEDIA_TYPES[fmt])


@router.get("/api/numbers/regions", response_model=list[RegionOut], tags=["numbers"])
async def regions() -> list[dict[str, Any]]:
    """Every region, the number types it has, and whether fiction mode covers it."""
    with_fiction = set(fiction_regions())
    return [
        {
            "code": r.code,
            "name": r.name,
            "country_code": r.country_code,
            "types": list(r.kinds),
            "fiction": r.code in with_fiction,
        }
        for r in service.regions()
    ]
