// The frontend table: which frontend reads which editor language and file, and what each declares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frontendFor, frontendForFile, FRONTENDS, SOURCE_LANGUAGES, sourceLanguage } from '../../../server/src/core/frontends';
import { nnmFrontend } from '../../../server/src/core/dsl/frontend';
import { tfjsFrontend } from '../../../server/src/core/tfjs/frontend';
import { pythonFrontend } from '../../../server/src/core/python/frontend';

test('each language is read by the frontend that declares it, and each frontend is listed once', () => {
  for (const language of SOURCE_LANGUAGES) assert.ok(frontendFor(language).languages.includes(language), language);
  for (const frontend of FRONTENDS) for (const language of frontend.languages) assert.equal(frontendFor(language), frontend, language);
  assert.equal(new Set(FRONTENDS).size, FRONTENDS.length);
  assert.equal(frontendFor('nnm'), nnmFrontend);
  assert.equal(frontendFor('typescript'), tfjsFrontend);
  assert.equal(frontendFor('javascript'), tfjsFrontend);
  assert.equal(frontendFor('python'), pythonFrontend);
});

test('editor language ids: the React flavours are aliases; unknown ids, prototype names included, are not read', () => {
  assert.equal(sourceLanguage('typescriptreact'), 'typescript');
  assert.equal(sourceLanguage('javascriptreact'), 'javascript');
  assert.equal(frontendFor('typescriptreact'), tfjsFrontend);
  for (const id of ['plaintext', 'constructor', 'toString', '']) {
    assert.equal(sourceLanguage(id), undefined, id);
    assert.equal(frontendFor(id), undefined, id);
  }
});

test('the CLI picks the frontend by extension, whatever its case', () => {
  const picked = (path: string) => {
    const chosen = frontendForFile(path);
    return chosen && [chosen.frontend.name, chosen.language];
  };
  assert.deepEqual(picked('models/a.nnm'), ['nnm', 'nnm']);
  assert.deepEqual(picked('A.NNM'), ['nnm', 'nnm']);
  for (const ext of ['.ts', '.tsx', '.mts', '.cts']) assert.deepEqual(picked(`m${ext}`), ['TypeScript', 'typescript'], ext);
  for (const ext of ['.js', '.jsx', '.mjs', '.cjs']) assert.deepEqual(picked(`m${ext}`), ['TypeScript', 'javascript'], ext);
  assert.deepEqual(picked('train.py'), ['Python', 'python']);
  assert.equal(picked('notes.txt'), undefined);
  assert.equal(picked('Makefile'), undefined);
});

test('what each frontend declares: comments, claims, loading', () => {
  assert.equal(nnmFrontend.lineComment, '#');
  assert.equal(tfjsFrontend.lineComment, '//');
  assert.ok(nnmFrontend.claims(''));
  assert.ok(!tfjsFrontend.claims('export const x = 1;'));
  assert.ok(tfjsFrontend.claims("import * as tf from '@tensorflow/tfjs-node';"));
  // only the TypeScript parser needs loading; nothing is kept per .nnm document
  assert.equal(nnmFrontend.init, undefined);
  assert.equal(nnmFrontend.forget, undefined);
  assert.equal(typeof tfjsFrontend.init, 'function');
});
