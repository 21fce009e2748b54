"""A database password never reaches the terminal, whether the URL connects, fails or does not parse."""

from __future__ import annotations

import pytest

from tests.conftest import assert_usage_error

SECRET = "s3cret-Pa55"
URLS = {
    "server refuses": f"postgresql+psycopg://worldmind:{SECRET}@127.0.0.1:1/memory",
    "port not a number": f"postgresql+psycopg://worldmind:{SECRET}@127.0.0.1:notaport/memory",
    "unknown dialect": f"nosuchdb://worldmind:{SECRET}@127.0.0.1/memory",
    "password in the query": f"postgresql+psycopg://worldmind@127.0.0.1:1/memory?password={SECRET}",
}


@pytest.mark.parametrize("command", [["memory", "stats"], ["memory", "namespaces"], ["memory", "list"]])
@pytest.mark.parametrize("url", URLS.values(), ids=list(URLS))
def test_a_bad_database_url_is_one_line_without_its_password(cli_run, url, command):
    line = assert_usage_error(cli_run(*command, "--db", url))
    assert SECRET not in line and "***" in line


@pytest.mark.parametrize(
    "url",
    [
        *URLS.values(),
        f"postgresql://u:{SECRET}@h:5432/db",
        f"weird url //u:{SECRET}@h",
        f"host=h password={SECRET} x=1",
    ],
)
def test_masked_url_hides_the_password_of_any_url(url):
    from memory.database import masked_url

    assert SECRET not in masked_url(url)
