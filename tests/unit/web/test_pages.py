import datetime as dt

from starlette.requests import Request

from ringfence.web.pages import make_templates


def request(accept_language: str) -> Request:
    headers = [(b"accept-language", accept_language.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def render(source: str, accept_language: str, **values: object) -> str:
    env = make_templates([]).env
    return env.from_string(source).render(request=request(accept_language), **values)


def test_the_filters_speak_the_readers_language() -> None:
    page = "{{ days | human_duration('days') }} · {{ at | human_date }} · {{ s | human_duration }}"
    at = dt.datetime(2026, 12, 2, 7, 53, tzinfo=dt.UTC)
    assert render(page, "en-GB", days=2557, at=at, s=45) == (
        "7 years · 2 Dec 2026, 07:53 UTC · 45 seconds"
    )
    assert render(page, "de-DE,de;q=0.9", days=90, at=at, s=7200) == (
        "3 Monate · 02.12.2026, 07:53 UTC · 2 Stunden"
    )


def test_human_date_reads_iso_strings_and_leaves_none_empty() -> None:
    page = "[{{ a | human_date }}][{{ b | human_date }}]"
    assert render(page, "en-GB", a="2026-12-02T07:53:00+00:00", b=None) == (
        "[2 Dec 2026, 07:53 UTC][]"
    )
