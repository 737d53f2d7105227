"""What a service declares about itself, once, in its package: ``SERVICE = ServiceSpec(...)``.

The composition root (``ringfence.composition``) reads these manifests and assembles the enabled
services into the store, the privacy inventory, the job queue, the web app and the command line;
no module below the services names one. Every part is a module path inside the service's own
package, imported only when that part is needed, so reading the manifests costs nothing and
``ringfence version`` does not load a service's routes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    """One service's manifest.

    - ``models``: modules whose import declares the service's tables on ``Base.metadata``.
    - ``privacy``: the module that exports ``CATEGORIES`` (and optionally ``ERASERS``).
    - ``jobs``: modules that declare jobs on ``ringfence.jobs.registry`` when imported.
    - ``web``: the module that exports ``router`` and optionally ``install(app)`` (what is not a
      router, such as a Socket.IO endpoint or start-up steps).
    - ``cli``: the module that exports a typer ``app``, added as ``ringfence <name> ...``.
    - ``admin``: the module that exports the service's section of the operator console: a
      ``router`` (mounted under ``/admin/<name>``, every route behind the console's operator
      check) and its ``TITLE``.
    - ``uses``: the core capabilities whose own categories the service's work writes (its
      calls leave ``telephony``'s call records); their categories are in the service's policy.
    - ``settings_section``: the attribute of ``Settings`` that holds the service's settings.
    - ``title``, ``path`` and ``summary``: how the home page links to it.
    """

    name: str
    title: str
    path: str
    summary: str
    package: str
    models: tuple[str, ...] = ()
    privacy: str | None = None
    jobs: tuple[str, ...] = ()
    web: str | None = None
    cli: str | None = None
    admin: str | None = None
    uses: tuple[str, ...] = ()
    settings_section: str | None = None
