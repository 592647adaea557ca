"""The questionnaire engine: schema, loading, conditions, answer parsing and risk scoring.

Pure Python (no Flask), so it can be unit-tested and used from the CLI, jobs and PDF rendering alike.
Questionnaire files live in questionnaires/<key>/v<N>.yaml; a released version is never edited.
"""
from app.questionnaires.loader import (
    QUESTIONNAIRE_ROOT,
    QuestionnaireError,
    get_questionnaire,
    latest_version,
    load_questionnaire,
    validate_file,
)
from app.questionnaires.schema import Condition, Option, Question, Questionnaire, RiskRule, Section

__all__ = [
    "QUESTIONNAIRE_ROOT",
    "Condition",
    "Option",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "RiskRule",
    "Section",
    "get_questionnaire",
    "latest_version",
    "load_questionnaire",
    "validate_file",
]
