"""Crucible: an ethics review workflow for machine-learning research in materials science."""
from __future__ import annotations

import importlib
import logging

from flask import Flask

from app.config import PROJECT_ROOT, load_config

# The modules that define models: imported for their tables, which they add to the metadata.
MODEL_MODULES = ("app.auth.models", "app.core.audit", "app.core.mail", "app.documents.models", "app.reviews.models",
                 "app.submissions.models")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(load_config(config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from app.extensions import bootstrap, csrf, db, limiter, login_manager, migrate

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

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

    _import_models()

    from app.core.errors import register_error_handlers
    from app.core.web import register_web_hooks

    register_error_handlers(app)
    register_web_hooks(app)
    from app.core import deferred

    deferred.attach(app)

    from app.admin.routes import bp as admin_bp
    from app.archive.routes import bp as archive_bp
    from app.auth.routes import bp as auth_bp
    from app.documents.routes import bp as documents_bp
    from app.reports.routes import bp as reports_bp
    from app.reviews.routes import bp as reviews_bp
    from app.submissions.routes import bp as submissions_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(submissions_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(reports_bp)

    from app.auth.cli import register_auth_cli
    from app.core.cli import register_core_cli
    from app.documents.cli import register_documents_cli
    from app.questionnaires.footprint_cli import register_footprint_cli
    from app.reviews.cli import register_review_cli
    from app.submissions.cli import register_submission_cli

    register_core_cli(app)
    from app.admin.backup import register_backup_cli

    register_backup_cli(app)
    register_auth_cli(app)
    register_submission_cli(app)
    register_documents_cli(app)
    register_review_cli(app)

    from app.demo import register_demo_cli

    register_demo_cli(app)
    register_footprint_cli(app)
    return app


def _import_models() -> None:
    """Every model module is imported once so metadata (and Alembic autogenerate) sees all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
