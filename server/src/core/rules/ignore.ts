// `# memlens-ignore NNM2xx` (.nnm) / `// memlens-ignore NNM2xx` (TypeScript, JavaScript): a
// comment in the frontend's line-comment syntax, on a finding's line or the line above, silences
// it. Several codes may be listed; none listed silences every rule finding there. Only lint
// findings (NNM2xx) can be silenced, never errors of the language itself.

export const IGNORE_MARKER = 'memlens-ignore';

/** 0-based line -> the codes silenced there ('*' = all) */
export type IgnoreMap = ReadonlyMap<number, ReadonlySet<string>>;

/** `lineComment`: what starts a comment in the document's language (Frontend.lineComment) */
export function parseIgnores(text: string, lineComment: string): IgnoreMap {
  const out = new Map<number, Set<string>>();
  if (!text.includes(IGNORE_MARKER)) return out;
  const prefix = lineComment.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const marker = new RegExp(`${prefix}\\s*${IGNORE_MARKER}\\b([^\\n]*)`);
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = marker.exec(line);
    if (!m) return;
    const codes = m[1]!.match(/NNM\d{3}/g);
    out.set(i, new Set(codes && codes.length > 0 ? codes : ['*']));
  });
  return out;
}

/** whether a finding with `code` starting on `line` is silenced */
export function isIgnored(ignores: IgnoreMap, code: string, line: number): boolean {
  for (const l of [line, line - 1]) {
    const codes = ignores.get(l);
    if (codes && (codes.has('*') || codes.has(code))) return true;
  }
  return false;
}
