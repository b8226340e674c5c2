// The `--json` text in pieces: the same characters as JSON.stringify of toJsonReport's object
// (compact), produced a row at a time, so that a million rows are never one string or one array.
import type { DocumentAnalysis } from '../core/document';
import { jsonModelParts, toJsonDiagnostic, type JsonModelParts, type JsonOptions } from './json';

/** pieces are joined up to about this many characters before they are handed on */
const CHUNK_CHARS = 1 << 16;

/** one file's report */
export function* jsonReportParts(file: string, analysis: DocumentAnalysis, options: JsonOptions): Generator<string> {
  yield `{"file":${JSON.stringify(file)},"models":[`;
  let first = true;
  for (const model of analysis.models) {
    if (!first) yield ',';
    first = false;
    yield* modelParts(jsonModelParts(model, options));
  }
  yield '],"diagnostics":';
  yield* arrayParts(analysis.diagnostics, toJsonDiagnostic);
  yield '}';
}

function* modelParts({ head, rows }: JsonModelParts): Generator<string> {
  const fields = JSON.stringify(head);
  if (!rows) {
    yield fields;
    return;
  }
  // the head always has fields, so its closing brace gives way to the row lists
  yield fields.slice(0, -1);
  yield ',"steps":';
  yield* arrayParts(rows.steps, (r) => r);
  yield ',"tensors":';
  yield* arrayParts(rows.tensors, (r) => r);
  yield '}';
}

function* arrayParts<T, R>(items: Iterable<T>, toJson: (item: T) => R): Generator<string> {
  yield '[';
  let first = true;
  for (const item of items) {
    yield first ? JSON.stringify(toJson(item)) : `,${JSON.stringify(toJson(item))}`;
    first = false;
  }
  yield ']';
}

/** `check`'s array of reports, or `report`'s one object */
export function* jsonParts(files: readonly { readonly path: string; readonly analysis: DocumentAnalysis }[], single: boolean, options: JsonOptions): Generator<string> {
  if (single && files.length === 1) {
    yield* jsonReportParts(files[0]!.path, files[0]!.analysis, options);
  } else {
    yield '[';
    let first = true;
    for (const f of files) {
      if (!first) yield ',';
      first = false;
      yield* jsonReportParts(f.path, f.analysis, options);
    }
    yield ']';
  }
  yield '\n';
}

/** small pieces joined into chunks of about CHUNK_CHARS characters (one write each) */
export function* inChunks(parts: Iterable<string>, size = CHUNK_CHARS): Generator<string> {
  let buffer: string[] = [];
  let length = 0;
  for (const part of parts) {
    buffer.push(part);
    length += part.length;
    if (length >= size) {
      yield buffer.join('');
      buffer = [];
      length = 0;
    }
  }
  if (length > 0) yield buffer.join('');
}
