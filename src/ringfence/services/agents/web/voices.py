"""HTTP edge of custom voices: a business asks for one, its speaker signs (or withdraws) on
their own page, the business uploads the sample and has the voice made."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ringfence.accounts.service import Login
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http.bodies import upload
from ringfence.http.deps import CsrfHeader, LoginDep, check_csrf_header
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.voices.service import MAX_SAMPLE, Voices
from ringfence.services.agents.web.deps import Csrf, Page, PageDep, VoicesDep
from ringfence.services.agents.web.pages import unshown

router = APIRouter(tags=["agents"])


class VoiceIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    speaker_email: str = Field(max_length=254, description="The account of the person whose "
                               "voice it is: only they can sign the consent.")  # fmt: skip
    scope: str = Field(min_length=1, max_length=500, description="What the voice may be used for.")


@router.post("/api/tenants/{tenant_id}/voices", status_code=201)
async def request_voice(
    voices: VoicesDep, login: LoginDep, tenant_id: str, body: VoiceIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, Any]:
    """A custom voice awaiting its speaker's signed consent; send them ``signing_url``."""
    account = check_csrf_header(login, x_csrf_token)
    voice, token = await voices.request(
        account, tenant_id, body.name, body.speaker_email, body.scope
    )
    return {**voice, "signing_url": f"/agents/voice-consent/{token}"}


@router.get("/api/tenants/{tenant_id}/voices")
async def list_voices(voices: VoicesDep, login: LoginDep, tenant_id: str) -> dict[str, Any]:
    return {"voices": await voices.list(login.account, tenant_id)}


@router.put("/api/tenants/{tenant_id}/voices/{voice_id}/sample")
@upload
async def upload_sample(
    request: Request,
    voices: VoicesDep,
    login: LoginDep,
    tenant_id: str,
    voice_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:
    """The recorded sample (a WAV body), only once the speaker has signed."""
    account = check_csrf_header(login, x_csrf_token)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SAMPLE:
            raise InvalidInput(f"the sample is at most {MAX_SAMPLE // 1024 // 1024} MB")
    return await voices.upload_sample(account, tenant_id, voice_id, bytes(body))


@router.post("/api/tenants/{tenant_id}/voices/{voice_id}/make")
async def make_voice(
    voices: VoicesDep, login: LoginDep, tenant_id: str, voice_id: str, x_csrf_token: CsrfHeader = ""
) -> dict[str, Any]:
    """Have the hosted provider make the voice; agents may then use ``custom:<id>``."""
    account = check_csrf_header(login, x_csrf_token)
    return await voices.make(account, tenant_id, voice_id)


async def _consent_page(
    page: Page, voices: Voices, login: Login, token: str, refused: RingfenceError | None = None
) -> Response:
    voice = await voices.to_sign(login.account, token)
    context = {"title": "voice consent", "voice": voice, "token": token,
               "csrf": login.session.csrf}  # fmt: skip
    return page.render("voice_consent", context, refused)


@router.get("/agents/voice-consent/{token}", response_class=HTMLResponse, include_in_schema=False)
async def consent_page(page: PageDep, voices: VoicesDep, login: LoginDep, token: str) -> Response:
    return await _consent_page(page, voices, login, token)


@router.post("/agents/voice-consent/{token}", include_in_schema=False)
async def sign_consent(
    page: PageDep,
    voices: VoicesDep,
    login: LoginDep,
    token: str,
    csrf: Csrf,
    full_name: Annotated[str, Form(max_length=200)],
    signature: Annotated[str, Form(max_length=200)],
    agree: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    async def sign() -> Response:
        if agree != "yes":  # the one refusal this page shows; the service's leave as errors
            return await _consent_page(
                page, voices, login, token, InvalidInput("tick the box to agree")
            )
        await voices.sign(login.account, token, full_name, signature)
        return see_other(f"/agents/voice-consent/{token}")

    return await submit(page.request, csrf, login, sign, unshown)


@router.post("/agents/voice-consent/{token}/withdraw", include_in_schema=False)
async def withdraw_consent(
    page: PageDep, voices: VoicesDep, login: LoginDep, token: str, csrf: Csrf
) -> Response:
    async def withdraw() -> Response:
        voice = await voices.to_sign(login.account, token)
        await voices.withdraw(login.account, voice["id"])
        return see_other(f"/agents/voice-consent/{token}")

    return await submit(page.request, csrf, login, withdraw, unshown)
