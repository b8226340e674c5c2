// The extension manifest and the TextMate grammar agree with the language they describe:
// every op the registry knows is coloured as an op, every setting is documented, paths exist,
// and the client and the activation events name the languages of the frontend table.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLIENT_LANGUAGES } from '../../../client/src/languages';
import { SOURCE_LANGUAGES } from '../../../server/src/core/frontends';
import { opNames } from '../../../server/src/core/ops/registry';

const ROOT = join(__dirname, '..', '..', '..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

interface Manifest {
  activationEvents: string[];
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    commands: { command: string; title: string }[];
    configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> };
  };
}
interface Grammar {
  scopeName: string;
  repository: Record<string, { match?: string }>;
}

const manifest = readJson('package.json') as Manifest;
const grammar = readJson('syntaxes/nnm.tmLanguage.json') as Grammar;

/** the op names in the grammar's `op-call` alternation */
function grammarOps(): string[] {
  const match = grammar.repository['op-call']?.match ?? '';
  const group = /\\b\(([a-z0-9_|]+)\)/.exec(match);
  assert.ok(group?.[1], `unexpected op-call pattern: ${match}`);
  return group[1].split('|');
}

// device and optimizer constructors of `config` are coloured like ops but are not ops
const CONFIG_CALLS = ['gpu', 'cpu', 'ipu', 'sgd', 'adam', 'adamw'];

test('every registered op (and alias) is coloured as an op', () => {
  const coloured = new Set(grammarOps());
  assert.deepEqual(opNames().filter((name) => !coloured.has(name)), []);
});

test('the grammar colours no op the registry does not know', () => {
  const known = new Set([...opNames(), ...CONFIG_CALLS]);
  assert.deepEqual(grammarOps().filter((name) => !known.has(name)), []);
});

test('the nnm language, its grammar and its configuration are wired together', () => {
  const language = manifest.contributes.languages.find((l) => l.id === 'nnm');
  assert.deepEqual(language?.extensions, ['.nnm']);
  assert.ok(language && existsSync(join(ROOT, language.configuration)));
  const contributed = manifest.contributes.grammars.find((g) => g.language === 'nnm');
  assert.equal(contributed?.scopeName, grammar.scopeName);
  assert.ok(contributed && existsSync(join(ROOT, contributed.path)));
});

test('the client selects, and the manifest activates on, every language of the frontend table', () => {
  assert.deepEqual(CLIENT_LANGUAGES, SOURCE_LANGUAGES);
  // without explicit onLanguage events Code 1.139 never activates the extension (see docs/real-editor.md)
  assert.deepEqual(manifest.activationEvents, SOURCE_LANGUAGES.map((language) => `onLanguage:${language}`));
});

test('every setting is documented and every command is titled', () => {
  const undocumented = Object.entries(manifest.contributes.configuration.properties)
    .filter(([, p]) => !(p.description ?? p.markdownDescription))
    .map(([key]) => key);
  assert.deepEqual(undocumented, []);
  assert.deepEqual(
    manifest.contributes.commands.map((c) => c.command),
    ['memlens.restartServer', 'memlens.showReport', 'memlens.showMemoryView'],
  );
});
