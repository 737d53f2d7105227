"""HTTP edge of custom voices: a business asks for one, its speaker signs (or withdraws) on
their own page, the business uploads the sample and has the voice made, or deletes it. The
business's voices page lists them with their consent and how long each part is kept; its upload
and "make" buttons use the API below (``static/voices.js``)."""

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
from ringfence.services.agents.service import Agents
from ringfence.services.agents.voices.service import (
    AFTER_SUBSCRIPTION_DAYS,
    MAX_SAMPLE,
    MIN_SAMPLE_SECONDS,
    SAMPLE_DAYS,
    Voices,
)
from ringfence.services.agents.web.deps import AgentsDep, Csrf, Page, PageDep, VoicesDep
from ringfence.services.agents.web.pages import unshown
from ringfence.tenants.roles import PERMISSIONS

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


@router.delete("/api/tenants/{tenant_id}/voices/{voice_id}", status_code=204)
async def delete_voice(
    voices: VoicesDep, login: LoginDep, tenant_id: str, voice_id: str, x_csrf_token: CsrfHeader = ""
) -> Response:
    """Stop using a voice: deleted at the provider, and here with its sample and consent."""
    account = check_csrf_header(login, x_csrf_token)
    await voices.delete(account, tenant_id, voice_id)
    return Response(status_code=204)


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


async def _voices_page(
    page: Page,
    agents: Agents,
    voices: Voices,
    login: Login,
    tenant_id: str,
    refused: RingfenceError | None = None,
    *,
    signing_url: str | None = None,
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "agents.read")
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "can": PERMISSIONS[role],
        "csrf": login.session.csrf,
        "voices": await voices.list(login.account, tenant_id),
        "signing_url": signing_url,
        "sample_days": SAMPLE_DAYS,
        "after_days": AFTER_SUBSCRIPTION_DAYS,
        "min_seconds": MIN_SAMPLE_SECONDS,
        "max_mb": MAX_SAMPLE // 1024 // 1024,
        "provider": voices.settings.agents.voice_clone_url is not None,
    }
    return page.render("voices", context, refused)


@router.get("/agents/b/{tenant_id}/voices", response_class=HTMLResponse, include_in_schema=False)
async def voices_page(
    page: PageDep, agents: AgentsDep, voices: VoicesDep, login: LoginDep, tenant_id: str
) -> Response:
    return await _voices_page(page, agents, voices, login, tenant_id)


@router.post("/agents/b/{tenant_id}/voices", include_in_schema=False)
async def new_voice(
    page: PageDep,
    agents: AgentsDep,
    voices: VoicesDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=80)],
    speaker_email: Annotated[str, Form(max_length=254)],
    scope: Annotated[str, Form(max_length=500)],
) -> Response:
    """Ask for a voice; the page shows the signing link to send its speaker (only now: the
    link's token is kept only as a hash)."""

    async def ask() -> Response:
        _, token = await voices.request(login.account, tenant_id, name, speaker_email, scope)
        url = voices.settings.web.public_url.rstrip("/") + f"/agents/voice-consent/{token}"
        return await _voices_page(page, agents, voices, login, tenant_id, signing_url=url)

    return await submit(
        page.request,
        csrf,
        login,
        ask,
        lambda refused: _voices_page(page, agents, voices, login, tenant_id, refused),
    )


@router.post("/agents/b/{tenant_id}/voices/{voice_id}/delete", include_in_schema=False)
async def delete_voice_form(
    page: PageDep,
    agents: AgentsDep,
    voices: VoicesDep,
    login: LoginDep,
    tenant_id: str,
    voice_id: str,
    csrf: Csrf,
) -> Response:
    async def delete() -> Response:
        await voices.delete(login.account, tenant_id, voice_id)
        return see_other(f"/agents/b/{tenant_id}/voices")

    return await submit(
        page.request,
        csrf,
        login,
        delete,
        lambda refused: _voices_page(page, agents, voices, login, tenant_id, refused),
    )
