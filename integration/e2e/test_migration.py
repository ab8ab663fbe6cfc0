"""`bilan-admin migrate` on a database that holds the pre-async table (SPEC §4):
existing reports become COMPLETED, "analyse"/"resultat" become nullable, and
a second run changes nothing."""
import subprocess
import uuid

import pytest

from integration.e2e.support import PG_BIN, psql_url

# The table as the site's Prisma schema first created it: no status, the
# report columns NOT NULL, Prisma's timestamps without time zone.
PRE_ASYNC_SCHEMA = """
CREATE TABLE "orientation_bilans" (
    "id"            uuid NOT NULL DEFAULT gen_random_uuid(),
    "userId"        uuid NOT NULL,
    "questionnaire" jsonb NOT NULL,
    "analyse"       jsonb NOT NULL,
    "resultat"      text NOT NULL,
    "createdAt"     timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"     timestamp(3) NOT NULL,
    CONSTRAINT "orientation_bilans_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "orientation_bilans_userId_idx" ON "orientation_bilans" ("userId");
"""
OLD_REPORTS = [
    # id, userId, createdAt (UTC wall time), resultat
    ("11111111-1111-4111-8111-111111111111", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
     "2025-03-01 10:00:00.000", "# Bilan de Léa\n\n## Synthèse de votre profil\n\nProfil scientifique."),
    ("22222222-2222-4222-8222-222222222222", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
     "2025-06-15 18:30:12.345", "# Bilan de Hugo\n\n## Synthèse de votre profil\n\nProfil littéraire."),
]


@pytest.fixture
def legacy_database(stack):
    """A fresh database on the stack's cluster holding the pre-async table and
    two reports; yields its URL."""
    name = "legacy_" + uuid.uuid4().hex[:12]
    stack.psql('CREATE DATABASE :"v1"', name)
    url = stack.env["DATABASE_URL"].replace("postgresql:///bilan?", f"postgresql:///{name}?", 1)
    assert url != stack.env["DATABASE_URL"]
    psql_url(url, PRE_ASYNC_SCHEMA)
    for bilan_id, user_id, created_at, report in OLD_REPORTS:
        psql_url(url, """INSERT INTO "orientation_bilans"
                         ("id", "userId", "questionnaire", "analyse", "resultat", "createdAt", "updatedAt")
                         VALUES (:'v1', :'v2', '{"niveau": "TERMINALE", "filiere": "GENERALE"}',
                                 '{"initial": "analyse d''origine"}', :'v3', :'v4', :'v4')""",
                 bilan_id, user_id, report, created_at)
    yield url
    stack.psql('DROP DATABASE :"v1" WITH (FORCE)', name)


def migrate(stack, url) -> subprocess.CompletedProcess:
    env = dict(stack.env, DATABASE_URL=url, DIRECT_URL=url)
    return subprocess.run([str(stack.bin_dir / "bilan-admin"), "migrate"], env=env,
                          capture_output=True, text=True, timeout=60)


def dump(url) -> str:
    """Schema and data; without pg_dump's per-run random `\\restrict` key."""
    result = subprocess.run([str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", url],
                            capture_output=True, text=True, check=True)
    return "\n".join(line for line in result.stdout.splitlines()
                     if not line.startswith(("\\restrict ", "\\unrestrict ")))


def test_migrate_upgrades_the_pre_async_table(stack, legacy_database):
    url = legacy_database

    result = migrate(stack, url)

    assert result.returncode == 0, result.stderr
    assert "0002" in result.stdout, result.stdout
    rows = psql_url(url, """SELECT id, status, resultat = :'v1' OR resultat = :'v2',
                                   to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),
                                   "analyse" ->> 'initial'
                              FROM "orientation_bilans" ORDER BY id""",
                    OLD_REPORTS[0][3], OLD_REPORTS[1][3]).splitlines()
    assert rows == [f"{bilan_id}|COMPLETED|t|{created_at}|analyse d'origine"
                    for bilan_id, _, created_at, _ in OLD_REPORTS]
    nullable = psql_url(url, """SELECT column_name, is_nullable FROM information_schema.columns
                                 WHERE table_name = 'orientation_bilans'
                                   AND column_name IN ('analyse', 'resultat', 'status') ORDER BY 1""")
    assert nullable.splitlines() == ["analyse|YES", "resultat|YES", "status|NO"]
    # A new bilan needs no report, and starts PENDING.
    pending = psql_url(url, """BEGIN;
        INSERT INTO "orientation_bilans" ("userId", "questionnaire") VALUES (gen_random_uuid(), '{}')
        RETURNING status;
        ROLLBACK;""")
    assert pending == "PENDING"


def test_second_migrate_is_up_to_date_and_changes_nothing(stack, legacy_database):
    url = legacy_database
    first = migrate(stack, url)
    assert first.returncode == 0, first.stderr
    before = dump(url)

    second = migrate(stack, url)

    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout, second.stdout
    assert dump(url) == before
