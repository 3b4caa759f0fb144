"""Installing without alarms: the Makefile's browser step waits for another apt-get and brings the fonts
Chinese and emoji need; the package declares every data folder, so pip prints no "would be ignored" box."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_SUFFIXES = {".txt", ".md", ".json", ".jsonl", ".css"}


def fake_apt(tmp_path: Path, update_failures: int, failure: str) -> tuple[Path, Path]:
    """A bin folder whose apt-get logs its calls and fails `update` a few times, and whose fc-list finds no font."""
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    scripts = {
        "apt-get": f"""#!/bin/sh
echo "$@" >> {log}
case " $* " in *" update "*)
  n=$(cat {tmp_path}/updates 2>/dev/null || echo 0); echo $((n + 1)) > {tmp_path}/updates
  if [ "$n" -lt {update_failures} ]; then echo "E: {failure}" >&2; exit 100; fi;;
esac
exit 0
""",
        "fc-list": "#!/bin/sh\nexit 0\n",
        "sudo": '#!/bin/sh\nexec "$@"\n',
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir, log


def make_browser_deps(bin_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(["make", "-s", "-C", str(ROOT), "browser-deps", "APT_WAIT_SECONDS=0"], env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_browser_step_waits_for_another_apt_get_and_installs_the_cjk_and_emoji_fonts(tmp_path):
    lock = "Could not get lock /var/lib/apt/lists/lock. It is held by process 42 (apt-get)"
    bin_dir, log = fake_apt(tmp_path, update_failures=2, failure=lock)
    run = make_browser_deps(bin_dir)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "waiting for it to finish" in run.stdout
    calls = log.read_text().splitlines()
    assert [c for c in calls if "update" in c.split()] == ["update -qq"] * 3
    install = calls[-1].split()
    assert "install" in install and "DPkg::Lock::Timeout=300" in install
    assert {"fonts-noto-cjk", "fonts-noto-color-emoji"} <= set(install)
    assert ("chromium" in install) == (shutil.which("chromium") is None)


def test_the_browser_step_stops_on_an_apt_error_that_is_not_a_lock(tmp_path):
    bin_dir, log = fake_apt(tmp_path, update_failures=99, failure="Failed to fetch http://deb.debian.org 404 Not Found")
    run = make_browser_deps(bin_dir)
    assert run.returncode != 0 and "404 Not Found" in run.stdout
    assert not [c for c in log.read_text().splitlines() if "install" in c.split()]


def data_folders() -> set[str]:
    """Every folder of the import packages that holds a data file, as a dotted package name."""
    found = set()
    for top in ("assistant", "tools", "prompts", "ui"):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix in DATA_SUFFIXES and "__pycache__" not in path.parts:
                found.add(".".join(path.parent.relative_to(ROOT).parts))
    return found


def test_every_folder_holding_prompts_or_catalog_data_is_a_declared_package():
    from setuptools import find_namespace_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = config["packages"]["find"]
    assert found.get("namespaces") is True
    packages = set(find_namespace_packages(where=str(ROOT), include=found["include"]))
    assert {"prompts.answers", "prompts.copy.en", "prompts.copy.zh", "prompts.kb.campaigns", "tools.semantic"} <= \
        data_folders()
    assert data_folders() <= packages
    assert not {p for p in packages if p.split(".")[0] not in ("assistant", "tools", "prompts", "ui")}
    assert set(config["package-data"]["*"]) >= {f"*{s}" for s in DATA_SUFFIXES}


@pytest.mark.slow
def test_building_the_package_prints_no_would_be_ignored_box_and_ships_every_data_file(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("assistant", "tools", "prompts", "ui"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path / "wheel"),
                          str(source)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "would be ignored" not in run.stdout + run.stderr
    shipped = set(zipfile.ZipFile(next((tmp_path / "wheel").glob("*.whl"))).namelist())
    for path in (source / "prompts").rglob("*"):
        if path.is_file() and path.suffix in DATA_SUFFIXES:
            assert path.relative_to(source).as_posix() in shipped
    assert {"tools/semantic/metrics.json", "ui/labels.json", "ui/chat.css"} <= shipped
