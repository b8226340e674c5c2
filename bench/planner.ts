// `npm run bench -- planner` (issue 3): planner time and planned / lower bound on every example and
// on larger buffer sets: the buffers of generated models, and random interval sets. Plain numbers.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import { liveLowerBound, planArena, type PlanItem } from '../server/src/core/analysis/planner';
import type { MemoryAnalysis } from '../server/src/core/analysis/memory';
import { atBatch } from '../server/src/core/units';
import { generateModel } from './generate';
import { measure, ms, printTable } from './stats';

const EXAMPLES = join(__dirname, '..', 'examples');

function itemsOf(memory: MemoryAnalysis): PlanItem[] {
  return memory.buffers.map((b) => ({ start: b.liveFrom, end: b.liveTo, size: atBatch(b.bytes, memory.batch) }));
}

function row(name: string, items: readonly PlanItem[], budgetMs: number): string[] {
  const plan = planArena(items);
  const bound = liveLowerBound(items);
  const time = measure(() => planArena(items), { warmup: 5, minRuns: 5, maxRuns: 500, budgetMs });
  const ratio = bound > 0 ? plan.arena / bound : 1;
  return [name, String(items.length), plan.strategy, ms(time.median), ms(time.p95), ratio.toFixed(4)];
}

/** deterministic pseudo-random numbers (mulberry32) so every run plans the same sets */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n buffers over about n steps, short lifetimes mostly, sizes spread over three decades */
function randomIntervals(n: number, seed: number): PlanItem[] {
  const next = random(seed);
  return Array.from({ length: n }, () => {
    const start = Math.floor(next() * n);
    const length = next() < 0.9 ? Math.floor(next() * 8) : Math.floor(next() * n * 0.05);
    return { start, end: start + length, size: Math.floor(1024 * 1000 ** next()) };
  });
}

export function benchPlanner(): void {
  console.log('\nplanner on the examples (as configured), ms; ratio = planned arena / lower bound of the same buffers');
  const rows: string[][] = [];
  const ratios: number[] = [];
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.nnm')).sort()) {
    for (const mode of ['train', 'infer'] as const) {
      const analysis = analyzeDocument(readFileSync(join(EXAMPLES, file), 'utf8'), 'nnm', { overrides: { mode } });
      for (const model of analysis.models) {
        if (!model.memory) continue;
        const r = row(`${file} (${mode})`, itemsOf(model.memory), 300);
        ratios.push(Number(r[5]));
        rows.push(r);
      }
    }
  }
  printTable(['model', 'buffers', 'strategy', 'median', 'p95', 'planned / lower bound'], rows);
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(`median planned / lower bound over the examples: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(4)}`);

  console.log('\nplanner on larger sets, ms (growth per 10x: n log n gives about 13x)');
  const big: string[][] = [];
  let previous: number | undefined;
  for (const ops of [10_000, 100_000]) {
    const model = analyzeDocument(generateModel(ops), 'nnm').models[0];
    if (!model?.memory) continue;
    const r = row(`generated model, ${ops.toLocaleString('en-US')} ops (train)`, itemsOf(model.memory), 3000);
    big.push([...r, previous ? (Number(r[3]) / previous).toFixed(1) : '-']);
    previous = Number(r[3]);
  }
  previous = undefined;
  for (const n of [10_000, 100_000]) {
    const r = row(`random intervals, ${n.toLocaleString('en-US')}`, randomIntervals(n, 42), 3000);
    big.push([...r, previous ? (Number(r[3]) / previous).toFixed(1) : '-']);
    previous = Number(r[3]);
  }
  printTable(['set', 'buffers', 'strategy', 'median', 'p95', 'planned / lower bound', 'x per 10x'], big);
}

if (require.main === module) benchPlanner();
