import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrationsList } from './migrations/index.js';

/**
 * Expand, then contract (docs/adr/0121-deployable-as-written.md): during a rolling deploy the
 * previous release runs against the new schema, so a migration may add, never take away what it
 * reads or writes. A statement that drops, renames, retypes or newly requires a column (or drops a
 * table) belongs to a contract migration, shipped a release after the code stopped using it, and
 * says so on the line above: `// contract: <what no release since <version> reads>`.
 */

/** The last migration of the first release: everything after it follows the rule. */
const FIRST_RELEASE_LAST_MIGRATION = 'Migration20261205194000_ProSanteConnect';

const DESTRUCTIVE: Array<[RegExp, string]> = [
  [/\bdrop\s+column\b/i, 'drops a column'],
  [/\bdrop\s+table\b/i, 'drops a table'],
  [/\brename\s+(column\b|to\b)/i, 'renames a column or table'],
  [/\balter\s+column\s+("[^"]+"|\w+)\s+(set\s+data\s+)?type\b/i, 'changes a column type'],
  [/\bset\s+not\s+null\b/i, 'makes a column required'],
  [/\badd\s+column\s+(?:(?!,|\bdefault\b).)*\bnot\s+null\b(?:(?!,|\bdefault\b).)*$/i, 'adds a required column without a default'],
];

/** The expand-rule breaches of a migration's source: statements of up() without a contract marker. */
export function contractStatementsWithoutMarker(source: string): string[] {
  const up = /\basync\s+up\s*\(/.exec(source);
  if (!up) return [];
  const down = /\basync\s+down\s*\(/.exec(source.slice(up.index));
  const lines = source.slice(up.index, down ? up.index + down.index : undefined).split('\n');
  const found: string[] = [];
  lines.forEach((line, i) => {
    // Each ADD COLUMN clause of a statement on its own (one line may add several columns).
    const clauses = line.split(/,(?=\s*add\s+column\b)/i);
    for (const [pattern, what] of DESTRUCTIVE) {
      if (!clauses.some((c) => pattern.test(c))) continue;
      const marked = lines.slice(Math.max(0, i - 3), i + 1).some((l) => /\/\/\s*contract:/.test(l));
      if (!marked) found.push(`line ${i + 1} of up() ${what}: ${line.trim().slice(0, 160)}`);
    }
  });
  return found;
}

describe('migrations: expand, then contract', () => {
  it('finds the statements that would break the previous release, unless marked as a contract step', () => {
    const migration = (body: string) => `class M extends Migration {\n  override async up(): Promise<void> {\n${body}\n  }\n  override async down(): Promise<void> {\n    this.addSql(\`alter table "a" drop column "b"\`);\n  }\n}`;
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`alter table "app_user" drop column "locked_until"`);'))).toEqual([
      expect.stringContaining('drops a column'),
    ]);
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`alter table "exam" rename column "date" to "exam_date"`);'))).toHaveLength(1);
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`alter table "exam" rename to "study_exam"`);'))).toHaveLength(1);
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`alter table "exam" alter column "title" type varchar(80)`);'))).toHaveLength(1);
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`alter table "exam" alter column "title" set not null`);'))).toHaveLength(1);
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`drop table "share_grant"`);'))).toHaveLength(1);
    expect(contractStatementsWithoutMarker(migration('    this.addSql(`alter table "exam" add column "a" text null, add column "b" int not null`);'))).toEqual([
      expect.stringContaining('adds a required column without a default'),
    ]);
    // Expand steps: the previous release neither sees nor minds them.
    expect(contractStatementsWithoutMarker(migration([
      '    this.addSql(`create table "t" ("id" uuid not null, constraint "t_pkey" primary key ("id"))`);',
      '    this.addSql(`alter table "exam" add column "b" int not null default 0, add column "c" text null`);',
      '    this.addSql(`create index "exam_b_index" on "exam" ("b")`);',
    ].join('\n')))).toEqual([]);
    // The down() of a migration (undoing an expand) is not a rollout step.
    // A contract step, a release after the code stopped reading the column, says so.
    expect(contractStatementsWithoutMarker(migration([
      '    // contract: app_user.locked_until is read by no release since 0.2.0',
      '    this.addSql(`alter table "app_user" drop column "locked_until"`);',
    ].join('\n')))).toEqual([]);
  });

  it('every migration after the first release only expands, or is marked as a contract step', () => {
    const names = migrationsList.map((m) => m.name);
    const first = names.indexOf(FIRST_RELEASE_LAST_MIGRATION);
    expect(first, `${FIRST_RELEASE_LAST_MIGRATION} is in migrations/index.ts`).toBeGreaterThanOrEqual(0);
    const breaches = names.slice(first + 1).flatMap((name) =>
      contractStatementsWithoutMarker(readFileSync(new URL(`./migrations/${name}.ts`, import.meta.url), 'utf8')).map((b) => `${name}: ${b}`),
    );
    expect(breaches, 'the previous release still reads what these take away: expand now, contract a release later (ADR 0121)').toEqual([]);
  });

  it('the first release’s own breaches are those the rule was written after (LoginThrottle, RecordSearchName)', () => {
    // Checked against the released migrations, the scanner finds exactly the two known cases: a
    // rule that found nothing there would not be looking.
    const names = migrationsList.map((m) => m.name);
    const released = names.slice(0, names.indexOf(FIRST_RELEASE_LAST_MIGRATION) + 1);
    const flagged = released.filter((name) => contractStatementsWithoutMarker(readFileSync(new URL(`./migrations/${name}.ts`, import.meta.url), 'utf8')).length > 0);
    expect(flagged.sort()).toEqual(['Migration20261205160000_LoginThrottle', 'Migration20261205170000_RecordSearchName']);
  });
});
