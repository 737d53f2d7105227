"""The root command group: the core's commands, and one group per enabled service that is
imported only when it runs.

``ringfence --help`` lists each service from its manifest (its name and summary); the service's
``cli`` module, and everything it imports, loads only for ``ringfence <service> ...``.
``ringfence version`` and the core's other commands touch no service and no settings at all.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    from ringfence.manifest import ServiceSpec


class Commands(TyperGroup):
    @cached_property
    def services(self) -> dict[str, ServiceSpec]:
        """The enabled services that have commands; every installed one when the settings do
        not load (the command run then says what is wrong with them)."""
        from ringfence import composition
        from ringfence.errors import RingfenceError
        from ringfence.settings import load_settings

        try:
            specs = composition.enabled(load_settings())
        except RingfenceError:
            specs = composition.installed()
        return {spec.name: spec for spec in specs if spec.cli is not None}

    def list_commands(self, ctx: Any) -> list[str]:
        core = super().list_commands(ctx)
        return [*core, *(name for name in self.services if name not in core)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.services:
            return found
        # Only its line in the help: running it goes through resolve_command, which loads it.
        return TyperCommand(cmd_name, short_help=self.services[cmd_name].summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and name not in self.commands and name in self.services:
            self.add_command(self._load(self.services[name]), name)
        return super().resolve_command(ctx, args)

    @staticmethod
    def _load(spec: ServiceSpec) -> Any:
        from ringfence import composition

        assert spec.cli is not None
        return typer.main.get_command(composition.load(spec.cli).app)


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """No ``<bool>`` beside a flag in the help: a flag takes no value (typer shows the type of
    every option; its plain-text help already leaves flags out)."""
    if self.is_flag:
        return None
    return _option_type(self, ctx)


_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]
