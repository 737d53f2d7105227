"""``ringfence numbers`` loads nothing heavy before a command runs: libphonenumber, its
geocoder, NumPy and the generator's tables come when the command needs them."""

from __future__ import annotations

import subprocess
import sys

from ringfence.services.numbers.cli import TYPE_HELP
from ringfence.services.numbers.kinds import KINDS

HEAVY = ("phonenumbers", "numpy", "faker", "ringfence.services.numbers.generator")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return set(out.stdout.decode().split())


def test_the_command_line_module_imports_no_heavy_module() -> None:
    loaded = _modules_after("import sys\nimport ringfence.services.numbers.cli")
    assert "ringfence.services.numbers.cli" in loaded
    assert not {m for m in loaded if m.startswith(HEAVY)}


def test_help_builds_the_command_line_without_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from ringfence.services.numbers.cli import app\n"
        "result = CliRunner().invoke(app, ['check', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
    )
    assert not {m for m in _modules_after(code) if m.startswith(HEAVY)}


def test_the_types_in_the_help_are_the_types() -> None:
    assert TYPE_HELP.split(", ") == ["any", *KINDS]
