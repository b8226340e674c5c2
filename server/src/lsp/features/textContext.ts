// What the cursor sits in, read from the text alone (completion and signature help must work
// while the document does not parse): a config item, a call's argument list, a statement.

export type TextContext =
  | { readonly kind: 'comment' }
  | { readonly kind: 'topLevel' }
  | { readonly kind: 'configKey' }
  | { readonly kind: 'configValue'; readonly key: string }
  | { readonly kind: 'statementStart' }
  | { readonly kind: 'expression' }
  | CallContext;

export interface CallContext {
  readonly kind: 'call';
  /** the name before the open parenthesis */
  readonly callee: string;
  /** 0-based index of the argument the cursor is in */
  readonly argIndex: number;
  /** positional arguments before the cursor's one */
  readonly positionalBefore: number;
  /** names given as `name:` in earlier arguments */
  readonly named: readonly string[];
  /** set when the cursor's argument is `name: ...` */
  readonly activeName?: string;
  /** the cursor's argument is still empty or a bare word: a named argument may start here */
  readonly atArgStart: boolean;
}

/** how far back to look for the enclosing bracket; a call or config item is never longer */
const MAX_LINES_BACK = 200;

export function textContext(text: string, offset: number): TextContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const linePrefix = text.slice(lineStart, offset);
  if (linePrefix.includes('#')) return { kind: 'comment' };
  const open = enclosingBracket(text, offset);
  if (!open) return { kind: 'topLevel' };
  if (open.char === '{') {
    const before = text.slice(Math.max(0, open.offset - 64), open.offset);
    if (/\bconfig\s*$/.test(before)) return configContext(text.slice(Math.max(lineStart, open.offset + 1), offset));
    return /^\s*\w*$/.test(linePrefix) ? { kind: 'statementStart' } : { kind: 'expression' };
  }
  const callee = /([A-Za-z_]\w*)\s*$/.exec(text.slice(Math.max(0, open.offset - 64), open.offset))?.[1];
  if (!callee) return { kind: 'expression' };
  return callContext(callee, stripComments(text.slice(open.offset + 1, offset)));
}

/** `prefix`: the text of the config entry before the cursor (entries split by newlines or commas) */
function configContext(prefix: string): TextContext {
  const entry = prefix.split(/[,;]/).pop() ?? '';
  const value = /^\s*(\w+)\s*:/.exec(entry);
  if (value) return { kind: 'configValue', key: value[1]! };
  return /^\s*\w*$/.test(entry) ? { kind: 'configKey' } : { kind: 'expression' };
}

function callContext(callee: string, args: string): CallContext {
  const segments = splitTopLevel(args);
  const current = segments[segments.length - 1] ?? '';
  const named: string[] = [];
  let positionalBefore = 0;
  for (const seg of segments.slice(0, -1)) {
    const name = namedArg(seg);
    if (name) named.push(name);
    else positionalBefore++;
  }
  const activeName = namedArg(current);
  return {
    kind: 'call',
    callee,
    argIndex: segments.length - 1,
    positionalBefore,
    named,
    ...(activeName ? { activeName } : {}),
    atArgStart: /^\s*\w*$/.test(current),
  };
}

function namedArg(segment: string): string | undefined {
  return /^\s*([A-Za-z_]\w*)\s*:/.exec(segment)?.[1];
}

/** split an argument list at its top-level commas */
function splitTopLevel(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(args.slice(start, i));
      start = i + 1;
    }
  }
  out.push(args.slice(start));
  return out;
}

function stripComments(s: string): string {
  return s.replace(/#[^\n]*/g, '');
}

/**
 * the innermost `(` or `{` left open before `offset`, skipping `#` comments; an open `[` is
 * a list inside an argument, so the call around it is what counts
 */
function enclosingBracket(text: string, offset: number): { char: '(' | '{'; offset: number } | undefined {
  const closers: string[] = [];
  let lineEnd = offset;
  for (let lines = 0; lines < MAX_LINES_BACK && lineEnd >= 0; lines++) {
    const lineStart = text.lastIndexOf('\n', lineEnd - 1) + 1;
    const line = text.slice(lineStart, lineEnd);
    const hash = line.indexOf('#');
    const code = hash >= 0 ? line.slice(0, hash) : line;
    for (let i = code.length - 1; i >= 0; i--) {
      const c = code[i]!;
      if (c === ')' || c === ']' || c === '}') closers.push(c);
      else if (c === '(' || c === '[' || c === '{') {
        const expected = c === '(' ? ')' : c === '[' ? ']' : '}';
        if (closers.length === 0) {
          if (c === '[') continue;
          return { char: c, offset: lineStart + i };
        }
        // a mismatched closer means broken text: trust the opener we met
        if (closers.pop() !== expected && c === '{') return { char: c, offset: lineStart + i };
      }
    }
    if (lineStart === 0) break;
    lineEnd = lineStart - 1;
  }
  return undefined;
}
