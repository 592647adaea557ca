"""Crucible: an ethics review workflow for machine-learning research in materials science."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

# The modules that define models, imported for the tables they add to the metadata (which Alembic reads).
import app.auth.models  # noqa: F401 - imported for its tables
import app.core.audit  # noqa: F401 - imported for its tables
import app.core.mail  # noqa: F401 - imported for its tables
import app.documents.models  # noqa: F401 - imported for its tables
import app.reviews.models  # noqa: F401 - imported for its tables
import app.submissions.models  # noqa: F401 - imported for its tables
from app.admin.cli import register_admin_cli
from app.admin.routes import bp as admin_bp
from app.archive.cli import register_archive_cli
from app.archive.routes import bp as archive_bp
from app.auth import sso
from app.auth.cli import register_auth_cli
from app.auth.routes import bp as auth_bp
from app.config import PROJECT_ROOT, load_config
from app.core import deferred, jobs
from app.core.cli import register_core_cli
from app.core.errors import register_error_handlers
from app.core.static import register_static_files
from app.core.web import register_web_hooks
from app.demo.cli import register_demo_cli
from app.documents.cli import register_documents_cli
from app.documents.routes import bp as documents_bp
from app.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
from app.questionnaires.cli import register_questionnaire_cli
from app.reports.cli import register_reports_cli
from app.reports.routes import bp as reports_bp
from app.reports.tally import keep_sums
from app.reviews.assessment import register_snapshot
from app.reviews.cli import register_review_cli
from app.reviews.routes import bp as reviews_bp
from app.reviews.web import register_comment_reader
from app.submissions.routes import bp as submissions_bp


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(load_config(config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if app.config.get("TRUSTED_PROXIES"):
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
            app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    # Batch mode lets SQLite apply ALTERs by copying tables; compare_type makes autogenerate see type changes.
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"

    sso.init_app(app)
    register_error_handlers(app)
    register_web_hooks(app)
    register_static_files(app)
    deferred.attach(app)

    app.register_blueprint(auth_bp)
    app.register_blueprint(submissions_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(reports_bp)
    keep_sums(db.session)

    # Documents renders the snapshot reviews builds; a render worker builds its own app with this factory.
    register_snapshot()
    # The applicant's pages show the comments reviews keeps.
    register_comment_reader()
    jobs.use_app_factory(create_app)

    register_core_cli(app)
    register_admin_cli(app)
    register_auth_cli(app)
    register_questionnaire_cli(app)
    register_documents_cli(app)
    register_archive_cli(app)
    register_review_cli(app)
    register_demo_cli(app)
    register_reports_cli(app)
    return app
