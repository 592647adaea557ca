"""Pydantic schema of a questionnaire file.

The schema checks the shape of each part on its own (types, required fields, bounds that make sense).
Checks that need the whole questionnaire — duplicate ids, conditions that name unknown questions or
options, cycles between conditions — live in `loader.check_references`, because only there can the
error be reported with the path of the offending part.
"""
from __future__ import annotations

import graphlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Category = Literal["data", "dual_use", "environment", "people", "openness"]
Level = Literal["L", "M", "H", "H!"]
QuestionType = Literal[
    "text", "markdown", "choice", "multi", "yes_no", "number", "date", "hardware", "footprint_stages", "records"
]
RecordFieldType = Literal["text", "choice", "orcid"]

CATEGORIES: tuple[Category, ...] = ("data", "dual_use", "environment", "people", "openness")
# The words printed for each category, in the application, the reviewer's pages and the signed assessment.
CATEGORY_LABELS: dict[Category, str] = {
    "data": "Data and FAIR",
    "dual_use": "Dual use and security",
    "environment": "Environment",
    "people": "People and society",
    "openness": "Openness",
}

# Types whose answer must be one (or several) of the question's options.
OPTION_TYPES = frozenset({"choice", "multi"})
# "hardware" is reserved for the compute-footprint widget; until it exists it may carry options
# (then it behaves like a choice) or none (then it is short free text).
TEXT_TYPES = frozenset({"text", "markdown"})
# A repeating group of compute stages (app/questionnaires/footprint.py); its answer is a list of stage dicts.
STAGES_TYPE = "footprint_stages"
# Calculators implemented in Python, and the question type each one reads.
CALCULATORS = {"footprint": STAGES_TYPE}
# A table the applicant fills row by row (app/questionnaires/records.py); its answer is a list of row dicts.
RECORDS_TYPE = "records"
DEFAULT_MAX_LENGTH = {"text": 500, "markdown": 20000, "hardware": 200}

ConditionValue = str | bool | int | float


class _Model(BaseModel):
    # Questionnaires are shared between requests through a cache: they must not be mutated.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Model):
    """A declarative test on answers; evaluated by `conditions.evaluate`, never by eval().

    Exactly one form per condition:
    `{question: ID, equals: V}`, `{question: ID, in: [V, ...]}`, `{question: ID, answered: true}`,
    `{all: [...]}`, `{any: [...]}`, `{not: {...}}`. A records question's column is tested with
    `{question: ID, field: COLUMN, equals: V}` (or `in`): true when any row's cell matches.
    """

    question: str | None = None
    # With a records question: the column the test reads; it holds when any row's cell passes.
    field: str | None = None
    equals: ConditionValue | None = None
    in_: list[ConditionValue] | None = Field(default=None, alias="in")
    answered: bool | None = None
    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _exactly_one_form(self) -> Condition:
        given = self.model_fields_set
        combinators = given & {"all_", "any_", "not_"}
        tests = given & {"equals", "in_", "answered"}
        if combinators:
            if len(combinators) > 1 or "question" in given or tests:
                raise ValueError("use exactly one of 'all', 'any', 'not' and nothing else in the same condition")
            if self.all_ is not None and not self.all_ or self.any_ is not None and not self.any_:
                raise ValueError("'all' and 'any' need at least one condition")
            if "not_" in given and self.not_ is None:
                raise ValueError("'not' needs a condition")
            return self
        if "field" in given and (not self.field or "answered" in given):
            raise ValueError("'field' needs a column id and 'equals' or 'in'")
        if "question" not in given or not self.question:
            raise ValueError("a condition needs 'question' (with 'equals', 'in' or 'answered'), or 'all', 'any', 'not'")
        if len(tests) != 1:
            raise ValueError("a question condition needs exactly one of 'equals', 'in', 'answered'")
        if "equals" in given and self.equals is None:
            raise ValueError("'equals' needs a value; to test for a blank answer use 'answered: false'")
        if "in_" in given and not self.in_:
            raise ValueError("'in' needs a non-empty list of values")
        if "answered" in given and self.answered is None:
            raise ValueError("'answered' must be true or false")
        return self

    def referenced_questions(self) -> set[str]:
        """Every question id this condition reads, however deeply nested."""
        if self.question is not None:
            return {self.question}
        found: set[str] = set()
        for child in self.children():
            found |= child.referenced_questions()
        return found

    def children(self) -> list[Condition]:
        if self.all_ is not None:
            return list(self.all_)
        if self.any_ is not None:
            return list(self.any_)
        if self.not_ is not None:
            return [self.not_]
        return []


class Option(_Model):
    value: str = Field(min_length=1)
    label: str = Field(min_length=1)
    hint: str = ""
    risk: dict[Category, Level] = {}
    # An option such as "None of these" that makes no sense together with others in a multi.
    exclusive: bool = False

    @field_validator("label")
    @classmethod
    def _label_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("every option needs a label")
        return value


class RecordField(_Model):
    """One column of a records question: its cells are short text, one of its options, or an ORCID iD."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    type: RecordFieldType
    required: bool = False
    max_length: int | None = Field(default=None, gt=0)
    options: list[Option] = []
    hint: str = ""

    @model_validator(mode="after")
    def _fields_fit_type(self) -> RecordField:
        if self.type == "choice" and not self.options:
            raise ValueError(f"column {self.id} is a choice and needs options")
        if self.options and self.type != "choice":
            raise ValueError(f"column {self.id} is {self.type}: only a choice column has options")
        values = [option.value for option in self.options]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"column {self.id}: duplicate option values: {', '.join(duplicates)}")
        if self.max_length is not None and self.type != "text":
            raise ValueError(f"column {self.id}: 'max_length' only applies to text columns")
        return self

    @property
    def effective_max_length(self) -> int:
        return self.max_length or DEFAULT_MAX_LENGTH["text"]

    def option(self, value: str) -> Option | None:
        return next((option for option in self.options if option.value == value), None)


class RiskRule(_Model):
    """What an answer means when `when` holds: points (risk), and, in questionnaires scored by a policy, a
    sign-off or an extra reviewer role it calls for whatever the tier, advice for the reviewers (no risk), or
    a blocking issue that stops submission with `reason` as the message (a problem to resolve, not a case)."""

    when: Condition
    risk: dict[Category, Level] = {}
    signoff: str | None = None
    reviewer: str | None = None
    advice: bool = False
    block: bool = False
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _has_effect(self) -> RiskRule:
        if not (self.risk or self.signoff or self.reviewer or self.advice or self.block):
            raise ValueError("a rule needs at least one of 'risk', 'signoff', 'reviewer', 'advice', 'block'")
        if self.advice and (self.risk or self.block):
            raise ValueError("advice carries no risk and blocks nothing: drop 'risk'/'block' or 'advice'")
        return self


class Question(_Model):
    id: str = Field(pattern=r"^[A-Z][0-9]+[a-z]?$")
    type: QuestionType
    label: str = Field(min_length=1)
    help: str = ""
    required: bool = True
    options: list[Option] = []
    show_if: Condition | None = None
    required_if: Condition | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    max_length: int | None = Field(default=None, gt=0)
    unit: str | None = None
    placeholder: str | None = None
    hint: str | None = None
    # Shown pre-filled by the form and used by calculators when the answer is blank.
    default: ConditionValue | None = None
    # A yes/no that only "yes" can answer (the declaration).
    must_be_true: bool = False
    risk_rules: list[RiskRule] = []
    risk_if_blank: dict[Category, Level] | None = None
    risk_if_blank_reason: str = ""
    # A records question: its columns, the rows it takes, and what one row is called in messages ("Team member").
    fields: list[RecordField] = []
    min_rows: int | None = Field(default=None, ge=1)
    max_rows: int | None = Field(default=None, ge=1)
    row_label: str | None = None

    @model_validator(mode="after")
    def _fields_fit_type(self) -> Question:
        kind = self.type
        if kind in OPTION_TYPES and not self.options:
            raise ValueError(f"a {kind} question needs options")
        if self.options and kind not in OPTION_TYPES | {"hardware"}:
            raise ValueError(f"a {kind} question cannot have options")
        values = [option.value for option in self.options]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"duplicate option values: {', '.join(duplicates)}")
        if any(option.exclusive for option in self.options) and kind != "multi":
            raise ValueError("'exclusive' options only make sense in a multi question")
        if (self.min is not None or self.max is not None or self.integer) and kind != "number":
            raise ValueError("'min', 'max' and 'integer' only apply to number questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min:g}) is greater than 'max' ({self.max:g})")
        if self.max_length is not None and kind not in TEXT_TYPES | {"hardware"}:
            raise ValueError("'max_length' only applies to text and markdown questions")
        if self.must_be_true and kind != "yes_no":
            raise ValueError("'must_be_true' only applies to yes_no questions")
        if self.risk_if_blank_reason and not self.risk_if_blank:
            raise ValueError("'risk_if_blank_reason' without 'risk_if_blank'")
        self._check_records()
        return self

    def _check_records(self) -> None:
        if self.type != RECORDS_TYPE:
            if self.fields or self.min_rows is not None or self.max_rows is not None or self.row_label is not None:
                raise ValueError("'fields', 'min_rows', 'max_rows' and 'row_label' only apply to records questions")
            return
        if not self.fields:
            raise ValueError("a records question needs fields")
        ids = [column.id for column in self.fields]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate field ids: {', '.join(duplicates)}")
        if self.min_rows is not None and self.max_rows is not None and self.min_rows > self.max_rows:
            raise ValueError(f"'min_rows' ({self.min_rows}) is greater than 'max_rows' ({self.max_rows})")

    def field(self, field_id: str) -> RecordField | None:
        """The records question's column of that id."""
        return next((column for column in self.fields if column.id == field_id), None)

    @property
    def effective_max_length(self) -> int | None:
        if self.max_length is not None:
            return self.max_length
        return DEFAULT_MAX_LENGTH.get(self.type)

    def option(self, value: str) -> Option | None:
        return next((option for option in self.options if option.value == value), None)

    def conditions(self) -> list[tuple[str, Condition]]:
        """(field path relative to the question, condition) for every condition the question holds."""
        found: list[tuple[str, Condition]] = []
        if self.show_if is not None:
            found.append(("show_if", self.show_if))
        if self.required_if is not None:
            found.append(("required_if", self.required_if))
        for index, rule in enumerate(self.risk_rules):
            found.append((f"risk_rules[{index}].when", rule.when))
        return found


class Section(_Model):
    id: str = Field(pattern=r"^[A-Z]$")
    title: str = Field(min_length=1)
    guidance: str = ""
    # Name of a calculator implemented in Python (e.g. "footprint") that reads this section's answers.
    calculator: str | None = None
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _calculator_fits(self) -> Section:
        if self.calculator is not None and self.calculator not in CALCULATORS:
            raise ValueError(f"unknown calculator '{self.calculator}' (known: {', '.join(CALCULATORS)})")
        for question in self.questions:
            if question.type == STAGES_TYPE and CALCULATORS.get(self.calculator or "") != STAGES_TYPE:
                raise ValueError(f"question {question.id} ({STAGES_TYPE}) needs the section's calculator: footprint")
        return self


class Questionnaire(_Model):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = ""
    # The institution policy (questionnaires/policy/<name>.yaml) that scores this version; none: the rules
    # version 1 was released with.
    policy: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    sections: list[Section] = Field(min_length=1)

    _sha256: str = PrivateAttr(default="")
    _questions: dict[str, Question] = PrivateAttr(default_factory=dict)
    _sections: dict[str, Section] = PrivateAttr(default_factory=dict)
    _section_of: dict[str, str] = PrivateAttr(default_factory=dict)
    _visibility_order: list[str] | None = PrivateAttr(default=None)
    _visibility_plan: list[tuple[str, Any]] | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        # First occurrence wins; duplicates are reported by the loader.
        for section in self.sections:
            self._sections.setdefault(section.id, section)
            for question in section.questions:
                self._questions.setdefault(question.id, question)
                self._section_of.setdefault(question.id, section.id)

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def questions(self) -> list[Question]:
        return [question for section in self.sections for question in section.questions]

    def question(self, qid: str) -> Question:
        return self._questions[qid]

    def has_question(self, qid: str) -> bool:
        return qid in self._questions

    def section(self, sid: str) -> Section:
        return self._sections[sid]

    def section_of(self, qid: str) -> Section:
        return self._sections[self._section_of[qid]]

    def visibility_order(self) -> list[str]:
        """Question ids ordered so every question comes after those its `show_if` reads.

        Raises graphlib.CycleError when show_if conditions form a cycle (the loader refuses such files).
        """
        if self._visibility_order is None:
            sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
            for question in self.questions:
                deps = question.show_if.referenced_questions() if question.show_if else set()
                sorter.add(question.id, *(d for d in deps if d in self._questions))
            self._visibility_order = list(sorter.static_order())
        return self._visibility_order

    def visibility_plan(self) -> list[tuple[str, Any]]:
        """(question id, show_if) in visibility order: what visible_question_ids walks on every page."""
        plan = self._visibility_plan
        if plan is None:
            plan = self._visibility_plan = [(qid, self._questions[qid].show_if) for qid in self.visibility_order()]
        return plan
