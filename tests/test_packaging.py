"""The wheel as a user gets it: its files, and what happens next to PyPI's `fixtures`.

Builds one wheel, installs it with `--no-deps` into a throwaway virtualenv whose dependencies come
from this interpreter (a `.pth` line, so no download), then installs the PyPI `fixtures` package
over it from the registry (skipped, with the reason, when the registry cannot be reached).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


# What a user installs, and what stays in the checkout: the OpenAPI generator (tools/), the tests
# and the benchmarks are development files, so the wheel must not carry them.
SHIPPED = ("mock_server", "client", "contract_tests", "schemas", "fixtures")
DEVELOPMENT_ONLY = ("tools", "tests", "bench")


def test_the_wheel_ships_the_packages_and_no_development_files(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    packages = {top for top in tops if not top.endswith((".dist-info", ".data"))}
    assert not packages & set(DEVELOPMENT_ONLY), sorted(packages)
    assert packages == set(SHIPPED), sorted(packages)
    for package in SHIPPED:
        assert f"{package}/__init__.py" in names
    # The documents the generator wrote ship; the generator does not.
    assert {"schemas/openapi.yaml", "schemas/openapi-mock.yaml", "schemas/routes.py"} <= set(names)
    assert not [name for name in names if "build_openapi" in name]


def test_the_wheel_ships_license_and_type_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)[:20]
    for package in ("mock_server", "client", "schemas", "fixtures"):
        assert f"{package}/py.typed" in names


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(python: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(python), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=python.parent.parent,  # away from this checkout, as a user's project would be
    )


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the built wheel; its dependencies are this interpreter's."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = _python(env_dir)
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # A path line in a .pth adds the directory but does not run *its* .pth files, so this
    # checkout's editable install stays out and only the wheel's packages are importable.
    Path(site.stdout.strip(), "zz_mock_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    done = _run(python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel))
    assert done.returncode == 0, done.stderr
    return python


IMPORT_MOCK = (
    "import mock_server, fixtures, pathlib; "
    "assert pathlib.Path(mock_server.__file__).parts[-3] != '{root}', mock_server.__file__; "
    "print(len(fixtures.load('quickstart/job_status_response.json')['data']))"
)


def test_pypi_fixtures_next_to_the_mock_fails_at_import_naming_it(installed: Path) -> None:
    before = _run(installed, "-I", "-c", IMPORT_MOCK.format(root=ROOT.name))
    assert before.returncode == 0, before.stderr
    sample = json.loads((ROOT / "fixtures/quickstart/job_status_response.json").read_text())
    assert before.stdout.strip() == str(len(sample["data"]))

    # From the wheel, the contract suite runs with its options and no hidden `-p`.
    suite = _run(
        installed,
        "-I",
        "-m",
        "pytest",
        "--pyargs",
        "contract_tests",
        "--mj-target",
        "server",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "test_submit_accepts_every_documented_field",
    )
    assert suite.returncode == 0, suite.stdout[-2000:] + suite.stderr[-2000:]
    assert "1 passed" in suite.stdout

    got = _run(installed, "-m", "pip", "install", "--quiet", "fixtures", timeout=240)
    if got.returncode != 0:
        lines = (got.stderr or got.stdout).strip().splitlines()
        pytest.skip(f"cannot install PyPI's fixtures: {lines[-1] if lines else 'pip failed'}")

    after = _run(installed, "-I", "-c", "import mock_server")
    assert after.returncode != 0, "importing the mock over PyPI's fixtures must not pass silently"
    assert "PackageClash" in after.stderr
    assert "pip uninstall fixtures" in after.stderr, after.stderr


def test_a_users_own_client_module_is_named_before_the_contract_suite_uses_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "client.py").write_text("print('the user app client')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    got = subprocess.run(
        [sys.executable, "-c", "import contract_tests"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert got.returncode != 0
    assert "shadows midjourney-api-mock's `client`" in got.stderr, got.stderr
    assert str(tmp_path / "client.py") in got.stderr
