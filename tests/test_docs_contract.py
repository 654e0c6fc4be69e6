"""docs/CONTRACT.md and the README: the config they show loads, and each names its settings."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from mock_server import Config
from mock_server.config import HookPolicy, load_config_file
from mock_server.domain.prompt_tables import PromptRules

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs" / "CONTRACT.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_toml_block_is_a_loadable_config(doc: Path, tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks
    for index, block in enumerate(blocks):
        file = tmp_path / f"block{index}.toml"
        file.write_text(block, encoding="utf-8")
        Config.from_mapping(load_config_file(file))


def test_the_readme_links_the_projects_own_contract_notes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/CONTRACT.md)" in readme and "../shared" not in readme


def test_every_setting_a_decision_names_exists() -> None:
    text = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:prompt_rules|hooks)\.[a-z_]+)`", text))
    known = {f"prompt_rules.{f.name}" for f in fields(PromptRules)}
    known |= {f"hooks.{f.name}" for f in fields(HookPolicy)}
    assert named and named <= known, named - known
    top = set(re.findall(r"\| `([a-z_]+)`(?: / `--)", text))
    assert top and top <= {f.name for f in fields(Config)}, top - {f.name for f in fields(Config)}
