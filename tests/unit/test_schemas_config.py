"""Configuration files: one element per file and per section, keys flattened, secrets redacted by key
name before any record holds them; real files from the corpus and broken inline ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planvec.kinds.base import Source
from planvec.kinds.schemas.config import looks_like, parse_config, syntax_of
from planvec.kinds.schemas.config_keys import MAX_KEYS, REDACTED, is_secret_key, render
from planvec.kinds.schemas.records import SchemaFile
from planvec.parsing import read_text

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"
ENV_FILES = (".env.example", "development/managers/contextual-memory-manager/config/.env.example")


def corpus(rel: str) -> SchemaFile:
    path = REPO / rel
    if not path.is_file():
        pytest.skip(f"shared corpus not found at {REPO}")
    return parse_config(Source(rel, read_text(path)[0]))


def parse(rel: str, text: str) -> SchemaFile:
    return parse_config(Source(rel, text))


def sections(sf: SchemaFile) -> dict:
    return {e.name.split("#", 1)[1]: e for e in sf.elements if e.element == "config_section"}


def test_kubernetes_auth_manifest() -> None:
    sf = corpus("kubernetes/enterprise/auth.yaml")
    assert sf.problems == ()
    assert [e.element for e in sf.elements].count("config_file") == 1
    assert sf.elements[0].name == "kubernetes/enterprise/auth.yaml"
    assert sf.elements[0].attributes["flavor"] == "kubernetes"
    parts = sections(sf)
    assert list(parts) == [
        "ConfigMap/auth-config",
        "Secret/auth-secrets",
        "Service/auth-service",
        "Deployment/auth-server",
        "HorizontalPodAutoscaler/auth-server-hpa",
        "NetworkPolicy/auth-network-policy",
        "PodDisruptionBudget/auth-server-pdb",
    ]
    deployment = parts["Deployment/auth-server"]
    assert deployment.line == 253
    assert deployment.parent == "kubernetes/enterprise/auth.yaml"
    assert deployment.attributes["kind"] == "Deployment"
    assert deployment.attributes["namespace"] == "branching-framework-enterprise"
    keys = deployment.attributes["keys"]
    assert keys["spec.replicas"] == "6"
    assert (
        keys["spec.template.spec.containers[0].image"] == "branching-framework/auth-server:2.0.0-enterprise"
    )
    assert deployment.attributes["key_lines"]["spec.replicas"] == 265
    assert deployment.description.startswith(
        "Kubernetes Deployment auth-server in namespace branching-framework-enterprise"
    )
    # The ConfigMap's embedded config.yaml is read key by key, with its lines in the manifest.
    config = parts["ConfigMap/auth-config"].attributes
    assert config["keys"]["data.config.yaml.database.connection_timeout"] == "30s"
    assert config["key_lines"]["data.config.yaml.database.connection_timeout"] == 159
    assert config["keys"]["data.config.yaml.database.password_env"] == "DB_PASSWORD"  # names a variable: kept


def test_kubernetes_secrets_never_reach_a_record() -> None:
    auth = corpus("kubernetes/enterprise/auth.yaml")
    security = corpus("kubernetes/enterprise/security.yaml")
    assert security.problems == ()
    assert len(sections(security)) == 10
    everything = repr(auth) + repr(security)
    for secret in (
        "secure-auth-db-password-enterprise-2024",
        "web-client-secret-secure-token-enterprise",
        "MIIEpAIBAAKCAQEA0vx3aPrXc5s7YFkJcPzz8sRvdG3jKlGmN8vQ1mKjLp0sXnRt",
        "CHANGE_ME_ENTERPRISE_POSTGRES_PASSWORD",
        "CHANGE_ME_ENTERPRISE_QDRANT_API_KEY",
        "CHANGE_ME_ENTERPRISE_JWT_SECRET_256_BIT_KEY",
        "CHANGE_ME_ENTERPRISE_OAUTH2_CLIENT_SECRET",
    ):
        assert secret not in everything
    # A Secret's data is redacted whole, whatever its keys are called.
    postgres = sections(security)["Secret/postgres-credentials"].attributes["keys"]
    assert postgres["stringData.host"] == REDACTED
    assert postgres["metadata.name"] == "postgres-credentials"
    # {name: X_PASSWORD, value: ...} pairs are judged by the name.
    env = sections(auth)["Deployment/auth-server"].attributes["keys"]
    assert env["spec.template.spec.containers[0].env[1].name"] == "DB_PASSWORD"


def test_json_configuration_file() -> None:
    sf = corpus("projet/security/protection-config.json")
    assert sf.problems == ()
    top = sf.elements[0]
    assert top.attributes["keys"] == {
        "description": "Configuration de protection pour organize-root-files-secure.ps1 - Plan Dev v41",
        "version": "1.0",
        "lastUpdated": "2025-06-03",
        "auditReference": "security-audit-report-v1.json",
    }
    parts = sections(sf)
    assert list(parts) == [
        "CriticalFiles",
        "WatchedExtensions",
        "ForbiddenDirectories",
        "SecurityThresholds",
        "CustomRules",
        "LoggingConfig",
        "NotificationSettings",
        "AdvancedSecurity",
        "ProjectSpecificSettings",
        "ComplianceSettings",
    ]
    thresholds = parts["SecurityThresholds"]
    assert thresholds.line == 116
    assert thresholds.attributes["keys"]["MaxFilesToMove"] == "50"
    assert thresholds.attributes["key_lines"]["MaxFilesToMove"] == 117
    assert "MaxTotalSizeMB=200" in thresholds.description
    assert parts["WatchedExtensions"].attributes["keys"]["WatchedExtensions"].startswith(".ps1, .sh, .bat")
    assert parts["ComplianceSettings"].attributes["keys"]["ISO27001.enabled"] == "true"


@pytest.mark.parametrize(
    ("rel", "names", "secret_values"),
    [
        (
            ENV_FILES[0],
            [
                "Environment Configuration",
                "Service Versions",
                "Port Configuration",
                "RAG Server Configuration",
                "QDrant Configuration",
                "Prometheus Configuration",
                "Grafana Configuration",
                "Redis Configuration",
                "Network Configuration",
                "API Keys (set these in production)",
                "Build Configuration",
            ],
            ["admin123", "your_notion_api_key_here", "your_gemini_api_key_here"],
        ),
        (
            ENV_FILES[1],
            [
                "Database Configuration",
                "Qdrant Configuration",
                "MCP Gateway Configuration",
                "N8N Configuration",
                "Frontend Configuration",
                "Application Configuration",
                "Performance Configuration",
                "Security Configuration",
            ],
            ["'password'"],  # POSTGRES_PASSWORD=password: the value, quoted as repr shows values
        ),
    ],
)
def test_env_files_blocks_and_no_password_anywhere(
    rel: str, names: list[str], secret_values: list[str]
) -> None:
    sf = corpus(rel)
    assert sf.problems == ()
    assert list(sections(sf)) == names
    for value in secret_values:
        assert value not in repr(sf)


def test_env_values_and_lines() -> None:
    parts = sections(corpus(ENV_FILES[0]))
    grafana = parts["Grafana Configuration"]
    assert grafana.attributes["keys"] == {"GRAFANA_USER": "admin", "GRAFANA_PASSWORD": REDACTED}
    assert grafana.attributes["key_lines"] == {"GRAFANA_USER": 43, "GRAFANA_PASSWORD": 44}
    assert grafana.line == 43
    ports = parts["Port Configuration"]
    assert ports.attributes["keys"]["REDIS_PORT"] == "6379"
    assert "REDIS_PORT=6379" in ports.description
    database = sections(corpus(ENV_FILES[1]))["Database Configuration"].attributes["keys"]
    assert database["POSTGRES_PASSWORD"] == REDACTED
    assert database["POSTGRES_HOST"] == "localhost"


def test_env_syntax_quotes_export_and_a_bad_line() -> None:
    text = "export A=1\nB=\"two words\" # note\nnot a line\n\n# Database\nDB_PASS='x y'\nURL=postgres://u:pw123@h/db\n"
    sf = parse("app/.env", text)
    assert [(p.reason, p.line) for p in sf.problems] == [("not KEY=value: 'not a line'", 3)]
    parts = sections(sf)
    assert parts["A"].attributes["keys"] == {"A": "1", "B": "two words"}
    assert parts["Database"].attributes["keys"] == {
        "DB_PASS": REDACTED,
        "URL": "postgres://u:[REDACTED:url-password]@h/db",
    }
    assert parts["Database"].line == 6
    assert "pw123" not in repr(sf) and "x y" not in repr(sf)


def test_toml_tables_arrays_and_top_level_keys() -> None:
    text = (
        'title = "svc"\napi_key = "k-123"\n'
        '[database]\nhost = "db"\npassword = "hunter2"\n[database.pool]\nsize = 5\n'
        '[[servers]]\nname = "a"\n[[servers]]\nname = "b"\n'
    )
    sf = parse("conf/app.toml", text)
    assert sf.problems == ()
    top = sf.elements[0].attributes
    assert top["keys"] == {"title": "svc", "api_key": REDACTED}
    parts = sections(sf)
    assert parts["database"].attributes["keys"] == {"host": "db", "password": REDACTED, "pool.size": "5"}
    assert parts["database"].attributes["key_lines"] == {"host": 4, "password": 5, "pool.size": 7}
    assert parts["servers"].attributes["key_lines"] == {"servers[0].name": 9, "servers[1].name": 11}
    assert "hunter2" not in repr(sf) and "k-123" not in repr(sf)


def test_ini_sections_defaults_and_a_bad_line() -> None:
    text = (
        "[metadata]\nname = x\nauth_token = abc\n"
        "[tool:pytest]\naddopts = -q\nthis line is bad\n[credentials]\nuser = u\n"
    )
    sf = parse("setup.cfg", text)
    assert [(p.reason, p.line) for p in sf.problems] == [("not key = value: 'this line is bad'", 6)]
    parts = sections(sf)
    assert list(parts) == ["metadata", "tool:pytest", "credentials"]
    assert parts["metadata"].attributes["keys"] == {"name": "x", "auth_token": REDACTED}
    assert parts["tool:pytest"].line == 4
    assert parts["credentials"].attributes["keys"] == {"user": REDACTED}  # a secrets section: all of it
    headerless = parse("app.ini", "a=1\nsecret_key: s\n")
    assert sections(headerless)["DEFAULT"].attributes["keys"] == {"a": "1", "secret_key": REDACTED}
    assert sections(headerless)["DEFAULT"].attributes["key_lines"] == {"a": 1, "secret_key": 2}


def test_docker_compose_services() -> None:
    text = (
        "version: '3.8'\nservices:\n  web:\n    image: nginx:1.25\n    ports: ['80:80', 8443]\n"
        "    environment:\n      - POSTGRES_PASSWORD=pw1\n      - MODE=prod\n"
        "  db:\n    image: postgres:16\n    environment:\n"
        "      POSTGRES_PASSWORD: pw2\n      POSTGRES_USER: app\n"
        "volumes:\n  data: {}\n"
    )
    sf = parse("deploy/docker-compose.yml", text)
    assert sf.problems == ()
    assert sf.elements[0].attributes["flavor"] == "docker-compose"
    parts = sections(sf)
    assert list(parts) == ["services.web", "services.db", "volumes"]
    web = parts["services.web"]
    assert (web.line, web.attributes["image"], web.attributes["ports"]) == (
        3,
        "nginx:1.25",
        ["80:80", "8443"],
    )
    assert web.attributes["environment"] == {"POSTGRES_PASSWORD": REDACTED, "MODE": "prod"}
    assert web.description.startswith("docker-compose service web (image nginx:1.25)")
    assert parts["services.db"].attributes["environment"] == {
        "POSTGRES_PASSWORD": REDACTED,
        "POSTGRES_USER": "app",
    }
    assert "pw1" not in repr(sf) and "pw2" not in repr(sf)


def test_multi_document_yaml_keeps_documents_before_an_error() -> None:
    sf = parse("multi.yaml", "a: {x: 1}\n---\nb: [1, 2]\nscalar: 3\n---\nc: [\n")
    assert [(p.reason.split(":")[0], p.line) for p in sf.problems] == [("invalid YAML", 7)]
    parts = sections(sf)
    assert list(parts) == ["a", "b@2"]
    assert parts["b@2"].attributes["keys"] == {"b": "1, 2"}
    assert sf.elements[0].attributes["keys"] == {"scalar@2": "3"}


@pytest.mark.parametrize(
    ("rel", "text", "reason", "line"),
    [
        ("bad.toml", "a = 1\n[t]\nb = = 2\n", "invalid TOML", 3),
        ("bad.json", '{\n  "a": {"b": 1},\n}', "invalid JSON", 3),
        ("bad.yaml", "a:\n  b: 1\n c: 2\n", "invalid YAML", 3),
        ("x.xml", "<a/>", "not a configuration format", None),
    ],
)
def test_unreadable_files_are_one_problem_and_no_elements(
    rel: str, text: str, reason: str, line: int | None
) -> None:
    sf = parse(rel, text)
    assert sf.elements == ()
    assert len(sf.problems) == 1
    assert sf.problems[0].reason.startswith(reason)
    assert sf.problems[0].line == line


def test_long_values_are_cut_and_huge_sections_capped() -> None:
    big = "\n".join(f"  k{i}: v" for i in range(MAX_KEYS + 5))
    sf = parse("big.yaml", f"s:\n{big}\nlong: {'x' * 500}\n")
    section = sections(sf)["s"]
    assert len(section.attributes["keys"]) == MAX_KEYS
    assert sf.warnings == (f"section s: 5 keys past the first {MAX_KEYS} not kept",)
    assert len(sf.elements[0].attributes["keys"]["long"]) == 200
    assert len(section.description) <= 600


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("api_key", True),
        ("apiKey", True),
        ("APIKEY", True),
        ("private_key", True),
        ("jwt-private-key", True),
        ("client_secret", True),
        ("GITHUB_TOKEN", True),
        ("credentials", True),
        ("basic_auth", True),
        ("keyboard", False),
        ("monkey", False),
        ("keyboard_layout", False),
        ("password_env", False),
        ("key_file", False),
        ("token_endpoint", False),
        ("secretKeyRef", False),
        ("author", False),
        ("host", False),
    ],
)
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_booleans_are_kept_and_url_passwords_redacted() -> None:
    sf = parse(
        "a.yaml", "auth:\n  enabled: true\n  token: abc\n  mode: oidc\nurl: redis://:s3cret@cache:6379/0\n"
    )
    keys = sections(sf)["auth"].attributes["keys"]
    assert keys == {"enabled": "true", "token": REDACTED, "mode": "oidc"}
    assert render("redis://:s3cret@cache:6379/0") == "redis://:[REDACTED:url-password]@cache:6379/0"
    assert "s3cret" not in repr(sf)


def test_syntax_and_looks_like() -> None:
    assert syntax_of("a/.env") == "env"
    assert syntax_of(".env.production") == "env"
    assert syntax_of("prod.env") == "env"
    assert syntax_of("k8s/app.yml") == "yaml"
    assert syntax_of("tox.ini") == "ini"
    assert syntax_of("pyproject.toml") == "toml"
    assert syntax_of("README.md") == ""
    assert looks_like("conf/app.json", "{}")
    assert not looks_like("package-lock.json", "{}")
    assert not looks_like("Cargo.lock", "")


def test_json_with_comments_where_the_convention_allows_them() -> None:
    text = (
        '{\n  // compiler options\n  "compilerOptions": {\n'
        '    "strict": true, /* on */\n    "paths": {"a": ["b,"]},\n  },\n}\n'
    )
    sf = parse("web/tsconfig.json", text)
    assert sf.problems == ()
    options = sections(sf)["compilerOptions"]
    assert options.attributes["keys"] == {"strict": "true", "paths.a": "b,"}
    assert options.attributes["key_lines"] == {"strict": 4, "paths.a": 5}
    # Elsewhere a comment is an error, with its line.
    plain = parse("conf/app.json", text)
    assert plain.elements == () and plain.problems[0].line == 2


def test_real_pyproject_toml_tables_and_lines() -> None:
    sf = corpus("output/mem0-analysis/files/pyproject.toml")
    assert sf.problems == ()
    parts = sections(sf)
    assert list(parts) == ["tool", "build-system"]
    tool = parts["tool"].attributes
    assert tool["keys"]["poetry.name"] == "mem0ai"
    assert tool["keys"]["poetry.dependencies.qdrant-client"] == "^1.9.1"
    # Lines through the deepest [table.header] on the key's path.
    assert tool["key_lines"]["poetry.dependencies.qdrant-client"] == 24
    assert tool["key_lines"]["poetry.group.dev.dependencies.pytest"] == 45
    assert tool["key_lines"]["ruff.line-length"] == 52
    assert parts["build-system"].line == 47
