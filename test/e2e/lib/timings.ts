// The suite's own clock: each phase is recorded and the table is printed at the end.
export class Timings {
  private readonly rows: [string, number][] = [];

  async time<T>(label: string, work: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.rows.push([label, performance.now() - started]);
    }
  }

  report(title: string): string {
    const width = Math.max(...this.rows.map(([label]) => label.length), 5);
    const lines = this.rows.map(([label, ms]) => `  ${label.padEnd(width)}  ${(ms / 1000).toFixed(1).padStart(6)} s`);
    const total = this.rows.reduce((sum, [, ms]) => sum + ms, 0);
    return [`${title} timings:`, ...lines, `  ${'total'.padEnd(width)}  ${(total / 1000).toFixed(1).padStart(6)} s`].join('\n');
  }
}
