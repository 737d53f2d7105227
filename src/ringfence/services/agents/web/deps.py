"""Typed request dependencies of agents' web layer: a handler names what it needs (``agents:
AgentsDep``, ``page: PageDep``) and FastAPI hands it over. The service objects are made once per
app on first use (``ringfence.http.instances``); what ``install`` puts on ``app.state`` (the
receptionist, the browser talks) is read back here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request, Response
from starlette.templating import Jinja2Templates

from ringfence.errors import RingfenceError
from ringfence.http.deps import (
    CsrfHeader,
    TemplatesDep,
    accounts,
    check_csrf_header,
    require_login,
)
from ringfence.http.instances import per_app
from ringfence.services.agents.analytics import Analytics
from ringfence.services.agents.calls.browser import BrowserTalks
from ringfence.services.agents.calls.charges import AgentCharges
from ringfence.services.agents.calls.receptionist import Receptionist
from ringfence.services.agents.calls.records import CallRecords
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.campaigns.service import Campaigns
from ringfence.services.agents.evaluations.service import Evaluations
from ringfence.services.agents.hooks.service import Connections
from ringfence.services.agents.knowledge import Knowledge
from ringfence.services.agents.service import Agents
from ringfence.services.agents.voices.service import Voices
from ringfence.services.agents.web.words import WORDS, say
from ringfence.tenants.invitations import Invitations
from ringfence.tenants.keys import ApiKeys, Principal
from ringfence.tenants.lifecycle import Lifecycle
from ringfence.tenants.numbers import TenantNumbers


def install(app: FastAPI) -> None:
    """Once telephony runs, route every agent's number to the receptionist; the browser talks
    live as long as the app."""

    async def start() -> None:
        state = app.state
        if state.telephony is not None:
            state.receptionist = Receptionist(
                state.settings, state.db, state.privacy, state.telephony, state.privacy.clock
            )
            await state.receptionist.start()

    app.state.starters.append(start)
    app.state.agent_talks = BrowserTalks(app.state.settings, app.state.privacy.clock)
    app.state.closers.append(app.state.agent_talks.close)


def receptionist(state: Any) -> Receptionist | None:
    """The app's receptionist, once telephony runs (None without telephony)."""
    found: Receptionist | None = getattr(state, "receptionist", None)
    return found


def _route_number(state: Any, number: str) -> None:
    answering = receptionist(state)
    if answering is not None:
        answering.route(number)


def talks_of(request: Request) -> BrowserTalks:
    found: BrowserTalks = request.app.state.agent_talks
    return found


def agents_of(request: Request) -> Agents:
    return per_app(
        request,
        Agents,
        lambda s: Agents(
            s.db,
            s.privacy.clock,
            s.settings.signing_key(),
            lambda n: _route_number(s, n),
            s.settings.agents,
        ),
    )


def analytics_of(request: Request) -> Analytics:
    return per_app(request, Analytics, lambda s: Analytics(s.db, s.privacy.clock))


def knowledge_of(request: Request) -> Knowledge:
    return per_app(request, Knowledge, lambda s: Knowledge(s.db, s.privacy, s.privacy.clock))


def connections_of(request: Request) -> Connections:
    return per_app(
        request,
        Connections,
        lambda s: Connections(s.settings, s.db, s.privacy, s.privacy.clock),
    )


def keys_of(request: Request) -> ApiKeys:
    return per_app(request, ApiKeys, lambda s: ApiKeys(s.db, s.privacy.clock))


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def member(request: Request, x_csrf_token: CsrfHeader = "") -> Principal:
    """Who calls an agents API route that a business's own systems may call too: a key in
    ``Authorization: Bearer`` (its business and scopes; no cookie, so no CSRF to check), or a
    signed-in member, whose changes carry the session's CSRF header."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return await keys_of(request).grant(key.strip())
    login = await require_login(request)
    if request.method in SAFE_METHODS:
        return login.account
    return check_csrf_header(login, x_csrf_token)


def charges_of(request: Request) -> AgentCharges:
    return per_app(request, AgentCharges, lambda s: AgentCharges(s.settings, s.db, s.privacy.clock))


def records_of(request: Request) -> CallRecords:
    return per_app(
        request,
        CallRecords,
        lambda s: CallRecords(s.settings, s.db, s.privacy, s.privacy.clock),
    )


def contacts_of(request: Request) -> ContactLists:
    return per_app(
        request,
        ContactLists,
        lambda s: ContactLists(s.db, s.privacy, s.privacy.clock, s.settings.signing_key()),
    )


def campaigns_of(request: Request) -> Campaigns:
    return per_app(
        request,
        Campaigns,
        lambda s: Campaigns(s.settings, s.db, s.privacy, s.privacy.clock, s.queue.enqueue),
    )


def evaluations_of(request: Request) -> Evaluations:
    return per_app(
        request,
        Evaluations,
        lambda s: Evaluations(s.privacy, s.queue.enqueue),
    )


def numbers_of(request: Request) -> TenantNumbers:
    return per_app(
        request,
        TenantNumbers,
        lambda s: TenantNumbers(s.settings, s.privacy, lambda: s.telephony),
    )


def voices_of(request: Request) -> Voices:
    return per_app(
        request,
        Voices,
        lambda s: Voices(s.settings, s.db, s.privacy, s.privacy.clock),
    )


def invitations_of(request: Request) -> Invitations:
    return per_app(
        request,
        Invitations,
        lambda s: Invitations(
            s.settings,
            s.db,
            s.privacy.clock,
            agents_of(request).tenants,
            accounts(request).addresses,
        ),
    )


def lifecycle_of(request: Request) -> Lifecycle:
    return per_app(
        request,
        Lifecycle,
        lambda s: Lifecycle(s.db, s.privacy.inventory, s.privacy.clock),
    )


@dataclass(frozen=True)
class Page:
    """Renders agents' pages (``templates/agents/<name>.html``) for the request."""

    request: Request
    templates: Jinja2Templates

    def render(
        self, name: str, context: dict[str, Any], refused: RingfenceError | None = None
    ) -> Response:
        """The page; a refused form's shows the refusal's message (``error``) with its status.
        Every page has ``say(kind, value)``: a stored value in words (``words``)."""
        shown = {"title": "agents", "service": "agents", "say": say, "words": WORDS, **context}
        if refused is not None:
            shown["error"] = refused.message
        status = 200 if refused is None else refused.http_status
        return self.templates.TemplateResponse(
            self.request, f"agents/{name}.html", shown, status_code=status
        )


def page_of(request: Request, templates: TemplatesDep) -> Page:
    return Page(request, templates)


AgentsDep = Annotated[Agents, Depends(agents_of)]
AnalyticsDep = Annotated[Analytics, Depends(analytics_of)]
RecordsDep = Annotated[CallRecords, Depends(records_of)]
ChargesDep = Annotated[AgentCharges, Depends(charges_of)]
KnowledgeDep = Annotated[Knowledge, Depends(knowledge_of)]
ConnectionsDep = Annotated[Connections, Depends(connections_of)]
# A member signed in, or a business's API key (``member``).
MemberDep = Annotated[Principal, Depends(member)]
ContactsDep = Annotated[ContactLists, Depends(contacts_of)]
CampaignsDep = Annotated[Campaigns, Depends(campaigns_of)]
EvaluationsDep = Annotated[Evaluations, Depends(evaluations_of)]
VoicesDep = Annotated[Voices, Depends(voices_of)]
NumbersDep = Annotated[TenantNumbers, Depends(numbers_of)]
InvitationsDep = Annotated[Invitations, Depends(invitations_of)]
LifecycleDep = Annotated[Lifecycle, Depends(lifecycle_of)]
TalksDep = Annotated[BrowserTalks, Depends(talks_of)]
PageDep = Annotated[Page, Depends(page_of)]
# A page form's CSRF token, in its hidden ``csrf`` field.
Csrf = Annotated[str, Form(max_length=100)]
