"""Typed settings: the only reader of the environment.

Values come, highest priority first, from ``RINGFENCE_*`` environment variables (nested sections
with ``__``, e.g. ``RINGFENCE_WEB__PORT``), then from a TOML file (``ringfence.toml`` in the working
directory, or the path in ``RINGFENCE_CONFIG``), then from the defaults below, which need no server.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ringfence.errors import ConfigurationError

ENV_PREFIX = "RINGFENCE_"


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) / "ringfence" if xdg else Path("var")


class WebSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port of the HTTP server.")
    title: str = Field("ringfence", description="Name shown on pages.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For names "
        "the client's IP; empty (the default): the header is ignored, by the app and by the "
        "server's access log alike.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The address people reach, for links in e-mails."
    )
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest request body (JSON, forms) in bytes; a larger one gets 413.",
    )
    max_upload_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        description="Largest body, in bytes, of the routes that take uploads (a contact list's "
        "CSV, a voice sample, Stripe's webhook), counted as it streams in.",
    )
    operator_token: SecretStr | None = Field(
        None,
        description="Bearer token for the operator's endpoints (/metrics, "
        "/api/telephony/status); unset: they answer only to 127.0.0.1 and ::1.",
    )

    @field_validator("operator_token")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 random characters (e.g. openssl rand -hex 24)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network such as 10.0.0.0/8"
                ) from None
        return [entry.strip() for entry in value]


class JobSettings(BaseModel):
    backend: Literal["auto", "embedded", "redis"] = Field(
        "auto",
        description="Queue storage: embedded (SQLite file in the data directory), redis, or auto "
        "(redis when RINGFENCE_REDIS_URL is set, else embedded).",
    )
    queue_name: str = Field("ringfence", min_length=1, description="Queue name (Redis key prefix).")
    workers: int = Field(2, ge=1, le=64, description="Worker threads per worker process.")
    in_process: bool = Field(
        True,
        description="Run job workers inside `ringfence serve` (set false with separate workers).",
    )


class PrivacySettings(BaseModel):
    operator_name: str = Field(
        "the operator of this ringfence installation",
        description="Who runs this installation (the controller), as named in the privacy policy.",
    )
    operator_contact: str = Field(
        "", description="Where people send privacy questions (an email or postal address)."
    )
    supervisory_authority: str = Field(
        "",
        description="The data protection authority people may complain to, as the policy names "
        "it (e.g. 'the ICO, ico.org.uk'); default: the one where they live or work.",
    )
    data_location: str = Field(
        "", description="Where this installation's server is (a country), as the policy says."
    )
    jurisdiction: Literal["gdpr", "ccpa"] = Field(
        "gdpr", description="Deadlines for rights requests: gdpr (30 days) or ccpa (45 days)."
    )
    retention: dict[str, int] = Field(
        default_factory=dict,
        description='Retention in days per category, overriding the inventory: {"audit_log": 400}.',
    )
    master_key: SecretStr | None = Field(
        None, description="Base64 of 32 bytes; default: a key file created in the data dir."
    )
    master_key_file: Path | None = Field(
        None,
        description="Where the master key file lives (created 0600); default "
        "<data_dir>/master.key. Keep it off the data dir's disk or backups for defence in depth.",
    )
    sweep_batch: int = Field(20_000, ge=100, le=100_000, description="Rows per sweeper batch.")

    @field_validator("retention")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for name, days in value.items():
            if days < 1:
                raise ValueError(f"retention of {name} must be at least 1 day")
        return value


# Countries that carriers' fraud desks list for international revenue-share fraud (IRSF) and
# one-ring scams: small networks with high termination rates, often hijacked for premium routes.
IRSF_COUNTRIES = [
    "CU", "SO", "SL", "GN", "LR", "PG", "TV", "NR", "CK", "NU", "TK", "SB", "VU", "ST", "IO",
    "JM", "GD", "AG", "DM", "VG", "TC", "KN", "MS",
]  # fmt: skip
# E.164 prefixes refused everywhere: NANP premium (900) and pay-per-call (976) exchanges, and the
# global satellite, international-network and premium codes (870/881/882/883/979).
TOLL_FRAUD_PREFIXES = ["1900", "1976", "870", "881", "882", "883", "979"]


class DialingSettings(BaseModel):
    """Where outbound calls may go, for every service that dials (ring, dial, agents)."""

    allowed_countries: list[str] = Field(
        default_factory=list,
        description="ISO codes of the countries calls may go to; empty: every country not blocked.",
    )
    blocked_countries: list[str] = Field(
        default_factory=lambda: list(IRSF_COUNTRIES),
        description="ISO codes never called (default: countries flagged for revenue-share fraud).",
    )
    blocked_prefixes: list[str] = Field(
        default_factory=lambda: list(TOLL_FRAUD_PREFIXES),
        description="E.164 prefixes (digits, no +) never called (default: premium and "
        "toll-fraud ranges).",
    )

    @field_validator("allowed_countries", "blocked_countries")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        codes = [code.strip().upper() for code in value]
        for code in codes:
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"{code!r} is not an ISO 3166 country code such as GB")
        return codes

    @field_validator("blocked_prefixes")
    @classmethod
    def _digits(cls, value: list[str]) -> list[str]:
        prefixes = [prefix.strip().lstrip("+") for prefix in value]
        for prefix in prefixes:
            if not prefix.isdigit():
                raise ValueError(f"{prefix!r} is not a dialling prefix (digits only)")
        return prefixes


def _g711() -> list[Literal["PCMU", "PCMA"]]:
    return ["PCMU", "PCMA"]


class CarrierSettings(BaseModel):
    """A SIP trunk: any RFC 3261 peer (Twilio Elastic SIP Trunking, Telnyx, a PBX)."""

    name: str = Field(min_length=1, description="A name for logs and call records.")
    host: str = Field(min_length=1, description="The trunk's SIP host or IP address.")
    port: int = Field(5060, ge=1, le=65535)
    transport: Literal["udp", "tcp", "tls"] = Field(
        "udp", description="SIP transport to the trunk: udp, tcp or tls."
    )
    username: str | None = Field(None, description="Digest user, when the trunk challenges.")
    password: SecretStr | None = Field(None, description="Digest password.")
    caller_id: str | None = Field(None, description="E.164 number presented as the caller.")
    prefixes: list[str] = Field(
        default_factory=list,
        description="E.164 prefixes (digits, no +) this trunk carries; empty: everything.",
    )
    outbound_proxy: str | None = Field(
        None,
        description="HOST:PORT to send requests to (an SBC or proxy) while the Request-URI "
        "names the trunk's host.",
    )
    codecs: list[Literal["PCMU", "PCMA"]] = Field(
        default_factory=_g711,
        min_length=1,
        description="Codecs offered to this trunk, in order of preference.",
    )
    registers: bool = Field(
        False, description="REGISTER with the trunk (credential trunks); false for IP-auth."
    )
    register_expires: int = Field(300, ge=60, le=86400, description="REGISTER interval, s.")
    inbound_sources: list[str] = Field(
        default_factory=list,
        description="CIDRs this trunk's inbound calls come from (e.g. 192.0.2.0/24); empty: the "
        "addresses `host` resolves to at start-up. INVITEs from anywhere else are refused 403.",
    )
    inbound_username: str | None = Field(
        None,
        description="Digest user a source outside every trunk's addresses must authenticate "
        "as (407 challenge) for its INVITE to be taken as this trunk's.",
    )
    inbound_password: SecretStr | None = Field(
        None, description="Digest password for `inbound_username`."
    )
    media_to_signalling_source: bool = Field(
        False,
        description="Send this trunk's media to the address its SIP comes from (with the SDP's "
        "port) instead of latching to where its RTP comes from (symmetric RTP, the default).",
    )

    @field_validator("inbound_sources")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"not an IP network: {entry!r}") from None
        return value

    @model_validator(mode="after")
    def _inbound_credentials(self) -> CarrierSettings:
        if (self.inbound_username is None) != (self.inbound_password is None):
            raise ValueError("inbound_username and inbound_password go together")
        return self


class OutboundSettings(BaseModel):
    """Limits the outbound gate applies to every call an account or a business places."""

    calls_per_account_per_hour: int = Field(
        30, ge=1, description="Calls one account may place in an hour (dial, verifications)."
    )
    calls_per_tenant_per_hour: int = Field(
        300,
        ge=1,
        description="Calls one business (tenant) may place in an hour (campaigns, evaluations, "
        "transfers, number checks).",
    )


class TestPhoneSettings(BaseModel):
    """The built-in test phone: a carrier on loopback whose phones are browser tabs (``/phone``)."""

    enabled: bool = Field(
        True,
        description="Offer the test phone (/phone) and its built-in carrier while no carrier is "
        "configured; false: no test phone.",
    )
    lines: int = Field(
        50, ge=1, le=999, description="Test phones registered at once, across every browser."
    )
    lines_per_ip: int = Field(
        5, ge=1, le=1000, description="Test phones registered at once from one IP address."
    )


class TelephonySettings(BaseModel):
    enabled: bool = Field(
        False,
        description="Start the SIP engine with `ringfence serve` on sip_host:sip_port (needed to "
        "take calls from a carrier); without it, the test phone runs it on loopback only.",
    )
    sip_host: str = Field("127.0.0.1", description="Address the SIP transport binds to.")
    sip_port: int = Field(5060, ge=0, le=65535, description="SIP port (UDP); 0: any free port.")
    tcp: bool = Field(False, description="Also accept SIP over TCP, on the same port number.")
    reuse_port: bool = Field(
        False,
        description="Bind SIP with SO_REUSEPORT so several processes share one port (the kernel "
        "spreads peers across them); give each process its own RTP port range.",
    )
    tls_port: int | None = Field(
        None, ge=0, le=65535, description="Accept SIP over TLS on this port (5061); needs a cert."
    )
    tls_cert: Path | None = Field(None, description="PEM certificate chain for the TLS listener.")
    tls_key: Path | None = Field(None, description="PEM private key for the TLS listener.")
    tls_ca: Path | None = Field(
        None, description="PEM CA bundle to verify TLS trunks (default: the system's)."
    )
    advertised_host: str | None = Field(
        None, description="Public address put in Via/Contact/SDP when behind NAT."
    )
    rtp_port_min: int = Field(30000, ge=1024, le=65534, description="First RTP port.")
    rtp_port_max: int = Field(31000, ge=1025, le=65535, description="Last RTP port.")
    ring_timeout: float = Field(30.0, gt=0, le=300, description="Seconds to ring before CANCEL.")
    max_duration: float = Field(3600.0, gt=0, description="Seconds before a call is cut.")
    session_expires: int | None = Field(
        1800,
        ge=1,
        description="RFC 4028 session interval in seconds (dead-call detection); null: off.",
    )
    min_se: int = Field(
        90, ge=1, description="Smallest session interval accepted from a peer (RFC 4028 Min-SE)."
    )
    carriers: list[CarrierSettings] = Field(
        default_factory=list, description="SIP trunks, tried by longest matching prefix."
    )
    inbound_invites_per_minute: int = Field(
        20,
        ge=1,
        description="New INVITEs taken from one source address in any minute; beyond it 503 "
        "with Retry-After. Raise it for a trunk carrying many calls.",
    )
    dialing: DialingSettings = Field(default_factory=lambda: DialingSettings())
    outbound: OutboundSettings = Field(default_factory=lambda: OutboundSettings())
    test_phone: TestPhoneSettings = Field(default_factory=lambda: TestPhoneSettings())

    @property
    def builtin_test_phone(self) -> bool:
        """The test phone is the carrier: switched on and no carrier configured."""
        return self.test_phone.enabled and not self.carriers


class CaptchaSettings(BaseModel):
    max_number: int = Field(
        100_000,
        ge=1_000,
        le=10_000_000,
        description="Proof-of-work difficulty: the largest number a browser may have to try.",
    )
    expires: int = Field(600, ge=30, le=86400, description="Seconds a challenge stays valid.")


class RingSettings(BaseModel):
    ring_time: float = Field(25.0, gt=0, le=120, description="Seconds the phone rings.")
    until_pickup_max: float = Field(
        60.0,
        gt=0,
        le=120,
        description='Seconds the phone rings when the visitor asks "ring until I pick up" (at '
        "least ring_time); each such ring is still one call under every limit.",
    )
    message: str = Field(
        "This is ringfence, ringing your phone as you asked.",
        min_length=1,
        max_length=300,
        description="What the call says when it is answered.",
    )
    default_country: str = Field(
        "US", min_length=2, max_length=2, description="Country preset when the IP tells none."
    )
    per_number_per_hour: int = Field(3, ge=1, description="Rings of one number in an hour.")
    per_ip_per_day: int = Field(10, ge=1, description="Rings from one IP address in a day.")
    per_visitor_per_day: int = Field(10, ge=1, description="Rings from one anonymous id a day.")
    cooldown: int = Field(60, ge=0, description="Seconds between two rings of one number.")
    code_attempts: int = Field(5, ge=1, le=20, description="Tries at a do-not-ring code.")


class RouletteSettings(BaseModel):
    stun_urls: list[str] = Field(
        default_factory=list, description='STUN servers, e.g. ["stun:turn.example.org:3478"].'
    )
    turn_urls: list[str] = Field(
        default_factory=list,
        description='TURN servers (coturn), e.g. ["turn:turn.example.org:3478?transport=udp"]; '
        "with them, audio is relayed and neither side sees the other's IP address.",
    )
    turn_secret: SecretStr | None = Field(
        None, description="coturn's static-auth-secret (use-auth-secret): short-lived passwords."
    )
    turn_ttl: int = Field(3600, ge=60, le=86400, description="Seconds a TURN password is valid.")
    managed_turn: bool = Field(
        True,
        description="Without turn_urls, run coturn (`turnserver`, when installed) as a child of "
        "the server, with a fresh secret, so audio is relayed and IP addresses hidden out of the "
        "box; it stops with the server.",
    )
    managed_turn_ip: str = Field(
        "127.0.0.1",
        description="Address the managed coturn listens and relays on: browsers must reach it "
        "(loopback serves browsers on this machine; a public address serves everyone).",
    )
    managed_turn_port: int = Field(
        0, ge=0, le=65535, description="Its listening port (UDP and TCP); 0: a free one at start."
    )
    managed_turn_relay_ports: tuple[int, int] = Field(
        (49152, 65535), description="The UDP ports it relays media on (first, last)."
    )
    max_message: int = Field(500, ge=1, le=5000, description="Longest chat message, characters.")
    max_image_bytes: int = Field(
        1_000_000, ge=10_000, le=10_000_000, description="Largest image a user may send."
    )
    joins_per_minute: int = Field(20, ge=1, description="Start/Next presses per connection or IP.")
    messages_per_minute: int = Field(40, ge=1, description="Chat messages per connection or IP.")
    images_per_minute: int = Field(6, ge=1, description="Images per connection or IP.")
    interests_wait: float = Field(
        10.0,
        ge=0,
        le=600,
        description="Seconds someone who named interests waits for a person sharing one before "
        "anyone will do.",
    )
    appeals_per_day: int = Field(5, ge=1, description="Appeals one IP address may send a day.")


class MailSettings(BaseModel):
    backend: Literal["outbox", "smtp"] | None = Field(
        None,
        description="outbox: keep account e-mails in the data dir for the operator "
        "(`ringfence outbox`); smtp: send them. Default: smtp when smtp_host is set, else outbox.",
    )
    smtp_host: str | None = Field(None, description="SMTP server for account e-mails.")
    smtp_port: int = Field(25, ge=1, le=65535, description="25 (relay), 587 (submission), 465.")
    username: str | None = Field(None, description="SMTP login, when the server asks for one.")
    password: SecretStr | None = Field(None)
    starttls: bool = Field(
        False, description="Upgrade the connection with STARTTLS (a submission port, 587)."
    )
    tls: bool = Field(False, description="Implicit TLS from the first byte (SMTPS, port 465).")
    ca_file: Path | None = Field(
        None,
        description="CA bundle that signs the SMTP server's certificate (default: the system's).",
    )
    sender: str = Field("ringfence <noreply@localhost>", description="From: of account e-mails.")
    retry_seconds: float = Field(
        60.0,
        gt=0,
        description="A notice the SMTP server did not take is tried again after this long, the "
        "wait doubling each time (8 tries); then it is kept as a failed job to send again.",
    )

    @model_validator(mode="after")
    def _one_way_to_send(self) -> MailSettings:
        if self.starttls and self.tls:
            raise ValueError("mail: choose starttls (upgrade) or tls (implicit), not both")
        if self.backend == "smtp" and not self.smtp_host:
            raise ValueError("mail: backend smtp needs smtp_host")
        if self.password is not None and not (self.starttls or self.tls):
            if self.smtp_host not in ("localhost", "127.0.0.1", "::1"):
                raise ValueError("mail: the SMTP password is sent only over starttls or tls")
        return self

    @property
    def resolved_backend(self) -> Literal["outbox", "smtp"]:
        if self.backend is not None:
            return self.backend
        return "smtp" if self.smtp_host else "outbox"


class AccountSettings(BaseModel):
    session_days: int = Field(30, ge=1, le=365, description="Days a login lasts without use.")
    min_password: int = Field(10, ge=8, le=64, description="Shortest password accepted.")
    logins_per_email: int = Field(5, ge=1, description="Failed logins per e-mail per 15 min.")
    logins_per_ip: int = Field(30, ge=1, description="Login attempts per IP address per hour.")
    signups_per_ip: int = Field(10, ge=1, description="Sign-ups per IP address per day.")
    link_hours: int = Field(24, ge=1, le=168, description="Hours a verification link works.")


class BillingSettings(BaseModel):
    currency: str = Field("EUR", min_length=3, max_length=3, description="Currency of credit.")
    packs: list[int] = Field(
        default_factory=lambda: [500, 1000, 2500],
        description="Credit packs on sale, in minor units (500 = 5.00).",
    )
    rates_file: Path | None = Field(
        None, description="CSV of per-destination rates (see README); dial needs one."
    )
    stripe_secret_key: SecretStr | None = Field(None, description="Stripe API key (sk_...).")
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Signing secret of the Stripe webhook endpoint (whsec_...)."
    )
    stripe_api_base: str | None = Field(
        None, description="Another Stripe API address (a test double); default Stripe's own."
    )
    low_balance: int = Field(
        200,
        ge=0,
        description="Below this balance (minor units) an account is e-mailed once, unless it "
        "chose another amount or no e-mail; 0: no e-mail unless an account asks for one.",
    )
    seller_name: str = Field(
        "", description="Who sells the credit, as receipts name them; default: privacy's operator."
    )
    seller_address: str = Field(
        "", max_length=400, description="The seller's postal address, printed on every receipt."
    )
    vat_id: str = Field("", max_length=40, description="The seller's VAT number, on receipts.")
    vat_percent: float | None = Field(
        None,
        ge=0,
        le=100,
        description="VAT included in the price of credit (20 = 20 %): receipts show its share; "
        "none when unset.",
    )

    @field_validator("packs")
    @classmethod
    def _positive_packs(cls, value: list[int]) -> list[int]:
        if not value or any(amount <= 0 for amount in value):
            raise ValueError("credit packs are positive amounts in minor units")
        return value


class AgentSettings(BaseModel):
    """The voice pipeline's components: offline defaults, or a hosted OpenAI-compatible service."""

    stt: Literal["whisper", "hosted"] = Field(
        "whisper", description="Speech-to-text: whisper (offline, tiny.en) or hosted."
    )
    tts: Literal["hibari", "espeak", "hosted"] = Field(
        "hibari",
        description="The default voice: hibari (offline neural), espeak, or hosted; an agent "
        "may choose another.",
    )
    tts_url: str | None = Field(
        None, description="An OpenAI-compatible API base for hosted text-to-speech."
    )
    tts_model: str = Field("tts-1", description="The hosted speech model's name.")
    tts_voice: str = Field("alloy", description="The hosted voice's name.")
    llm_url: str | None = Field(
        None,
        description="An OpenAI-compatible chat API base (https://host/v1: vLLM, llama.cpp "
        "server, Ollama, OpenAI) that writes the agent's replies, streamed into speech, and "
        "chooses its actions by tool calls; the offline dialogue when unset, and for any turn "
        "the model fails.",
    )
    llm_model: str = Field("gpt-4o-mini", description="The hosted chat model's name.")
    llm_key: SecretStr | None = Field(
        None, description="Bearer key of the chat model (api_key when unset)."
    )
    llm_timeout_seconds: float = Field(
        6.0,
        gt=0,
        le=60,
        description="Seconds the chat model may take to start its reply, or pause in it, "
        "before the offline dialogue answers that turn.",
    )
    stt_url: str | None = Field(
        None, description="An OpenAI-compatible API base for hosted speech-to-text."
    )
    stt_model: str = Field("whisper-1", description="The hosted transcription model's name.")
    api_key: SecretStr | None = Field(None, description="Bearer key of the hosted services.")
    no_input_seconds: float = Field(
        7.0, ge=2, le=60, description="Silence after the agent spoke before it asks again."
    )
    max_call_seconds: int = Field(900, ge=30, description="An agent call is ended after this.")
    evaluations_per_hour: int = Field(
        10, ge=1, description="Evaluation (CallScore) calls one business may ask for in an hour."
    )
    retention_days: int = Field(
        90, ge=1, le=3650, description="Default days call records are kept (a business may extend)."
    )
    calling_hours: tuple[int, int] = Field(
        (8, 21), description="Outbound calls only from/until these local hours of the callee."
    )
    stricter_hours: dict[str, tuple[int, int]] = Field(
        default_factory=dict,
        description='Stricter local hours by country or time zone: {"US": [9, 20]}.',
    )
    campaign_lease_seconds: float = Field(
        10.0,
        ge=1,
        le=600,
        description="A worker dialling a campaign renews its holds on its calls and on the "
        "campaign every third of this; a hold not renewed for this long is a dead worker's: "
        "its call is not repeated, and a live worker takes the campaign over.",
    )
    voice_clone_url: str | None = Field(
        None,
        description="An ElevenLabs-compatible API base (https://host/v1) that makes, speaks "
        "and deletes custom voices; none ships offline.",
    )
    voice_clone_key: SecretStr | None = Field(None, description="The voice provider's key.")
    campaign_slices: int = Field(
        2, ge=1, le=64, description="Dialling jobs a campaign starts with (workers sharing it)."
    )
    hooks_http_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts a business's tools and webhooks may reach over plain http (every "
        "other one must be https).",
    )
    hooks_private_networks: bool = Field(
        False,
        description="Let a business's tools and webhooks reach private, loopback and link-local "
        "addresses (off: they could reach this machine's and its network's services).",
    )
    webhook_attempts: int = Field(
        8, ge=1, le=20, description="Tries of a post-call webhook before it is given up."
    )
    webhook_retry_seconds: float = Field(
        5.0, gt=0, le=3600, description="Wait before a webhook's second try; doubles each time."
    )


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    format: Literal["json", "console"] = Field("json", description="json lines or human console.")
    file: Path | None = Field(
        None, description="Write logs to this file, rotated daily, instead of standard error."
    )
    keep_days: int = Field(
        7,
        ge=1,
        le=90,
        description="Days rotated log files are kept: the retention of the access_log category "
        "(rotation removes older files; the retention sweeper removes any rotation missed).",
    )
    access_file: Path | None = Field(
        None,
        description="The web access log (a line per request); default <data_dir>/logs/access.log, "
        "rotated daily and at max_bytes.",
    )
    max_bytes: int = Field(
        50 * 1024 * 1024,
        ge=64 * 1024,
        description="A log file is rotated when it reaches this size, as well as daily.",
    )
    client_ip: Literal["truncated", "raw"] = Field(
        "truncated",
        description="How access lines name the client: truncated (IPv4 to its /24, IPv6 to its "
        "/48, no port) or raw (the full address: opt in, and say so in your policy).",
    )


class ServiceSwitches(BaseModel):
    disabled: list[str] = Field(
        default_factory=list,
        description="Installed services to leave out (by name): no routes, jobs, commands or "
        "policy section; their data is still swept and still answers rights requests.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the SQLite database, job queue and files live.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite in the data directory. "
        "For PostgreSQL: postgresql+asyncpg://user@host/db.",
    )
    redis_url: str | None = Field(None, description="redis://host:port/db for scale-out.")
    secret_key: SecretStr = Field(
        SecretStr(""), description="Signing key for cookies and links; generated when empty."
    )
    services: ServiceSwitches = Field(default_factory=lambda: ServiceSwitches())
    web: WebSettings = Field(default_factory=lambda: WebSettings())
    jobs: JobSettings = Field(default_factory=lambda: JobSettings())
    log: LogSettings = Field(default_factory=lambda: LogSettings())
    privacy: PrivacySettings = Field(default_factory=lambda: PrivacySettings())
    telephony: TelephonySettings = Field(default_factory=lambda: TelephonySettings())
    captcha: CaptchaSettings = Field(default_factory=lambda: CaptchaSettings())
    ring: RingSettings = Field(default_factory=lambda: RingSettings())
    roulette: RouletteSettings = Field(default_factory=lambda: RouletteSettings())
    mail: MailSettings = Field(default_factory=lambda: MailSettings())
    accounts: AccountSettings = Field(default_factory=lambda: AccountSettings())
    billing: BillingSettings = Field(default_factory=lambda: BillingSettings())
    agents: AgentSettings = Field(default_factory=lambda: AgentSettings())

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        accepted = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if not value.startswith(accepted):
            raise ValueError("must start with one of " + ", ".join(accepted))
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get(ENV_PREFIX + "CONFIG", "ringfence.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'ringfence.db').resolve()}"

    @property
    def jobs_backend(self) -> Literal["embedded", "redis"]:
        if self.jobs.backend == "auto":
            return "redis" if self.redis_url else "embedded"
        if self.jobs.backend == "redis" and not self.redis_url:
            raise ConfigurationError(
                "RINGFENCE_JOBS__BACKEND=redis needs RINGFENCE_REDIS_URL (redis://host:port/db)"
            )
        return self.jobs.backend

    def ensure_data_dir(self) -> Path:
        """The data directory, private to this user: 0700, and every file in it 0600 (files
        made before, by an older version or another umask, are tightened too)."""
        if not self.data_dir.is_dir():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            make_private(self.data_dir)
        elif self.data_dir not in _PRIVATE_DIRS:
            make_private(self.data_dir)
        _PRIVATE_DIRS.add(self.data_dir)
        return self.data_dir

    @property
    def access_log_path(self) -> Path:
        return self.log.access_file or self.data_dir / "logs" / "access.log"

    @property
    def master_key_path(self) -> Path:
        return self.privacy.master_key_file or self.data_dir / "master.key"

    def signing_key(self) -> bytes:
        """The configured secret key, or one generated once and kept in the data directory."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        path = self.ensure_data_dir() / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


# Data directories already made private in this process (ensure_data_dir is called often).
_PRIVATE_DIRS: set[Path] = set()


def make_private(path: Path) -> None:
    """Owner-only access to ``path``: a directory 0700 with everything below it (directories
    0700, files 0600), or a file 0600. Symbolic links are left alone."""
    if path.is_symlink():
        return
    if path.is_file():
        path.chmod(0o600)
        return
    path.chmod(0o700)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o600)


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in loc)


def _known_env_names(model: type[BaseModel], prefix: str) -> set[str]:
    names: set[str] = set()
    for field_name, info in model.model_fields.items():
        name = prefix + field_name.upper()
        names.add(name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _known_env_names(annotation, name + "__")
    return names


def _unknown_env() -> list[str]:
    known = _known_env_names(Settings, ENV_PREFIX) | {ENV_PREFIX + "CONFIG"}
    return sorted(
        name
        for name in os.environ
        if name.startswith(ENV_PREFIX)
        and not name.startswith(ENV_PREFIX + "TEST_")
        and name.upper() not in known
    )


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning a validation failure into one line that names the setting."""
    unknown = _unknown_env()
    if unknown:
        raise ConfigurationError(
            f"unknown setting {unknown[0]}: not one of ringfence's settings (see README, Settings)"
        )
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _env_name(tuple(first["loc"]))
        given = first.get("input")
        shown = "" if isinstance(given, dict) else f"={given!r}"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"invalid setting {name}{shown}: {msg}{more}") from None
