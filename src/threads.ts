/**
 * Worker threads of the project's own modules (the webhook delivery thread, SQLite's
 * writer thread): started on an entry module beside the caller, with the process's
 * `--import` preloads loaded first.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A thread running the module `name` (without extension) of the caller's folder
 * (`importMetaUrl`): a .ts file under tsx (`npm start`, the tests), a .js file in the
 * build. A thread runs none of the process's `--import` preloads (the TypeScript
 * loader, instrumentation): its bootstrap imports them again, in order, before the
 * entry. NODE_OPTIONS (from `env`) is split on whitespace: quotes are not expected in it.
 */
export function startThread(importMetaUrl: string, name: string, workerData: unknown, env: Record<string, string | undefined> = process.env): Worker {
  const entry = new URL(`./${name}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl);
  const nodeOptions = (env.NODE_OPTIONS ?? '').split(/\s+/).filter((x) => x !== '');
  const preloads = preloadsOf([...process.execArgv, ...nodeOptions]);
  const steps = preloads.map(preloadStep);
  // A .ts entry in a process that loads TypeScript by other means (vitest) gets tsx's loader.
  if (entry.pathname.endsWith('.ts') && !preloads.some(isTsxLoader)) steps.unshift(registerTsx());
  const bootstrap = [...steps, `import(${JSON.stringify(entry.href)})`].reduce(
    (chain, step) => `${chain}.then(() => ${step})`,
    'Promise.resolve()',
  );
  return new Worker(`${bootstrap};`, { eval: true, workerData });
}

/**
 * How the thread's bootstrap loads a preload: tsx's `--import` entry only registers
 * its hooks on the main thread, so in a thread its API registers them; anything
 * else is imported as is.
 */
function preloadStep(url: string): string {
  return isTsxLoader(url) ? registerTsx() : `import(${JSON.stringify(url)})`;
}

const registerTsx = () => `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register())`;

/** `--import tsx`, or the tsx CLI's own `--import file:///…/tsx/dist/loader.mjs`. */
const isTsxLoader = (url: string) => /\/tsx\/dist\/loader\.mjs$/.test(url);

/** The modules named by `--import X` / `--import=X`: URLs, paths resolved from the working directory, or bare package names. */
function preloadsOf(args: string[]): string[] {
  const specifiers: string[] = [];
  args.forEach((arg, i) => {
    if (arg === '--import' && args[i + 1]) specifiers.push(args[i + 1]!);
    else if (arg.startsWith('--import=')) specifiers.push(arg.slice('--import='.length));
  });
  return specifiers.map((specifier) => {
    if (/^[a-z]+:/i.test(specifier)) return specifier;
    if (specifier.startsWith('.') || specifier.startsWith('/')) return pathToFileURL(resolve(specifier)).href;
    return import.meta.resolve(specifier);
  });
}
