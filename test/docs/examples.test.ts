/**
 * Every example in the docs runs, so none goes stale. For each page (the README,
 * docs/*.md, client/README.md):
 * - `sh` blocks run in order, in one bash session, against a real server started for
 *   the page on a fresh database (`localhost:4000` in them is that server; TOKEN is its
 *   demo group's API token; `npm run -s admin` reaches its database). A line that only
 *   assigns a placeholder (`TOKEN=tapi_…`) is left out: the session has the value.
 * - `graphql` blocks are validated against the schema; `json` blocks parse;
 *   `ts` blocks are type-checked under --strict (client/README.md's by the client's tests).
 * - A block that cannot run here (it starts a server of its own, waits for a signal,
 *   needs another machine) says so in an HTML comment just before it:
 *   `<!-- not run: why; covered by test/… -->`, naming the test that does what it shows.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, Kind, parse, print, validate } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.ts';
import { testDialect } from '../support/databases.ts';
import { adminEntry, projectRoot, type RunningServer, startServer, tempDatabaseUrl } from '../support/processes.ts';

interface Block {
  lang: string;
  code: string;
  line: number;
  /** The `<!-- not run: … -->` comment before it, if any. */
  notRun: string | null;
}

export function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const code: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const comment = before >= 0 ? /^<!-- not run: (.*) -->$/.exec(lines[before]!.trim()) : null;
    blocks.push({ lang: open[1]!, code: code.join('\n'), line: start + 1, notRun: comment?.[1] ?? null });
  }
  return blocks;
}

const pages = [
  'README.md',
  ...readdirSync(join(projectRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'client/README.md',
];

const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** A folder to run a page's commands in: the project's code, linked; examples copied (reports land beside them). */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'team-api-docs-'));
  for (const entry of ['src', 'node_modules', 'package.json', 'drizzle', 'tsconfig.json', 'client', 'schema.graphql', 'scripts', 'schema']) {
    if (existsSync(join(projectRoot, entry))) symlinkSync(join(projectRoot, entry), join(dir, entry));
  }
  cpSync(join(projectRoot, 'examples'), join(dir, 'examples'), { recursive: true });
  mkdirSync(join(dir, 'backups'));
  return dir;
}

/** Runs a bash script; resolves with its exit code and output. */
function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * What is wrong with a GraphQL block: an operation must validate against the schema;
 * a schema excerpt (type definitions) must say of each field, argument and input
 * field what the schema says.
 */
function graphqlProblems(code: string): string[] {
  const document = parse(code);
  const definitions = document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION && d.kind !== Kind.FRAGMENT_DEFINITION);
  if (definitions.length === 0) return validate(schema, document).map((e) => e.message);
  const problems: string[] = [];
  for (const definition of definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const type = schema.getType(definition.name.value);
    if (!type) {
      problems.push(`no type ${definition.name.value}`);
      continue;
    }
    if (isEnumType(type) && 'values' in definition) {
      for (const value of definition.values ?? []) {
        if (!type.getValue(value.name.value)) problems.push(`no value ${type.name}.${value.name.value}`);
      }
    }
    if (!('fields' in definition) || !(isObjectType(type) || isInterfaceType(type) || isInputObjectType(type))) continue;
    const fields = type.getFields() as Record<string, { type: unknown; args?: Array<{ name: string; type: unknown }> }>;
    for (const field of definition.fields ?? []) {
      const real = fields[field.name.value];
      const where = `${type.name}.${field.name.value}`;
      if (!real) {
        problems.push(`no field ${where}`);
        continue;
      }
      if (print(field.type) !== String(real.type)) problems.push(`${where} is ${String(real.type)}, not ${print(field.type)}`);
      for (const arg of 'arguments' in field ? (field.arguments ?? []) : []) {
        const realArg = real.args?.find((a) => a.name === arg.name.value);
        if (!realArg) problems.push(`no argument ${where}(${arg.name.value})`);
        else if (print(arg.type) !== String(realArg.type)) problems.push(`${where}(${arg.name.value}) is ${String(realArg.type)}, not ${print(arg.type)}`);
      }
    }
  }
  return problems;
}

/** The relative links of a page, outside code: [as written, the file it names, its #anchor]. */
function linksOf(page: string): Array<[string, string, string | null]> {
  const text = readFileSync(join(projectRoot, page), 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links: Array<[string, string, string | null]> = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue;
    const [path, anchor] = target!.split('#') as [string, string | undefined];
    links.push([target!, path ? join(projectRoot, dirname(page), path) : join(projectRoot, page), anchor ?? null]);
  }
  return links;
}

/** The anchors GitHub gives a page's headings. */
function headingSlugs(markdown: string): string[] {
  return [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#+ (.*)$/gm)].map(([, heading]) =>
    heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-'),
  );
}

/**
 * `npm run -s admin -- …` is package.json's `tsx src/cli/admin.ts …`: in the page's
 * session it runs the tests' admin entry instead (this run's build of that file,
 * test/support/build.ts), which spares each of a page's dozens of commands npm's and
 * the loader's start-up.
 * test/core/cli.test.ts runs the npm script itself.
 */
function adminShortcut(): string[] {
  const admin = [process.execPath, ...adminEntry].map((word) => JSON.stringify(word)).join(' ');
  return [`npm() { if [ "\${1-} \${2-} \${3-} \${4-}" = "run -s admin --" ]; then shift 4; ${admin} "$@"; else command npm "$@"; fi; }`];
}

/** A line that assigns a placeholder (`TOKEN=tapi_…`, `X=<id>`): the session already has the value. */
const PLACEHOLDER = /^\s*[A-Z_]+=\S*(…|<[a-z-]+>)\S*\s*(#.*)?$/;

describe.runIf(testDialect === 'sqlite')('the examples in the docs', () => {
  for (const page of pages) {
    const blocks = blocksOf(readFileSync(join(projectRoot, page), 'utf8'));
    if (blocks.length === 0) continue;

    it(`${page}: every GraphQL document is valid against the schema, every JSON parses`, () => {
      for (const block of blocks) {
        if (block.lang === 'graphql') expect(graphqlProblems(block.code), `${page}:${block.line}`).toEqual([]);
        if (block.lang === 'json') expect(() => JSON.parse(block.code), `${page}:${block.line}`).not.toThrow();
      }
    });

    it(`${page}: every link to a file of the project finds it, and the heading it names`, () => {
      for (const [target, file, anchor] of linksOf(page)) {
        expect(existsSync(file), `${page} links ${target}`).toBe(true);
        if (anchor && file.endsWith('.md')) expect(headingSlugs(readFileSync(file, 'utf8')), `${page} links ${target}`).toContain(anchor);
      }
    });

    it(`${page}: what cannot run here names the test that covers it`, () => {
      for (const block of blocks.filter((b) => b.notRun !== null)) {
        const covered = /covered by (\S+)/.exec(block.notRun!)?.[1];
        expect(covered, `${page}:${block.line} must name the test that covers it`).toBeDefined();
        expect(existsSync(join(projectRoot, covered!.replace(/[.,;]$/, ''))), `${page}:${block.line}: ${covered}`).toBe(true);
      }
    });

    const shell = blocks.filter((b) => (b.lang === 'sh' || b.lang === 'bash') && b.notRun === null);
    if (shell.length > 0) {
      it(`${page}: every command runs against a real server`, async () => {
        const databaseUrl = tempDatabaseUrl();
        const server = await startServer({ DATABASE_URL: databaseUrl, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
        servers.push(server);
        const port = String(server.port);
        const script = [
          'set -euo pipefail',
          ...adminShortcut(),
          ...shell.map((block) =>
            [
              `echo "### ${page}:${block.line}"`,
              ...block.code
                .split('\n')
                .filter((line) => !PLACEHOLDER.test(line))
                .map((line) => line.replaceAll(':4000', `:${port}`)),
            ].join('\n'),
          ),
        ].join('\n');
        const cwd = workspace();
        writeFileSync(join(cwd, 'examples.sh'), script);
        const result = await bash(script, cwd, {
          TOKEN: server.demoToken!,
          DATABASE_URL: databaseUrl,
          PORT: port,
          npm_config_loglevel: 'error',
        });
        expect(result.code, `${page}: a command failed (the script is ${join(cwd, 'examples.sh')}):\n${result.output.slice(-4000)}`).toBe(0);
        // An answer that is an error where the page shows a success would pass bash; none may be a surprise.
        expect(result.output, result.output.slice(-4000)).not.toMatch(/"code":"(InternalError|UnauthorizedRequest|InvalidApiToken)"/);
      }, 180_000);
    }

    // client/README.md's examples import the client by its package name: test/client/readme.test.ts compiles them.
    const typescript = page === 'client/README.md' ? [] : blocks.filter((b) => b.lang === 'ts' && b.notRun === null);
    if (typescript.length > 0) {
      it(`${page}: every TypeScript example type-checks under --strict`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'team-api-docs-ts-'));
        // ES modules, as the examples are written (top-level await).
        writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
        const files = typescript.map((block, i) => {
          const file = join(dir, `example-${i}.ts`);
          // Each example is a module of its own; what it leaves to the reader is declared.
          writeFileSync(file, `export {};\ndeclare function loadCursor(): string | null;\ndeclare function saveCursor(cursor: string | null): void;\ndeclare function apply(type: string, data: unknown): void;\n${block.code}\n`);
          return file;
        });
        const tsc = join(projectRoot, 'node_modules/.bin/tsc');
        try {
          execFileSync(tsc, ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--typeRoots', join(projectRoot, 'node_modules/@types'), ...files], {
            encoding: 'utf8',
            cwd: dir,
          });
        } catch (error) {
          throw new Error(`${page}: a TypeScript example does not compile:\n${(error as { stdout?: string }).stdout}`);
        }
      }, 60_000);
    }
  }
});
