// The status bar's text, tooltip and colour from the server's memory view answer; apart from
// statusBar.ts (which needs the vscode module) so that unit tests can read it.

/** what the status bar reads of the server's answer (a part of memoryView.ts' MemoryViewResult) */
export interface StatusSource {
  readonly models: readonly {
    readonly model: string;
    readonly planned: number;
    readonly budget: number;
    readonly device: string;
    readonly batch: number;
    readonly perDevice: { readonly line: string; readonly kind: string; readonly budget: number; readonly total: number | null } | null;
  }[];
  readonly active: number;
  readonly status: { readonly planned: string; readonly budget: string; readonly expected: string | null; readonly perDevice: string | null } | null;
}

export function statusText(result: StatusSource): { text: string; tooltip: string; over: boolean } | undefined {
  const m = result.models[result.active];
  const s = result.status;
  if (!m || !s) return undefined;
  const expected = s.expected !== null ? `; the framework's allocator is expected to hold ${s.expected}` : '';
  const d = m.perDevice;
  // under parallelism what must fit is one device's share, not the whole batch on one device
  if (d && d.total !== null && s.perDevice) {
    const over = d.total > d.budget;
    return {
      text: `$(${over ? 'error' : 'pulse'}) memlens: ${s.perDevice} / ${s.budget} per ${d.kind}`,
      tooltip: `${m.model}: ${d.line}. On one device the whole batch ${m.batch} would need ${s.planned}${expected}. ${over ? 'It does not fit.' : 'It fits.'} Click for the memory view.`,
      over,
    };
  }
  const over = m.planned > m.budget;
  return {
    text: `$(${over ? 'error' : 'pulse'}) memlens: ${s.planned} / ${s.budget}`,
    tooltip: `${m.model}: planned peak ${s.planned} at batch ${m.batch} on ${m.device} (${s.budget})${expected}. ${over ? 'It does not fit.' : 'It fits.'} Click for the memory view.`,
    over,
  };
}
