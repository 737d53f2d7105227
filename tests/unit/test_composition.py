"""The composition root: each service declares itself once, the root assembles the enabled ones,
and no module below the services names one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ringfence import composition
from ringfence.errors import ConfigurationError
from ringfence.jobs import JobQueue
from ringfence.privacy.categories import build_inventory
from ringfence.privacy.policy import PolicyStamp, document
from tests.conftest import SettingsFactory

SRC = Path(__file__).resolve().parents[2] / "src" / "ringfence"
SERVICES = ("agents", "dial", "numbers", "ring", "roulette")


def test_every_service_is_installed_from_its_own_manifest() -> None:
    specs = composition.installed()
    assert [s.name for s in specs] == list(SERVICES)
    for spec in specs:
        assert spec.package == f"ringfence.services.{spec.name}"
        parts = [*spec.models, *spec.jobs, spec.privacy, spec.web, spec.cli, spec.admin]
        for module in filter(None, parts):
            assert module.startswith(spec.package + "."), module
            composition.load(module)


def test_a_disabled_service_is_left_out_and_an_unknown_one_refused(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(services={"disabled": ["roulette"]})
    assert "roulette" not in [s.name for s in composition.enabled(settings)]
    assert composition.disabled(settings) == {"roulette"}
    with pytest.raises(ConfigurationError, match="not installed"):
        composition.enabled(make_settings(services={"disabled": ["fax"]}))


def test_a_disabled_service_adds_no_job(make_settings: SettingsFactory) -> None:
    def names(queue: JobQueue) -> set[str]:
        return set(queue._specs)

    every = names(JobQueue(make_settings()))
    assert any(n.startswith("agents.") for n in every)
    without = names(JobQueue(make_settings(services={"disabled": ["agents"]})))
    assert not any(n.startswith("agents.") for n in without)
    assert {n for n in every if not n.startswith("agents.")} == without


def test_a_disabled_service_has_no_policy_section_but_its_data_stays_declared(
    make_settings: SettingsFactory,
) -> None:
    import datetime as dt

    settings = make_settings(services={"disabled": ["dial"]})
    inventory = build_inventory()
    assert any(c.service == "dial" for c in inventory)  # still swept and exported
    stamp = PolicyStamp("v", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    doc = document(inventory, settings.privacy, stamp, hidden=composition.disabled(settings))
    assert doc["categories"]
    assert not [c for c in doc["categories"] if c["service"] == "dial"]


def test_no_module_below_the_services_names_one() -> None:
    named = re.compile(r"ringfence\.services\.(" + "|".join(SERVICES) + r")\b")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "services" not in path.relative_to(SRC).parts and named.search(path.read_text())
    ]
    assert offenders == []


def _loaded_by(module: str) -> set[str]:
    code = (
        f"import sys, {module}; "
        "print('\\n'.join(m for m in sys.modules if m.startswith('ringfence.services.')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return {line.split(".")[2] for line in out.stdout.split()}


@pytest.mark.parametrize("service", SERVICES)
def test_importing_one_service_loads_only_it_and_the_core(service: str) -> None:
    spec = next(s for s in composition.installed() if s.name == service)
    assert spec.web is not None
    assert _loaded_by(spec.web) == {service}
    if spec.admin is not None:  # its console section, too
        assert _loaded_by(spec.admin) == {service}


def test_the_command_line_leaves_out_a_disabled_service(tmp_path: Path) -> None:
    def help_text(**env: str) -> str:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
        return subprocess.run(
            [sys.executable, "-m", "ringfence", "--help"],
            env={**clean, "RINGFENCE_DATA_DIR": str(tmp_path), "COLUMNS": "200", **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert re.search(r"│ numbers\b", help_text())
    assert not re.search(r"│ numbers\b", help_text(RINGFENCE_SERVICES__DISABLED='["numbers"]'))
