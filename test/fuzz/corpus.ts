// The seed corpus of the fuzzer: every model fixture of every language in the repo, read once.
// .nnm: examples/ and test/fixtures/**; TypeScript/JavaScript: test/fixtures/tfjs/**; Python:
// test/fixtures/python/** (read with its path as document key, so local imports resolve).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { SourceLanguage } from '../../server/src/core/frontend';

export const ROOT = join(__dirname, '..', '..');

export interface Seed {
  /** path relative to the repo root */
  readonly name: string;
  readonly path: string;
  readonly language: SourceLanguage;
  readonly text: string;
}

const LANGUAGE_OF: Readonly<Record<string, SourceLanguage>> = {
  '.nnm': 'nnm',
  '.ts': 'typescript',
  '.js': 'javascript',
  '.cjs': 'javascript',
  '.mjs': 'javascript',
  '.py': 'python',
};

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

function seedsUnder(dir: string, languages: readonly SourceLanguage[]): Seed[] {
  return walk(dir, [])
    .map((path) => ({ path, language: LANGUAGE_OF[extname(path)] }))
    .filter((f): f is { path: string; language: SourceLanguage } => f.language !== undefined && languages.includes(f.language))
    .map(({ path, language }) => ({ name: relative(ROOT, path), path, language, text: readFileSync(path, 'utf8') }));
}

/** every fixture, in a fixed order (so a seed names the same case on every machine) */
export function loadCorpus(): readonly Seed[] {
  const fixtures = join(ROOT, 'test', 'fixtures');
  return [
    ...seedsUnder(join(ROOT, 'examples'), ['nnm']),
    ...seedsUnder(fixtures, ['nnm']),
    ...seedsUnder(join(fixtures, 'tfjs'), ['typescript', 'javascript']),
    ...seedsUnder(join(fixtures, 'python'), ['python']),
  ];
}
