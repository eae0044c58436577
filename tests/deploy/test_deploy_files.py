"""The deployment files checked offline: the Dockerfile with hadolint, the Kubernetes manifest
with kubernetes-validate (the API's own schemas) and for what serving netplay needs, the nginx
configuration with `nginx -t`. No Docker daemon or cluster here: deploy/serve.py runs the same
processes natively (tests/e2e/test_serve_many.py)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
import serve  # noqa: E402

MANIFEST = ROOT / "deploy" / "k8s" / "netplay.yaml"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} not found: `pip install -e '.[test]'` installs it")
    return path


def test_the_dockerfile_passes_hadolint():
    out = subprocess.run([_tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_hadolint_does_catch_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\nCMD netplay\n")
    out = subprocess.run([_tool("hadolint"), str(bad)], capture_output=True, text=True)
    assert out.returncode != 0 and "DL3006" in out.stdout  # an untagged image


def test_the_dockerfile_copies_what_exists_and_runs_the_installed_command():
    text = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", text, flags=re.M):
        for item in source.split():
            assert (ROOT / item).exists(), f"COPY {item}: not in the repository"
    assert "netplay warmup" in text, "kernels are compiled at build time"
    scripts = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^netplay = "app\.cli:main"', scripts, flags=re.M)
    assert 'CMD ["netplay"' in text


def test_the_manifest_passes_kubernetes_validate():
    out = subprocess.run([_tool("kubernetes-validate"), "--strict", str(MANIFEST)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_manifest_keeps_learners_on_one_pod_and_checks_health():
    docs = {d["kind"]: d for d in yaml.safe_load_all(MANIFEST.read_text())}
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "Secret"} <= set(docs)
    notes = docs["Ingress"]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600  # websockets stay open
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert any(e["name"] == "STREAMLIT_SERVER_COOKIE_SECRET" for e in container["env"])


def test_the_rendered_nginx_configuration_is_valid(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx not found: install Debian's `nginx` (README command 2 does)")
    conf = serve.render_config(tmp_path, "127.0.0.1:18080", [18601, 18602, 18603])
    text = conf.read_text()
    assert "hash $netplay_route consistent" in text and text.count("server 127.0.0.1:186") == 3
    assert "client_header_timeout" in text and "client_body_timeout" in text
    out = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_netplay_warmup_compiles_the_kernels_and_exits():
    out = subprocess.run([sys.executable, "-m", "app.cli", "warmup"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert re.search(r"kernels ready in [\d.]+ s", out.stdout)


def test_netplay_passes_every_config_option_including_nested_theme_tables(tmp_path):
    from app.cli import config_flags

    config = tmp_path / "config.toml"
    config.write_text('[server]\nport = 9\nheadless = true\n[theme.dark]\ntextColor = "#fff"\n[theme.light]\nfont = "serif"\n')
    assert config_flags(config) == ["--server.port=9", "--server.headless=true", "--theme.dark.textColor=#fff",
                                    "--theme.light.font=serif"]
    # and the project's own file yields only options Streamlit knows (an unknown one stops it starting)
    from streamlit import config as st_config

    for flag in config_flags():
        name = flag[2:].split("=", 1)[0]
        assert name in st_config._config_options_template, name
