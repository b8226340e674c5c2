// Shared by the Python frontend's tests: the parser is loaded once, fixtures are read by path
// (local imports resolve next to them).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzePython, type PythonAnalysis, type PythonOptions } from '../../../server/src/core/python/frontend';
import { initTfjsFrontend } from '../../../server/src/core/tfjs/parse';

export const FIXTURES = resolve(__dirname, '../../fixtures/python');

export function ready(): Promise<void> {
  return initTfjsFrontend();
}

export function analyzeFixture(file: string, options: Partial<PythonOptions> = {}): PythonAnalysis {
  const path = join(FIXTURES, file);
  return analyzePython(readFileSync(path, 'utf8'), { defaults: BUILTIN_DEFAULTS, documentKey: path, ...options });
}

export function analyzeText(text: string, options: Partial<PythonOptions> = {}): PythonAnalysis {
  return analyzePython(text, { defaults: BUILTIN_DEFAULTS, ...options });
}
