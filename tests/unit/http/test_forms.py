"""The one form-post pattern: token first, then the work; a fixable refusal shows the form again."""

from __future__ import annotations

import pytest
from fastapi import Request, Response

from ringfence.errors import Forbidden, InvalidInput, RingfenceError
from ringfence.http.forms import see_other, submit


def _request(cookie: str = "") -> Request:
    headers = [(b"cookie", f"rf_csrf={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers})


class Form:
    def __init__(self, fails: RingfenceError | None = None) -> None:
        self.fails = fails
        self.done = 0
        self.shown: list[str] = []

    async def act(self) -> Response:
        self.done += 1
        if self.fails is not None:
            raise self.fails
        return see_other("/next")

    def again(self, error: RingfenceError) -> Response:
        self.shown.append(error.message)
        return Response(error.message, status_code=error.http_status)


async def test_the_work_is_done_and_the_browser_sent_on() -> None:
    form = Form()
    answer = await submit(_request("t0k"), "t0k", None, form.act, form.again)
    assert (answer.status_code, answer.headers["location"], form.done) == (303, "/next", 1)


async def test_a_wrong_or_missing_token_stops_before_the_work() -> None:
    form = Form()
    for cookie, sent in (("t0k", "other"), ("", ""), ("t0k", "")):
        with pytest.raises(Forbidden, match="reload the page"):
            await submit(_request(cookie), sent, None, form.act, form.again)
    assert form.done == 0


async def test_a_fixable_refusal_shows_the_form_again_with_its_message() -> None:
    form = Form(InvalidInput("give the time with its offset"))
    answer = await submit(_request("t0k"), "t0k", None, form.act, form.again)
    assert answer.status_code == 422
    assert form.shown == ["give the time with its offset"]


async def test_forbidden_is_not_the_form_s_to_show() -> None:
    form = Form(Forbidden("not your business"))
    with pytest.raises(Forbidden):
        await submit(_request("t0k"), "t0k", None, form.act, form.again)
    assert form.shown == []


async def test_the_form_may_be_shown_again_by_a_coroutine() -> None:
    form = Form(InvalidInput("no such list"))

    async def again(error: RingfenceError) -> Response:
        return form.again(error)

    answer = await submit(_request("t0k"), "t0k", None, form.act, again)
    assert answer.status_code == 422 and form.shown == ["no such list"]
