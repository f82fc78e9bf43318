"""The README's configuration table is what settings/__init__.py implies, and every setting is explained."""

import re
from pathlib import Path

from devstack.configuration import configuration_table, meaning
from settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_says_what_it_means() -> None:
    unexplained = [name for name, field in Settings.model_fields.items() if not meaning(name, field)]
    assert unexplained == [], "give these a Field(description=...) in settings/__init__.py"


def test_readme_table_matches_the_settings() -> None:
    found = re.search(
        r"<!-- configuration:begin -->\n(.*)\n<!-- configuration:end -->", README.read_text(), re.DOTALL
    )
    assert found, "README.md lost its configuration markers"
    assert found.group(1) == configuration_table(), "run `python -m devstack.configuration` into README.md"
