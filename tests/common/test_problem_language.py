"""Problems are said in the caller's language: Simplified Chinese when Accept-Language prefers it, else English."""

import ast
import re

import pytest
from fastapi.testclient import TestClient

from services.common.language import CHINESE, ENGLISH, LanguageMiddleware, negotiate
from services.common.messages import catalogue, chinese_detail
from services.common.problems import PROBLEM_SLUGS
from services.common.settings import REPO_ROOT
from services.gateway import Gateway


@pytest.mark.parametrize("language", [CHINESE, ENGLISH])
def test_every_problem_code_has_a_title_in_each_language(language):
    assert [code for code in PROBLEM_SLUGS if not catalogue(language).titles.get(code)] == []


@pytest.mark.parametrize("language", [CHINESE, ENGLISH])
def test_the_catalogues_name_no_code_the_services_do_not_answer_with(language):
    assert set(catalogue(language).titles) <= set(PROBLEM_SLUGS)


def test_each_chinese_detail_takes_exactly_the_parts_of_its_english_one():
    for english, chinese in catalogue(CHINESE).details:
        assert sorted(english.groupindex) == sorted(_names(chinese)), english.pattern


def _names(template):
    return re.findall(r"\{(\w+)\}", template)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, ENGLISH),
        ("", ENGLISH),
        ("zh-CN", CHINESE),
        ("zh", CHINESE),
        ("zh-Hans-CN", CHINESE),
        ("zh-CN,zh;q=0.9,en;q=0.8", CHINESE),
        ("en-US,en;q=0.9,zh-CN;q=0.8", ENGLISH),
        ("en;q=0.5, zh-CN;q=0.9", CHINESE),
        ("fr-FR, zh-CN;q=0.1", CHINESE),
        ("fr-FR, de", ENGLISH),
        ("zh-TW", ENGLISH),
        ("zh-CN;q=0", ENGLISH),
        ("zh-CN;q=abc", ENGLISH),
        ("zh-CN;q=7", ENGLISH),
        (";;;,,, ===\x7f", ENGLISH),
        ("*", ENGLISH),
        ("en, zh-CN", ENGLISH),
    ],
)
def test_accept_language_is_weighed_by_q_and_english_is_the_default(header, language):
    assert negotiate(header) == language


def test_a_known_detail_is_said_in_chinese_with_its_record_kind_translated():
    assert chinese_detail("Item 42 does not exist.", "not-found") == "条目 42 不存在。"


def test_an_unknown_detail_keeps_its_english_after_the_codes_chinese_sentence():
    said = chinese_detail("Something new happened.", "conflict")
    assert said == "请求与记录的当前状态冲突。（Something new happened.）"


def test_a_problem_for_a_chinese_reader_is_in_chinese_and_says_so(tasks_client, auth):
    response = tasks_client.get("/v1/plans/999999", headers={**auth("viewer"), "Accept-Language": "zh-CN,en;q=0.5"})
    assert response.status_code == 404
    assert response.headers["content-language"] == "zh-CN"
    assert "Accept-Language" in response.headers["vary"]
    body = response.json()
    said = (body["type"].rsplit("/", 1)[1], body["title"], body["detail"])
    assert said == ("not-found", "未找到", "计划 999999 不存在。")


def test_a_problem_without_accept_language_is_in_english_and_says_so(tasks_client, auth):
    response = tasks_client.get("/v1/plans/999999", headers=auth("viewer"))
    assert response.headers["content-language"] == "en"
    assert "Accept-Language" in response.headers["vary"]
    assert (response.json()["title"], response.json()["detail"]) == ("Not Found", "Plan 999999 does not exist.")


def test_a_garbled_accept_language_gets_english(tasks_client, auth):
    response = tasks_client.get("/v1/plans/999999", headers={**auth("viewer"), "Accept-Language": "zh-CN;q=x;;,"})
    assert response.headers["content-language"] == "en"


def test_invalid_input_for_a_chinese_reader_names_the_field_and_says_what_is_wrong_in_chinese(tasks_client, auth):
    response = tasks_client.post("/v1/units", json={}, headers={**auth("admin"), "Accept-Language": "zh-CN"})
    body = response.json()
    assert response.status_code == 422
    assert body["title"] == "请求参数无效"
    missing = {"location": ["body", "name"], "pointer": "/body/name", "message": "缺少此项", "type": "missing"}
    assert body["errors"][0] == missing
    assert body["detail"].startswith("body.name：缺少此项")


def test_a_guards_refusal_is_said_in_chinese_too(tasks_client, auth):
    response = tasks_client.get("/v1/plans?bogus=1", headers={**auth("viewer"), "Accept-Language": "zh"})
    assert (response.status_code, response.json()["detail"]) == (400, "未知的查询参数：bogus。")


def test_a_business_rule_refusal_for_a_chinese_reader_says_its_field_error_as_its_detail(tasks_client, auth):
    window = {"from": "2025-01-02", "to": "2025-01-01"}
    response = tasks_client.get("/v1/deadlines", params=window, headers={**auth("office"), "Accept-Language": "zh-CN"})
    body = response.json()
    assert (body["title"], body["detail"]) == ("无法处理的请求", "to 不得早于 from。")
    assert body["errors"] == [
        {"location": ["query", "to"], "pointer": "/query/to", "message": "to 不得早于 from。", "type": "business_rule"}
    ]


def test_the_gateways_own_problems_follow_accept_language():
    with TestClient(LanguageMiddleware(Gateway([]))) as client:
        response = client.get("/nowhere", headers={"Accept-Language": "zh-CN"})
    assert (response.status_code, response.headers["content-language"]) == (404, "zh-CN")
    assert response.json()["title"] == "未找到"


# -- every detail the services raise has its Chinese ---------------------------------------------------------

PROBLEM_CLASSES = {
    *("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed", "PayloadTooLarge"),
    *("UnsupportedMediaType", "Unprocessable", "PreconditionRequired", "ServiceUnavailable", "GatewayTimeout"),
    *("ProblemError", "PeerError", "NoMappedGroup", "UnknownDepartment"),
}
# Details composed of parts raised elsewhere: their sentences are in the catalogue whole (the dispatch or the ledger
# export "is still running" or "failed"; a measurement's date outside its period).
COMPOSED = {"The ? ?; try again shortly.", "measurements[?].as_of: ?"}


def _shape(node: ast.expr) -> str | None:
    """A raised detail with each of its variable parts as `?`, or None when it is not written out where raised."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "?" for part in node.values)
    return None


def _raised_details() -> list[tuple[str, str]]:
    found = []
    for path in sorted((REPO_ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            raised = isinstance(node, ast.Call) and getattr(node.func, "id", None) in PROBLEM_CLASSES and node.args
            if raised and (shape := _shape(node.args[0])) is not None:
                found.append((str(path.relative_to(REPO_ROOT)), shape))
    return found


def test_every_detail_the_services_raise_is_in_the_chinese_catalogue():
    patterns = [english for english, _ in catalogue(CHINESE).details]
    details = _raised_details()
    missing = [
        (path, shape)
        for path, shape in details
        if shape not in COMPOSED and not any(p.fullmatch(shape.replace("?", "X1")) for p in patterns)
    ]
    assert len(details) > 100
    assert missing == []
