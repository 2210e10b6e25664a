"""BackTrack settings: one file, driven by environment variables.

Every value comes from the environment (or a `.env` file beside manage.py).
A missing or malformed value stops start-up with a message naming the variable.
"""

import datetime as dt
import hashlib
import warnings
import zoneinfo
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def _env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo such as DEBUG=ture must not pass as false."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def _env_int(name: str, default: int) -> int:
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


DEBUG = _env_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters "
            "when DEBUG is off (set DEBUG=true for local development)."
        )

# The key of the audit trail's hash chain. Keep it apart from SECRET_KEY, so
# rotating SECRET_KEY does not make every audit record look changed: without
# AUDIT_KEY, one is derived from SECRET_KEY (and check --deploy warns).
AUDIT_KEY_GIVEN = bool(env.str("AUDIT_KEY", default=""))
AUDIT_KEY = (
    env.str("AUDIT_KEY", default="")
    or hashlib.sha256(f"backtrack-audit:{SECRET_KEY}".encode()).hexdigest()
)
if len(AUDIT_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_KEY must be a random string of at least 32 characters.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the host names this site answers to when DEBUG is off."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone such as Europe/London, not {TIME_ZONE!r}."
    ) from exc
USE_TZ = True
LANGUAGE_CODE = "en-gb"
USE_I18N = False

INSTALLED_APPS = [
    "config.apps.BackTrackAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "qsessions",
    "simple_history",
    "template_partials",
    "accounts",
    "exercises",
    "tracking",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # High up, so that answers from the middleware below carry it too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long cache; everything else is no-store.
    "config.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Below the headers' middleware: a post whose body cannot be read gets our 400 page.
    "config.middleware.UnreadableBodyMiddleware",
    # Sessions that know their user, so ending someone's access ends every sign-in.
    "qsessions.middleware.SessionMiddleware",
    # Who and from where, for every audit record; records every refused request.
    "audit.middleware.AuditMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sign_in.SignInTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.two_step.TwoStepMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it sees the result of every sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Django's form rendering, less two pieces of invalid HTML (see config/forms.py).
FORM_RENDERER = "config.forms.FormRenderer"

# Database: an SQLite file beside manage.py unless DATABASE_URL says otherwise.
_DATABASE_URL_HELP = (
    "DATABASE_URL must look like postgres://user:password@host:5432/name "
    "or sqlite:///path/to/file.sqlite3"
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # django-environ only warns on an unknown scheme
    try:
        _default_db = env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    except (ImproperlyConfigured, KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"{_DATABASE_URL_HELP} ({exc}).") from exc
if _default_db.get("ENGINE") not in {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
} or not _default_db.get("NAME"):
    raise ImproperlyConfigured(f"{_DATABASE_URL_HELP}, not {env.str('DATABASE_URL')!r}.")

if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work at once; IMMEDIATE transactions take
    # the write lock up front, so concurrent requests wait instead of failing
    # with "database is locked".
    _default_db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=5000;"
            "PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
else:
    # Persistent connections: opening one per request is several times slower.
    _default_db["CONN_MAX_AGE"] = _env_int("CONN_MAX_AGE", default=600)
    _default_db["CONN_HEALTH_CHECKS"] = True

DATABASES = {"default": _default_db}

# A cache shared by every worker, for rate limits: a table in the database by
# default (made by a migration), or Redis or Memcached through CACHE_URL
# (e.g. redis://127.0.0.1:6379/0).
try:
    CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://backtrack_cache")}
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"CACHE_URL must look like redis://host:6379/0 or dbcache://table_name ({exc})."
    ) from exc
# Logging a session (start, each exercise, finish) is limited per person, so a
# stuck button or a script cannot flood the database: LOG_RATE_LIMIT posts per
# minute ("60/m"), or per hour ("600/h").
LOG_RATE_LIMIT = env.str("LOG_RATE_LIMIT", default="60/m")
# Signed-out requests for pages that need signing in, per address (an IPv6 /64):
# past the limit they are answered 429 (and the audit trail keeps at most two
# records per address every few minutes, with counts, however many arrive).
SIGNED_OUT_RATE_LIMIT = env.str("SIGNED_OUT_RATE_LIMIT", default="60/m")
# The number urgent advice tells patients to call. 112 reaches emergency services
# from mobile phones across Europe and in many other countries; set the local one.
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="112")

# How long one second of the follow-along timers lasts, in milliseconds. Only
# tests change it, to run a whole routine in seconds.
GUIDED_SECOND_MS = 1000

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = "qsessions.backends.db"
# Automatic sign-out (accounts/sign_in.py): after 30 minutes without activity or
# 12 hours in all; a patient who asks to be kept signed in on their own device,
# after 30 days.
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_TIMEOUT = dt.timedelta(hours=_env_int("SESSION_MAX_HOURS", default=12))
SESSION_REMEMBER_FOR = dt.timedelta(days=30)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2 for new and changed passwords; older hashes are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Two-step verification (django-otp): required for admins, offered to physios.
OTP_TOTP_ISSUER = "BackTrack"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # admins may remove a lost device, never read its key

# Sign-in throttling (django-axes). After LOGIN_FAILURE_LIMIT failed attempts for
# one username, or from one address, that username or address is locked out for
# LOGIN_COOLOFF_MINUTES, even with the right password. An admin can unlock it
# sooner by deleting the access attempt in the admin (or `manage.py axes_reset`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = _env_int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_env_int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the lockout: more wrong guesses do not extend it, so an
# attacker cannot keep a patient locked out for ever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "accounts.http.locked_out"
AXES_VERBOSE = False
# Behind a reverse proxy, REMOTE_ADDR is the proxy's: PROXY_COUNT says how many
# proxies of our own append to X-Forwarded-For, so the client's address is read
# from there instead (and cannot be spoofed past them).
PROXY_COUNT = _env_int("PROXY_COUNT", default=0)
PROXY_COUNT_GIVEN = bool(env.str("PROXY_COUNT", default="").strip())  # see backtrack.W002
AXES_CLIENT_IP_CALLABLE = "accounts.http.client_ip"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development (and tests) serve static files straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Email: printed to the console unless EMAIL_URL names an SMTP server, e.g.
# EMAIL_URL=smtp+tls://user:password@smtp.example.com:587 (STARTTLS) or
# smtp+ssl://user:password@smtp.example.com:465. `check --deploy` warns when unset.
try:
    _email = env.email_url("EMAIL_URL", default="consolemail://")
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(
        "EMAIL_URL must look like smtp+tls://user:password@smtp.example.com:587 "
        f"or smtp+ssl://user:password@smtp.example.com:465 ({exc})."
    ) from exc
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="BackTrack <backtrack@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# How long links sent by email work: an invitation to a new patient, a password reset.
INVITATION_VALID_FOR = dt.timedelta(days=_env_int("INVITATION_DAYS", default=7))
PASSWORD_RESET_TIMEOUT = _env_int("PASSWORD_RESET_HOURS", default=72) * 3600

# Cookies: never readable by scripts (htmx sends the CSRF token from the page),
# never sent from other sites' pages, and over HTTPS only in production.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Headers on every response (see also CONTENT_SECURITY_POLICY below, and
# config.middleware.NoStoreMiddleware for Cache-Control).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    if SESSION_COOKIE_SECURE:
        # The __Host- prefix: the browser refuses these cookies unless they are
        # Secure, for this host only and for the whole site.
        SESSION_COOKIE_NAME = "__Host-sessionid"
        CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only: plain HTTP is redirected (but for the load balancer's health
    # check), and browsers are told to use nothing else for a year.
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = _env_int("HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = _env_bool("HSTS_PRELOAD", default=True)

# Content-Security-Policy (django-csp): scripts, styles and everything else from
# this site only; no inline script or style, no plugins, no framing, no <base>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; lockouts are warnings and still show.
    "loggers": {"axes": {"level": "WARNING"}},
}
