// The outline (document symbols) of a .nnm file, built when an editor asks for it. A model's
// statements are sketched after elaboration (names and offsets in columns), so the result need
// not keep the syntax tree of a large model alive until then.
import type { OutlineSymbol } from '../frontend';
import type { Graph } from '../ir';
import type { BlockItem, ConfigItem, Ident, ModelItem, NnmFile, Statement } from './ast';
import type { StatementTensors } from './elaborate';
import type { SourceLines } from './source';

/** a model's assignments as ModelSketch keeps them (`spans`: five numbers per assignment) */
export interface StreamedSketch {
  readonly spans: number[];
}

/** shared by every tensor symbol (read-only, frozen) */
const NO_CHILDREN: readonly OutlineSymbol[] = Object.freeze([]);

/** a model's statements as the outline shows them: assignments and configs, in order */
class ModelSketch {
  readonly name: Ident;
  readonly from: number;
  readonly to: number;
  readonly made: StatementTensors | undefined;
  /** per assignment: its index in the body, then the start and end keys of the statement and of its name (read back from the text) */
  readonly spans: number[];
  readonly assigns: number;
  /** each config statement with the number of assignments before it */
  readonly configs: { readonly before: number; readonly item: ConfigItem }[] = [];

  constructor(item: ModelItem, made: StatementTensors | undefined, streamed: StreamedSketch | undefined) {
    this.name = item.name;
    this.from = item.from;
    this.to = item.to;
    this.made = made;
    const body = item.body;
    if (streamed) {
      // the body kept its configs only, all above the first statement (frontend.ts)
      for (const s of body) if (s.kind === 'config') this.configs.push({ before: 0, item: s });
      this.spans = streamed.spans;
      this.assigns = streamed.spans.length / 5;
      return;
    }
    // a plain array: a typed one per model per analysis costs a small file more than its statements;
    // made at its size: grown by pushes, a 50,000-statement model's allocated 7 MB
    let assigns = 0;
    for (let index = 0; index < body.length; index++) if (body[index]!.kind === 'assign') assigns++;
    const spans = new Array<number>(5 * assigns);
    let k = 0;
    for (let index = 0; index < body.length; index++) {
      const s = body[index]!;
      if (s.kind === 'config') this.configs.push({ before: k, item: s });
      else if (s.kind === 'assign') {
        spans[5 * k] = index;
        spans[5 * k + 1] = s.from;
        spans[5 * k + 2] = s.to;
        spans[5 * k + 3] = s.name.from;
        spans[5 * k + 4] = s.name.to;
        k++;
      }
    }
    this.spans = spans;
    this.assigns = k;
  }
}

export class OutlineSketch {
  private readonly items: (ConfigItem | BlockItem | ModelSketch)[] = [];

  constructor(
    file: NnmFile,
    private readonly text: string,
    private readonly lines: SourceLines,
    results: ReadonlyMap<ModelItem, StatementTensors>,
    /** models elaborated as they were parsed: their assignments, which their bodies no longer hold */
    streamed?: ReadonlyMap<ModelItem, StreamedSketch>,
  ) {
    for (const item of file.items) {
      if (item.kind === 'config') this.items.push(item);
      else if (item.name.name === '') continue;
      else if (item.kind === 'model') this.items.push(new ModelSketch(item, results.get(item), streamed?.get(item)));
      else this.items.push(item);
    }
  }

  build(graphs: readonly Graph[]): OutlineSymbol[] {
    const out: OutlineSymbol[] = [];
    const details = new ShapeDetails();
    for (const item of this.items) {
      if (item instanceof ModelSketch) out.push(this.model(item, graphs, details));
      else if (item.kind === 'config') out.push(configSymbol(item));
      else {
        const params: OutlineSymbol[] = item.params.map((p) => ({ name: p.name.name, kind: 'parameter', range: p.range, selectionRange: p.name.range, ...(p.defaultText ? { detail: p.defaultText } : {}), children: [] }));
        out.push({ name: item.name.name, kind: 'block', range: item.range, selectionRange: item.name.range, detail: `(${item.params.map((p) => p.name.name).join(', ')})`, children: [...params, ...blockStatements(item.body)] });
      }
    }
    return out;
  }

  private model(sketch: ModelSketch, graphs: readonly Graph[], details: ShapeDetails): OutlineSymbol {
    const lines = this.lines;
    const children: OutlineSymbol[] = [];
    const made = sketch.made;
    const tensors = made ? graphs[made.graph]?.tensors : undefined;
    const { spans, assigns, configs } = sketch;
    let c = 0;
    for (let k = 0; k < assigns; k++) {
      while (c < configs.length && configs[c]!.before === k) children.push(configSymbol(configs[c++]!.item));
      const id = made?.tensors[spans[5 * k]!];
      const t = id !== undefined ? tensors?.[id] : undefined;
      const range = lines.range(spans[5 * k + 1]!, spans[5 * k + 2]!);
      const selectionRange = lines.range(spans[5 * k + 3]!, spans[5 * k + 4]!);
      const name = this.text.slice(spans[5 * k + 3]!, spans[5 * k + 4]!);
      // built whole: a property added later would grow a second store in each of 100k symbols
      children.push(
        t
          ? { name, kind: 'tensor', range, selectionRange, children: NO_CHILDREN, detail: details.of(t.shape) }
          : { name, kind: 'tensor', range, selectionRange, children: NO_CHILDREN },
      );
    }
    while (c < configs.length) children.push(configSymbol(configs[c++]!.item));
    return { name: sketch.name.name, kind: 'model', range: lines.range(sketch.from, sketch.to), selectionRange: sketch.name.range, children };
  }
}

/** a block's configs and assignments (a block has no graph: no shapes) */
function blockStatements(body: readonly Statement[]): OutlineSymbol[] {
  const children: OutlineSymbol[] = [];
  for (const s of body) {
    if (s.kind === 'config') children.push(configSymbol(s));
    else if (s.kind === 'assign') children.push({ name: s.name.name, kind: 'tensor', range: s.range, selectionRange: s.name.range, children: NO_CHILDREN });
  }
  return children;
}

/** `[64]` for a shape; consecutive statements mostly share a shape, so its text is made once */
class ShapeDetails {
  private shape: readonly number[] = [];
  private text = '[]';

  of(shape: readonly number[]): string {
    const last = this.shape;
    let same = shape.length === last.length;
    for (let k = 0; same && k < shape.length; k++) same = shape[k] === last[k];
    if (!same) {
      this.shape = shape;
      this.text = `[${shape.join(', ')}]`;
    }
    return this.text;
  }
}

function configSymbol(item: ConfigItem): OutlineSymbol {
  return {
    name: 'config',
    kind: 'config',
    range: item.range,
    selectionRange: item.keywordRange,
    children: item.entries.map((e) => ({ name: e.key.name, kind: 'config' as const, range: e.range, selectionRange: e.key.range, detail: e.valueText, children: [] })),
  };
}
