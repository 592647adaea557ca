"""Settings come only from the environment (optionally a .env file in development)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _roles(raw: str) -> frozenset[str]:
    names = {name.strip() for name in raw.split(",") if name.strip()}
    return frozenset() if names <= {"none"} else frozenset(names - {"none"})


def load_config(overrides: dict | None = None) -> dict:
    env = os.environ.get("CRUCIBLE_ENV", "development")
    production = env == "production"
    instance_dir = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY must be set when CRUCIBLE_ENV=production.")
        # Development only: a per-instance random key kept in instance/ so sessions survive restarts.
        secret_key = _development_secret(instance_dir)
    config = {
        **_core_settings(env, secret_key, instance_dir),
        **_web_settings(production),
        **_document_settings(instance_dir),
        **_sso_settings(),
    }
    if overrides:
        config.update(overrides)
    return config


def _core_settings(env: str, secret_key: str, instance_dir: Path) -> dict:
    """Where the app runs: its name, key, database, address, Redis and mail."""
    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_dir / 'crucible.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "INSTANCE_DIR": str(instance_dir),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "crucible@localhost"),
        # Where applicants write with questions about their application (shown once they have submitted).
        "RESEARCH_OFFICE_EMAIL": os.environ.get("RESEARCH_OFFICE_EMAIL") or None,
        # Whether the applicant's team reads reviewers' names beside "Reviewer 1", ... (app/reviews/anonymity.py).
        "REVIEWERS_NAMED_TO_APPLICANT": _bool("REVIEWERS_NAMED_TO_APPLICANT", False),
        # The longest an approval may last, from the day it is given (app/reviews/services/approval.py).
        "APPROVAL_MAX_YEARS": int(os.environ.get("APPROVAL_MAX_YEARS", "3")),
    }


def _web_settings(production: bool) -> dict:
    """Cookies and sessions, sign-in throttling, two-step sign-in, rate limits and request sizes."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A sign-in ends after this long without a request, and this long after it began (seconds; 0: never).
        # Activity is noted at most every 5 minutes, so the idle limit holds to within 5 minutes.
        "SESSION_IDLE_TIMEOUT": int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60))),
        "SESSION_MAX_AGE": int(os.environ.get("SESSION_MAX_AGE", str(12 * 3600))),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none). Behind
        # one proxy set 1, so the client address (sign-in throttling, audit) and HTTPS (HSTS) are right.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Sign-in throttling (app/auth/throttle.py): this many failed sign-ins for one account, or from one
        # address, within the window, and further attempts are refused with 429 even with the right password.
        "LOGIN_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10")),
        "LOGIN_FAILURES_PER_ADDRESS": int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "10")),
        "LOGIN_FAILURE_WINDOW": int(os.environ.get("LOGIN_FAILURE_WINDOW", "900")),
        # Password-reset mails one address may ask for (stops mail flooding); Flask-Limiter syntax.
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per 15 minutes"),
        # Registration requests (each sends a mail) one address may make; Flask-Limiter syntax.
        "REGISTRATION_RATE_LIMIT": os.environ.get("REGISTRATION_RATE_LIMIT", "5 per 15 minutes"),
        # Seconds a mailed registration link stays valid.
        "REGISTRATION_LINK_MAX_AGE": int(os.environ.get("REGISTRATION_LINK_MAX_AGE", "86400")),
        # Roles that must sign in with a second step (app/auth/mfa.py), comma-separated; "none" for nobody. On by
        # default in production for the roles that administer or decide; off in development, where the demo
        # accounts sign in with their passwords alone.
        "MFA_REQUIRED_ROLES": _roles(os.environ.get(
            "MFA_REQUIRED_ROLES", "admin,chair,deputy_chair,coordinator,security_officer" if production else "none")),
        # Encrypts authenticator secrets at rest; without it a key is derived from SECRET_KEY (then rotating
        # SECRET_KEY means everyone enrols again).
        "MFA_ENCRYPTION_KEY": os.environ.get("MFA_ENCRYPTION_KEY") or None,
        "MFA_ISSUER": os.environ.get("MFA_ISSUER", "Crucible"),
        # Flask-Limiter (per-address limits): shared through Redis when REDIS_URL is set, else per process.
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_KEY_PREFIX": "crucible",
        # If Redis goes away, limit in memory instead of failing every sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "EMAIL_CHANGE_MAX_AGE": int(os.environ.get("EMAIL_CHANGE_MAX_AGE", "86400")),
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Decisions produce their signed assessment straight away (queued with Redis, after the response without).
        "ASSESSMENT_AUTO_RENDER": _bool("ASSESSMENT_AUTO_RENDER", True),
        "TESTING": False,
    }


def _sso_settings() -> dict:
    """Single sign-on with OpenID Connect (app/auth/sso.py) and whether local passwords still sign people in."""
    names = [name.strip().lower() for name in os.environ.get("OIDC_PROVIDERS", "").split(",") if name.strip()]
    return {
        "OIDC_PROVIDERS": {name: oidc_provider_from_env(name) for name in names},
        # "off": only the break-glass administrators' addresses may still sign in with a password.
        "LOCAL_PASSWORDS": _bool("LOCAL_PASSWORDS", True),
        "BREAK_GLASS_ADMINS": frozenset(
            email.strip().lower() for email in os.environ.get("BREAK_GLASS_ADMINS", "").split(",") if email.strip()),
    }


def oidc_provider_from_env(name: str) -> dict:
    """One identity provider's settings, from OIDC_<NAME>_* (README, "Single sign-on")."""
    prefix = f"OIDC_{name.upper()}_"

    def setting(key: str, default: str | None = None) -> str | None:
        return os.environ.get(prefix + key) or default

    issuer, metadata_url = setting("ISSUER"), setting("METADATA_URL")
    client_id, client_secret = setting("CLIENT_ID"), setting("CLIENT_SECRET")
    if not (issuer or metadata_url) or not client_id or not client_secret:
        raise ConfigError(f"Identity provider {name!r}: set {prefix}ISSUER (or {prefix}METADATA_URL), "
                          f"{prefix}CLIENT_ID and {prefix}CLIENT_SECRET.")
    return {
        "label": setting("LABEL", name),
        "metadata_url": metadata_url or f"{(issuer or '').rstrip('/')}/.well-known/openid-configuration",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": setting("SCOPE", "openid email profile"),
        "email_claim": setting("EMAIL_CLAIM", "email"),
        "name_claim": setting("NAME_CLAIM", "name"),
        "department_claim": setting("DEPARTMENT_CLAIM"),
        "groups_claim": setting("GROUPS_CLAIM", "groups"),
        # Institutional providers that only hand out their own addresses send no email_verified claim.
        "emails_verified": _bool(prefix + "EMAILS_VERIFIED", False),
        "roles": parse_role_rule(setting("ROLES", "") or ""),
    }


def parse_role_rule(raw: str) -> dict[str, tuple[str, ...]]:
    """"group=role,role; other group=role" -> {group: (role, ...)}: which claim values grant which roles."""
    rule: dict[str, tuple[str, ...]] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        value, sep, roles = part.rpartition("=")
        if not sep or not value.strip() or not roles.strip():
            raise ConfigError(f"Role rule {part.strip()!r}: write it as group=role[,role].")
        rule[value.strip()] = tuple(role.strip() for role in roles.split(",") if role.strip())
    return rule


def _document_settings(instance_dir: Path) -> dict:
    """Signed assessments, the archive they are kept in, their verification and their render jobs."""
    return {
        # The institution's certificate and key, PEM files.
        "SIGNING_CERT": os.environ.get("SIGNING_CERT", str(instance_dir / "signing" / "signing-cert.pem")),
        "SIGNING_KEY": os.environ.get("SIGNING_KEY", str(instance_dir / "signing" / "signing-key.pem")),
        "SIGNING_KEY_PASSPHRASE": os.environ.get("SIGNING_KEY_PASSPHRASE") or None,
        # Issuer certificates sent with each signature, and the roots verification trusts (os.pathsep-separated).
        "SIGNING_CHAIN": os.environ.get("SIGNING_CHAIN", str(instance_dir / "signing" / "root-ca.pem")),
        "SIGNING_TRUST_ROOTS": os.environ.get("SIGNING_TRUST_ROOTS", str(instance_dir / "signing" / "root-ca.pem")),
        "SIGNING_ORGANISATION": os.environ.get("SIGNING_ORGANISATION", "Research Ethics Committee"),
        # The archive of signed PDFs (app/archive): "local" (ARCHIVE_DIR) or "s3" (the S3_* settings).
        "ARCHIVE_BACKEND": os.environ.get("ARCHIVE_BACKEND", "local"),
        "ARCHIVE_DIR": os.environ.get("ARCHIVE_DIR", str(instance_dir / "archive")),
        "S3_BUCKET": os.environ.get("S3_BUCKET") or None,
        "S3_PREFIX": os.environ.get("S3_PREFIX", "assessments/"),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": os.environ.get("S3_REGION", "us-east-1"),
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        # Largest PDF accepted by the verification page, in bytes.
        "MAX_UPLOAD": int(os.environ.get("MAX_UPLOAD", str(20 * 1024 * 1024))),
        # Checking an uploaded PDF has bounded cost (app/archive/services/verification.py): at most this many
        # objects, this many bytes inflated in all, this much CPU (seconds) and memory (bytes) in a child process.
        "VERIFY_MAX_OBJECTS": int(os.environ.get("VERIFY_MAX_OBJECTS", "20000")),
        "VERIFY_MAX_INFLATED": int(os.environ.get("VERIFY_MAX_INFLATED", str(16 * 1024 * 1024))),
        "VERIFY_CPU_SECONDS": int(os.environ.get("VERIFY_CPU_SECONDS", "10")),
        "VERIFY_MEMORY": int(os.environ.get("VERIFY_MEMORY", str(256 * 1024 * 1024))),
        # Uploads to verify one address, and one signed-in user, may send; Flask-Limiter syntax.
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "20 per hour"),
        # Look-ups of a document identifier (the link printed in every PDF) one address may make.
        "VERIFY_LOOKUP_RATE_LIMIT": os.environ.get("VERIFY_LOOKUP_RATE_LIMIT", "60 per hour"),
        "RENDER_QUEUE": os.environ.get("RENDER_QUEUE", "crucible-documents"),
        # Seconds between the RQ retries of a failed render (three retries).
        "RENDER_RETRY_INTERVALS": os.environ.get("RENDER_RETRY_INTERVALS", "10,60,300"),
        # A render job still queued or running after this many seconds, with nothing left of it in RQ (its
        # worker died and RQ gave up, or Redis lost it), is enqueued again by the worker. A person may retry any
        # job this old by hand, so keep it longer than a render may take (RQ stops one after 10 minutes).
        "RENDER_STALE_AFTER": int(os.environ.get("RENDER_STALE_AFTER", "900")),
        # Seconds between the worker's maintenance rounds: RQ requeues the jobs of workers that died, then the
        # stale render jobs above are enqueued again.
        "RENDER_SWEEP_INTERVAL": int(os.environ.get("RENDER_SWEEP_INTERVAL", "60")),
    }


def _development_secret(instance_dir: Path) -> str:
    import secrets

    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
