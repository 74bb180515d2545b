"""An If-Match is read as the strong ETag etag_for writes, character by character (RFC 9110 8.8.3.2)."""

from __future__ import annotations

import pytest

from services.common.etag import etag_for, expected_version
from services.common.problems import PreconditionFailed, PreconditionRequired


@pytest.mark.parametrize("version", [0, 1, 12, 10**17])
def test_the_etag_of_a_version_reads_as_that_version(version):
    assert expected_version(etag_for(version)) == version


def test_a_version_sent_unquoted_reads_as_that_version():
    assert expected_version(" 7 ") == 7


@pytest.mark.parametrize(
    "tag",
    ['"01"', '"+1"', '"1_0"', '"١"', '"1.0"', '"-1"', '""', '"1', '1"', "0" * 65, '"' + "9" * 19 + '"'],
)
def test_a_tag_that_no_version_of_ours_has_is_412(tag):
    with pytest.raises(PreconditionFailed):
        expected_version(tag)


def test_a_weak_etag_is_412():
    with pytest.raises(PreconditionFailed):
        expected_version('W/"1"')


def test_no_if_match_is_428():
    with pytest.raises(PreconditionRequired):
        expected_version(None)
