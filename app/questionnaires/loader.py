"""Reading and validating questionnaire files (questionnaires/<key>/v<N>.yaml).

Every problem is reported as "<path>: <message>", where the path points into the file's structure
(e.g. `sections[2].questions[4].show_if.question: unknown question 'C99'`), so an author can find it
without reading a traceback.
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.questionnaires.migration import VersionMap, mapping_errors
from app.questionnaires.policy import Policy
from app.questionnaires.schema import OPTION_TYPES, RECORDS_TYPE, Condition, Question, Questionnaire

QUESTIONNAIRE_ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
POLICY_DIR = QUESTIONNAIRE_ROOT / "policy"

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
_MAPPING_FILE = re.compile(r"^v([1-9][0-9]*)-to-v([1-9][0-9]*)\.yaml$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used; `errors` lists every problem with its path."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("invalid questionnaire:\n" + "\n".join(self.errors))


class QuestionnaireNotFound(FileNotFoundError):
    pass


# --- YAML -------------------------------------------------------------------------------------------

class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with two traps removed.

    YAML 1.1 reads `yes`, `no`, `on`, `off` as booleans, so an option value `no` would silently become
    False; only `true`/`false` are booleans here. Duplicate mapping keys, which PyYAML lets the last
    one win, are an error.
    """


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}YAML syntax error: {problem}"


# --- schema errors ----------------------------------------------------------------------------------

_ALIASES = {"in_": "in", "not_": "not", "all_": "all", "any_": "any"}
# pydantic reports a failed `str | bool | int | float` once per member, tagged with the member's name.
_UNION_TAGS = frozenset({"str", "bool", "int", "float"})
_PATTERN_HINTS = {
    r"^[A-Z][0-9]+[a-z]?$": "question ids look like A1, B10 or D2a",
    r"^[A-Z]$": "section ids are one capital letter",
    r"^[a-z0-9][a-z0-9-]*$": "use lower-case letters, digits and hyphens",
}


def format_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """('sections', 2, 'questions', 4, 'label') -> 'sections[2].questions[4].label'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = _ALIASES.get(part, part)
            path += f".{name}" if path else name
    return path or "(top level)"


def _schema_error(error: Any) -> str:
    loc = list(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if loc and loc[-1] in _UNION_TAGS:
        loc.pop()
        message = "should be text, true/false or a number"
    elif loc and loc[-1] == "[key]":
        loc.pop()
        message = f"unknown name: {message}"
    elif error["type"] == "missing":
        option_label = loc[-1:] == ["label"] and "options" in loc
        message = "every option needs a label" if option_label else "required field missing"
    elif error["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif error["type"] == "string_pattern_mismatch":
        message = _PATTERN_HINTS.get(error.get("ctx", {}).get("pattern"), message)
    return f"{format_path(loc)}: {message}"


def _schema_errors(exc: ValidationError) -> list[str]:
    # dict.fromkeys: drop the repeats a union produces, keep the order.
    return list(dict.fromkeys(_schema_error(error) for error in exc.errors(include_url=False)))


# --- cross-reference checks -------------------------------------------------------------------------

def _question_paths(q: Questionnaire) -> Iterator[tuple[str, Question]]:
    for s_index, section in enumerate(q.sections):
        for q_index, question in enumerate(section.questions):
            yield f"sections[{s_index}].questions[{q_index}]", question


def _walk(cond: Condition, path: str) -> Iterator[tuple[str, str, Condition]]:
    """Every leaf (question) condition with its path and the question it names."""
    if cond.question is not None:
        yield path, cond.question, cond
        return
    name = "all" if cond.all_ is not None else "any" if cond.any_ is not None else "not"
    if name == "not":
        yield from _walk(cond.children()[0], f"{path}.not")
    else:
        for index, child in enumerate(cond.children()):
            yield from _walk(child, f"{path}.{name}[{index}]")


def _field_error(target: Question, leaf: Condition) -> str | None:
    """Why a condition's `field` (or its absence) does not fit the question it reads, or None."""
    if leaf.field is None:
        if target.type == RECORDS_TYPE and leaf.answered is None:
            return f"question {target.id} is a table (records): name the column it tests with 'field'"
        return None
    if target.type != RECORDS_TYPE:
        return f"question {target.id} is {target.type}: only a records question has fields"
    if target.field(leaf.field) is None:
        known = ", ".join(column.id for column in target.fields)
        return f"'{leaf.field}' is not a field of question {target.id} (fields: {known})"
    return None


def _value_error(target: Question, value: Any, field_id: str | None = None) -> str | None:
    """Why `value` can never be an answer to `target` (to the column `field_id` of a records question), or None."""
    column = target.field(field_id) if field_id is not None else None
    if column is not None:
        if column.type == "choice" and (not isinstance(value, str) or column.option(value) is None):
            known = ", ".join(option.value for option in column.options)
            return f"{value!r} is not an option of {target.id}'s field {column.id} (options: {known})"
        if not isinstance(value, str):
            return f"field {column.id} of question {target.id} holds text: compare with text, not {value!r}"
        return None
    if target.type in OPTION_TYPES or target.type == "hardware" and target.options:
        if not isinstance(value, str) or target.option(value) is None:
            known = ", ".join(option.value for option in target.options)
            return f"{value!r} is not an option of question {target.id} (options: {known})"
    elif target.type == "yes_no":
        if not isinstance(value, bool):
            return f"question {target.id} is yes/no: compare with true or false, not {value!r}"
    elif target.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"question {target.id} is a number: compare with a number, not {value!r}"
    elif not isinstance(value, str):
        return f"question {target.id} is {target.type}: compare with text, not {value!r}"
    return None


def _condition_errors(q: Questionnaire, cond: Condition, path: str) -> list[str]:
    errors = []
    for leaf_path, question_id, leaf in _walk(cond, path):
        if not q.has_question(question_id):
            errors.append(f"{leaf_path}.question: unknown question '{question_id}'")
            continue
        target = q.question(question_id)
        problem = _field_error(target, leaf)
        if problem:
            errors.append(f"{leaf_path}.field: {problem}")
            continue
        if leaf.in_ is not None:
            for index, value in enumerate(leaf.in_):
                problem = _value_error(target, value, leaf.field)
                if problem:
                    errors.append(f"{leaf_path}.in[{index}]: {problem}")
        elif "equals" in leaf.model_fields_set:
            problem = _value_error(target, leaf.equals, leaf.field)
            if problem:
                errors.append(f"{leaf_path}.equals: {problem}")
    return errors


def _duplicate_errors(q: Questionnaire) -> list[str]:
    errors = []
    first_section: dict[str, int] = {}
    for index, section in enumerate(q.sections):
        if section.id in first_section:
            errors.append(
                f"sections[{index}].id: duplicate section id '{section.id}' "
                f"(already used by sections[{first_section[section.id]}])"
            )
        else:
            first_section[section.id] = index
    first_question: dict[str, str] = {}
    for path, question in _question_paths(q):
        if question.id in first_question:
            errors.append(
                f"{path}.id: duplicate question id '{question.id}' (already used by {first_question[question.id]})"
            )
        else:
            first_question[question.id] = path
    return errors


def _cycle_errors(q: Questionnaire) -> list[str]:
    """show_if conditions that depend on each other (directly or through a chain) can never be decided."""
    paths = {question.id: path for path, question in reversed(list(_question_paths(q)))}
    graph = {
        question.id: sorted(d for d in question.show_if.referenced_questions() if q.has_question(d))
        for question in q.questions
        if question.show_if is not None
    }
    errors: list[str] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, str] = {}  # "active" while on the DFS stack, "done" after
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "active"
        stack.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == "active":
                cycle = stack[stack.index(dep):] + [dep]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    errors.append(f"{paths[cycle[0]]}.show_if: condition cycle {' -> '.join(cycle)}")
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node)
    return errors


def check_references(q: Questionnaire) -> list[str]:
    """Whole-questionnaire checks that the schema of a single part cannot make."""
    errors = _duplicate_errors(q)
    for path, question in _question_paths(q):
        for field, cond in question.conditions():
            errors.extend(_condition_errors(q, cond, f"{path}.{field}"))
    errors.extend(_cycle_errors(q))
    return errors


# --- public API -------------------------------------------------------------------------------------

def _parse(data: Any) -> tuple[Questionnaire | None, list[str]]:
    if not isinstance(data, dict):
        return None, ["(top level): expected a mapping with key, version, title and sections"]
    try:
        questionnaire = Questionnaire.model_validate(data)
    except ValidationError as exc:
        # Cross-reference checks need a structurally valid questionnaire; they run once it is.
        return None, _schema_errors(exc)
    return questionnaire, check_references(questionnaire)


def validate_data(data: Any) -> list[str]:
    """Every error in already-parsed YAML data; [] when valid."""
    return _parse(data)[1]


def questionnaire_from_data(data: Any, *, sha256: str = "") -> Questionnaire:
    """A validated Questionnaire from parsed YAML data; raises QuestionnaireError."""
    questionnaire, errors = _parse(data)
    if errors or questionnaire is None:
        raise QuestionnaireError(errors)
    questionnaire._sha256 = sha256
    return questionnaire


def _read(path: Path) -> tuple[bytes | None, Any, list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, None, [f"{path}: cannot read file ({exc.strerror or exc})"]
    try:
        return raw, yaml.load(raw, Loader=_StrictLoader), []  # noqa: S506 - a SafeLoader subclass  # nosec B506
    except yaml.YAMLError as exc:
        return raw, None, [_yaml_error(exc)]


def _file_name_errors(path: Path, q: Questionnaire) -> list[str]:
    # Copying v1.yaml to v2.yaml and forgetting to bump `version` would make two files claim one version.
    match = _VERSION_FILE.match(path.name)
    if match and int(match.group(1)) != q.version:
        return [f"version: file name {path.name} says version {match.group(1)} but the file says {q.version}"]
    return []


def _load(path: str | Path) -> tuple[Questionnaire | None, list[str]]:
    path = Path(path)
    raw, data, errors = _read(path)
    if errors or raw is None:
        return None, errors
    questionnaire, errors = _parse(data)
    if questionnaire is None:
        return None, errors
    errors += _file_name_errors(path, questionnaire)
    if questionnaire.policy is not None:
        errors += _policy_errors(questionnaire, POLICY_DIR / f"{questionnaire.policy}.yaml")
    questionnaire._sha256 = hashlib.sha256(raw).hexdigest()
    return questionnaire, errors


def validate_file(path: str | Path) -> list[str]:
    """Every error in the file, each prefixed with its path in the structure; [] when valid.

    A file in a folder named `policy` is an institution policy file and is checked as one."""
    if Path(path).parent.name == "policy":
        return _load_policy(path)[1]
    if _MAPPING_FILE.match(Path(path).name):
        return _load_mapping(Path(path))[1]
    return _load(path)[1]


# --- version mappings (moving drafts) ---------------------------------------------------------------------

def _load_mapping(path: Path) -> tuple[VersionMap | None, list[str]]:
    """A mapping file beside the versions it maps, checked against both of them."""
    raw, data, errors = _read(path)
    if errors or raw is None:
        return None, errors
    try:
        mapping = VersionMap.model_validate(data)
    except ValidationError as exc:
        return None, _schema_errors(exc)
    versions = []
    for number in (mapping.from_version, mapping.to_version):
        questionnaire, problems = _load(path.parent / f"v{number}.yaml")
        if questionnaire is None:
            return None, [f"v{number}.yaml: {problem}" for problem in problems]
        versions.append(questionnaire)
    return mapping, mapping_errors(mapping, versions[0], versions[1])


@functools.cache
def get_mapping(key: str, from_version: int, to_version: int) -> VersionMap:
    """The mapping that moves drafts of questionnaire <key> from one released version to another."""
    path = _file_for(key, 1).parent / f"v{int(from_version)}-to-v{int(to_version)}.yaml"
    if not path.is_file():
        raise QuestionnaireNotFound(f"no mapping from {key} v{from_version} to v{to_version} ({path})")
    mapping, errors = _load_mapping(path)
    if errors or mapping is None:
        raise QuestionnaireError(errors)
    return mapping


# --- institution policy files ---------------------------------------------------------------------------

def _load_policy(path: str | Path) -> tuple[Policy | None, list[str]]:
    raw, data, errors = _read(Path(path))
    if errors or raw is None:
        return None, errors
    if not isinstance(data, dict):
        return None, ["(top level): expected a mapping with key, version, title, tiers, thresholds and routes"]
    try:
        return Policy.model_validate(data), []
    except ValidationError as exc:
        return None, _schema_errors(exc)


def load_policy(path: str | Path) -> Policy:
    """Load and validate an institution policy file; raises QuestionnaireError listing every problem."""
    policy, errors = _load_policy(path)
    if errors or policy is None:
        raise QuestionnaireError(errors)
    return policy


@functools.cache
def get_policy(name: str) -> Policy:
    """The institution policy questionnaires/policy/<name>.yaml, parsed once per process."""
    if not _KEY.match(name):
        raise QuestionnaireNotFound(f"invalid policy name {name!r}")
    path = POLICY_DIR / f"{name}.yaml"
    if not path.is_file():
        raise QuestionnaireNotFound(f"no policy {name} ({path})")
    return load_policy(path)


def policy_reference_errors(q: Questionnaire, policy: Policy) -> list[str]:
    """Names a questionnaire and its policy must agree on: the roles its rules ask for, the questions and
    options the policy's safeguards and required answers read."""
    errors: list[str] = []
    for path, question in _question_paths(q):
        for index, rule in enumerate(question.risk_rules):
            for field, kind in (("signoff", "signoff"), ("reviewer", "reviewer")):
                role = getattr(rule, field)
                if role is None:
                    continue
                spec = policy.roles.get(role)
                if spec is None or spec.kind != kind:
                    errors.append(f"{path}.risk_rules[{index}].{field}: '{role}' is not a {kind} role "
                                  f"of policy {policy.key}")
    for index, mitigation in enumerate(policy.mitigations):
        if not q.has_question(mitigation.question) or q.question(mitigation.question).type != "multi":
            errors.append(f"policy.mitigations[{index}].question: no multi question '{mitigation.question}'")
            continue
        target = q.question(mitigation.question)
        errors += [f"policy.mitigations[{index}].options: {option!r} is not an option of {target.id}"
                   for option in mitigation.options if target.option(option) is None]
    for category, category_policy in policy.categories.items():
        errors += [f"policy.categories.{category}.requires_answer: unknown question '{needed.question}'"
                   for needed in category_policy.requires_answer if not q.has_question(needed.question)]
    return errors


def _policy_errors(q: Questionnaire, path: Path) -> list[str]:
    if not path.is_file():
        return [f"policy: no policy file {path.name} in {path.parent}"]
    policy, errors = _load_policy(path)
    if policy is None:
        return [f"policy ({path.name}): {error}" for error in errors]
    return policy_reference_errors(q, policy)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and validate a questionnaire file; raises QuestionnaireError listing every problem."""
    questionnaire, errors = _load(path)
    if errors or questionnaire is None:
        raise QuestionnaireError(errors)
    return questionnaire


def _file_for(key: str, version: int) -> Path:
    if not _KEY.match(key):
        raise QuestionnaireNotFound(f"invalid questionnaire key {key!r}")
    return QUESTIONNAIRE_ROOT / key / f"v{int(version)}.yaml"


@functools.cache
def get_questionnaire(key: str, version: int) -> Questionnaire:
    """The released questionnaire <key> v<version>, parsed once per process (files are never edited)."""
    path = _file_for(key, version)
    if not path.is_file():
        raise QuestionnaireNotFound(f"no questionnaire {key} version {version} ({path})")
    questionnaire = load_questionnaire(path)
    if questionnaire.key != key:
        raise QuestionnaireError([f"key: {path} is in folder '{key}' but declares key '{questionnaire.key}'"])
    return questionnaire


def available_versions(key: str) -> list[int]:
    folder = _file_for(key, 1).parent
    if not folder.is_dir():
        return []
    found = (_VERSION_FILE.match(path.name) for path in folder.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


def latest_version(key: str) -> int:
    """The highest N of the v<N>.yaml files of questionnaire <key>."""
    versions = available_versions(key)
    if not versions:
        raise QuestionnaireNotFound(f"no versions of questionnaire {key!r} in {QUESTIONNAIRE_ROOT}")
    return versions[-1]


def current_version(key: str) -> int:
    """The version new drafts of questionnaire <key> start on: `current` in questionnaires/<key>/current.yaml,
    or the latest version when there is no such file. A version can be released (scored, validated, open to
    drafts moving to it) before new drafts start on it."""
    path = _file_for(key, 1).parent / "current.yaml"
    if not path.is_file():
        return latest_version(key)
    _, data, errors = _read(path)
    version = data.get("current") if isinstance(data, dict) else None
    if errors or not isinstance(version, int) or version not in available_versions(key):
        raise QuestionnaireError(errors or [f"{path}: 'current' must name a released version"])
    return version

