// Shared by the tfjs tests: analyse a fixture statically, and build it with TensorFlow.js.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs, initTfjsFrontend, type TfjsAnalysis } from '../../../server/src/core/tfjs/frontend';
import type { BuiltModel } from '../../../server/src/core/tfjs/graphs';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'tfjs');

export async function ready(): Promise<void> {
  await initTfjsFrontend();
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function analyzeFixture(name: string): TfjsAnalysis {
  // the fixture's path as its key: local imports are read next to it
  return analyzeTfjs(fixtureText(name), { defaults: BUILTIN_DEFAULTS, language: 'typescript', documentKey: join(FIXTURES, name) });
}

export function builtModel(analysis: TfjsAnalysis, graphName: string): BuiltModel {
  const b = analysis.built.find((m) => m.graph?.name === graphName);
  if (!b?.graph) throw new Error(`no graph '${graphName}' in [${analysis.graphs.map((g) => g.name).join(', ')}]`);
  return b;
}
