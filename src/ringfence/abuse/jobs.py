"""Periodic clean-up of the abuse controls: spent captcha solutions past their expiry."""

from __future__ import annotations

from ringfence.abuse.captcha import Captcha
from ringfence.jobs import JobContext, crontab, registry


@registry.periodic(crontab(minute="*/15"), name="abuse.forget_spent_captchas")
async def forget_spent_captchas(ctx: JobContext) -> int:
    captcha = Captcha(ctx.settings.captcha, ctx.settings.signing_key(), ctx.clock)
    async with ctx.db.session() as session:
        return await captcha.forget_expired(session)
