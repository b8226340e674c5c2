// Minimal .nnm edits for the quick fixes: one argument added or changed, one config value set or
// inserted, one statement's lines removed, one comment line inserted. Everything else in the
// text (formatting, comments, blank lines) stays byte for byte.
import type { Call, NnmFile } from '../dsl/ast';
import type { SourceRange } from '../ir';
import { IGNORE_MARKER } from '../rules/ignore';
import { insertAt, lineIndent, type TextEdit } from './edits';
import { configTarget, findCall, findStatement, namedArg } from './locate';

/** `name: true` on a call: the value replaced when the argument is there, else appended after the last argument */
export function setBoolArg(file: NnmFile, site: SourceRange, name: string): TextEdit | undefined {
  const call = findCall(file, site);
  if (!call) return undefined;
  return setArg(call, name, 'true');
}

/** `name: value` on the call at `site` (its value replaced when present) */
export function setArgValue(file: NnmFile, site: SourceRange, name: string, value: string): TextEdit | undefined {
  const call = findCall(file, site);
  return call ? setArg(call, name, value) : undefined;
}

function setArg(call: Call, name: string, value: string): TextEdit | undefined {
  const existing = namedArg(call, name);
  if (existing) return { range: existing.value.range, newText: value };
  const last = call.args[call.args.length - 1];
  if (!last) return undefined;
  return insertAt(last.range.end, `, ${name}: ${value}`);
}

/** set `key: value` for a model: edit the deciding entry, else insert it (see configTarget) */
export function setConfigValue(file: NnmFile, lines: readonly string[], model: string, key: string, value: string): TextEdit | undefined {
  const target = configTarget(file, model, key);
  if (!target) return undefined;
  if (target.entry) return { range: target.entry.value.range, newText: value };
  if (target.config) {
    const entries = target.config.entries;
    const last = entries[entries.length - 1];
    if (!last) return { range: target.config.range, newText: `config { ${key}: ${value} }` };
    const multiline = last.range.start.line !== target.config.keywordRange.start.line;
    if (multiline) return insertAt(last.range.end, `\n${lineIndent(lines[last.range.start.line] ?? '')}${key}: ${value}`);
    return insertAt(last.range.end, `, ${key}: ${value}`);
  }
  const body = target.model!.body;
  const first = body[0];
  if (!first) return undefined;
  const indent = lineIndent(lines[first.range.start.line] ?? '');
  return insertAt({ line: first.range.start.line, character: 0 }, `${indent}config { ${key}: ${value} }\n`);
}

/** delete the statement around `range`: its whole lines when it has them to itself */
export function removeStatement(file: NnmFile, lines: readonly string[], range: SourceRange): TextEdit | undefined {
  const stmt = findStatement(file, range);
  if (!stmt) return undefined;
  const { start, end } = stmt.range;
  const head = (lines[start.line] ?? '').slice(0, start.character);
  const tail = (lines[end.line] ?? '').slice(end.character);
  if (head.trim() === '' && (tail.trim() === '' || tail.trim().startsWith('#'))) {
    const next = end.line + 1;
    return next < lines.length
      ? { range: { start: { line: start.line, character: 0 }, end: { line: next, character: 0 } }, newText: '' }
      : { range: { start: { line: start.line, character: 0 }, end: { line: end.line, character: (lines[end.line] ?? '').length } }, newText: '' };
  }
  return { range: stmt.range, newText: '' };
}

/** `# memlens-ignore CODE` (with the language's line comment) on its own line above `line`, or the code added to the marker already there */
export function ignoreComment(lines: readonly string[], line: number, code: string, prefix: string): TextEdit {
  const above = line > 0 ? (lines[line - 1] ?? '') : undefined;
  if (above !== undefined && above.trim().startsWith(`${prefix} ${IGNORE_MARKER}`)) {
    return insertAt({ line: line - 1, character: above.trimEnd().length }, `, ${code}`);
  }
  const indent = lineIndent(lines[line] ?? '');
  return insertAt({ line, character: 0 }, `${indent}${prefix} ${IGNORE_MARKER} ${code}\n`);
}
