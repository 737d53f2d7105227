"""HTTP edge of the numbers service: the page and the JSON API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool

from ringfence.http.deps import TemplatesDep
from ringfence.services.numbers import export, service
from ringfence.services.numbers.fiction import fiction_regions
from ringfence.services.numbers.kinds import KINDS

router = APIRouter()
# Set by the page's script, only after the visitor consents to "preferences" cookies.
REGION_COOKIE = "rf_numbers_region"

RegionQ = Annotated[str, Query(description="ISO 3166 region code, e.g. GB.", max_length=3)]
TypeQ = Annotated[
    str | None,
    Query(alias="type", description="any, " + ", ".join(KINDS), max_length=32),
]
SafeQ = Annotated[bool, Query(description="Only numbers reserved for fiction.")]
SeedQ = Annotated[int | None, Query(description="Seed for reproducible output.", ge=0)]


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


class NumbersOut(BaseModel):
    region: str
    type: str
    safe: bool
    seed: int | None
    numbers: list[NumberOut]


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
            "kinds": list(KINDS),
            "max_count": service.MAX_API_COUNT,
        },
    )


@router.get("/api/numbers", response_model=NumbersOut, tags=["numbers"])
async def generate(
    region: RegionQ = "US",
    kind: TypeQ = None,
    count: Annotated[int, Query(description=f"1 to {service.MAX_API_COUNT}")] = 10,
    safe: SafeQ = False,
    seed: SeedQ = None,
) -> dict[str, Any]:
    """Random numbers, valid for the region and type, or (safe=true) reserved for fiction."""
    req = service.parse_request(region, kind, safe)
    service.check_count(count, service.MAX_API_COUNT)
    infos = service.generate(req, count, seed)
    return {
        "region": req.region,
        "type": req.kind or "any",
        "safe": safe,
        "seed": seed,
        "numbers": [i.to_dict() for i in infos],
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
    fmt: Annotated[str, Query(alias="format", description="csv, jsonl or txt")] = "csv",
) -> StreamingResponse:
    """A streamed file of E.164 numbers with region, type and fiction flag."""
    req = service.parse_request(region, kind, safe)
    service.check_count(count, service.MAX_DOWNLOAD_COUNT)
    if fmt not in export.FORMATS:
        raise service.InvalidInput(f"unknown format {fmt!r}; accepted: {', '.join(export.FORMATS)}")
    batches = service.bulk_e164(req, count, seed)
    chunks = export.brief(batches, fmt, req.region, safe)  # type: ignore[arg-type]
    name = f"numbers-{req.region}-{req.kind or 'any'}{'-fiction' if safe else ''}.{fmt}"
    return StreamingResponse(
        iterate_in_threadpool(chunks),
        media_type=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/api/numbers/check", response_model=NumberOut, tags=["numbers"])
async def check(body: CheckIn) -> dict[str, Any]:
    """Whether a number is valid and possible, its type and region, and if it is fictional."""
    return service.check(body.number, body.region).to_dict()


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
