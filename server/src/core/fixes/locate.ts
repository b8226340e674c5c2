// Finding the .nnm syntax a fix edits: the call at an op's site, the statement around a range,
// and the config entries that decide a model's setting. The text is re-parsed (cheap, pure).
import type { Arg, Call, ConfigEntry, ConfigItem, Expr, ModelItem, NnmFile, Statement } from '../dsl/ast';
import { parseNnm } from '../dsl/parser';
import { sameRange, type Position, type SourceRange } from '../ir';

// the fixes of one lightbulb request all locate their syntax in the same text: parse it once
let last: { readonly text: string; readonly file: NnmFile } | undefined;

/** the syntax tree of `text` (the last one is kept: the tree is never mutated) */
export function parseFile(text: string): NnmFile {
  if (last?.text !== text) last = { text, file: parseNnm(text).file };
  return last.file;
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

export function within(inner: SourceRange, outer: SourceRange): boolean {
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

function bodies(file: NnmFile): (readonly Statement[])[] {
  return file.items.filter((i) => i.kind !== 'config').map((i) => (i as { body: readonly Statement[] }).body);
}

/** the call expression whose range is exactly `site` (an op call, a block call, or the call of a `repeat`) */
export function findCall(file: NnmFile, site: SourceRange): Call | undefined {
  let found: Call | undefined;
  const visit = (e: Expr): void => {
    if (found || !within(site, e.range)) return;
    switch (e.kind) {
      case 'call':
        if (sameRange(e.range, site)) found = e;
        else for (const a of e.args) visit(a.value);
        return;
      case 'repeat':
        visit(e.call);
        return;
      case 'unary':
        visit(e.operand);
        return;
      case 'binary':
        visit(e.left);
        visit(e.right);
        return;
      case 'ternary':
        visit(e.cond);
        visit(e.then);
        visit(e.otherwise);
        return;
      case 'list':
        e.items.forEach(visit);
        return;
      default:
        return;
    }
  };
  for (const body of bodies(file)) for (const s of body) if (s.kind !== 'config') visit(s.value);
  return found;
}

/** the assignment statement that contains `range` */
export function findStatement(file: NnmFile, range: SourceRange): Statement | undefined {
  for (const body of bodies(file)) for (const s of body) if (s.kind === 'assign' && within(range, s.range)) return s;
  return undefined;
}

export function namedArg(call: Call, name: string): Arg | undefined {
  return call.args.find((a) => a.name?.name === name);
}

export interface ConfigTarget {
  /** the entry to edit, when the key is set where it decides the model's value */
  readonly entry?: ConfigEntry;
  /** else the config to insert the key into */
  readonly config?: ConfigItem;
  /** else the model whose body gets a new config */
  readonly model?: ModelItem;
}

/**
 * Where to set `key` for model `name`: its own config's entry; else the file config's entry when
 * the file has one model (or the model's config lacks the key and no other model depends on it);
 * else insert into the model's config, else into the single-model file's config, else a new config.
 */
export function configTarget(file: NnmFile, name: string, key: string): ConfigTarget | undefined {
  const model = file.items.find((i): i is ModelItem => i.kind === 'model' && i.name.name === name);
  if (!model) return undefined;
  const models = file.items.filter((i) => i.kind === 'model').length;
  const modelConfigs = model.body.filter((s): s is ConfigItem => s.kind === 'config');
  const fileConfigs = file.items.filter((i): i is ConfigItem => i.kind === 'config');
  const lastEntry = (configs: readonly ConfigItem[]): ConfigEntry | undefined => {
    let out: ConfigEntry | undefined;
    for (const c of configs) for (const e of c.entries) if (e.key.name === key) out = e;
    return out;
  };
  const own = lastEntry(modelConfigs);
  if (own) return { entry: own };
  const shared = lastEntry(fileConfigs);
  if (shared && models === 1) return { entry: shared };
  if (modelConfigs.length > 0) return { config: modelConfigs[modelConfigs.length - 1]! };
  if (fileConfigs.length > 0 && models === 1) return { config: fileConfigs[fileConfigs.length - 1]! };
  return { model };
}
