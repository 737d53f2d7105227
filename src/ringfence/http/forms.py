"""The one pattern of a server-rendered form post.

The CSRF token is checked (the session's when signed in, else the double-submit cookie); the
work is done; its answer (usually a 303 to the next page) goes back. A refusal the person can
fix (``InvalidInput``, a conflict, a limit) shows the same form again with the message and what
was typed; ``Forbidden`` is not theirs to fix and goes to the error page like anywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from ringfence.accounts.service import Login
from ringfence.errors import Forbidden, RingfenceError
from ringfence.http.deps import check_csrf


async def submit(
    request: Request,
    csrf: str,
    login: Login | None,
    act: Callable[[], Awaitable[Response]],
    again: Callable[[RingfenceError], Awaitable[Response] | Response],
) -> Response:
    """Check the token, then ``act()``; on a refusal, ``again(error)`` renders the form."""
    check_csrf(request, csrf, login)
    try:
        return await act()
    except Forbidden:
        raise
    except RingfenceError as exc:
        shown = again(exc)
        return shown if isinstance(shown, Response) else await shown


def see_other(url: str) -> Response:
    """After a form post: go to ``url`` with a GET (303), so a reload does not post again."""
    return RedirectResponse(url, status_code=303)
