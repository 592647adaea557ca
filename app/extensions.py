"""Extensions are created unbound here and bound in create_app(), so tests can build many apps."""
from typing import TYPE_CHECKING

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.core.models import Base

db = SQLAlchemy(model_class=Base)

# The class every model subclasses. Flask-SQLAlchemy builds db.Model from Base when the extension is created, which
# a type checker cannot follow: to it, models subclass Base itself, whose metadata and registry db.Model shares.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
# No default limits: only the routes that name a limit are limited (sign-in, password reset requests).
# Storage, strategy and the on/off switch come from the RATELIMIT_* settings in config.py.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
