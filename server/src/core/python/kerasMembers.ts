// A Keras model's methods as a file calls them: add (Sequential), compile, fit / predict /
// evaluate (the batch and the example array, which builds the model), build(shape), and those that
// change nothing (summary, save). Apart from kerasHost.ts, which hands them the host's part they need.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { builtin } from './builtins';
import { batchArgument, type ExampleTensor } from './kerasExamples';
import type { KerasDiagnostic, KerasModel, RunCall } from './kerasTypes';
import { isUnknown, iterate, NONE, unknown, type PyValue } from './values';

/** what the methods need of the host */
export interface ModelHost {
  readonly diagnostics: KerasDiagnostic[];
  exampleIn(v: PyValue | undefined): ExampleTensor | undefined;
  giveInput(model: KerasModel, example: ExampleTensor, node: Node, typed?: boolean): void;
}

export function modelMember(host: ModelHost, model: KerasModel, name: string, site: Node): PyValue {
  switch (name) {
    case 'add':
      if (model.style !== 'sequential') break;
      return builtin(name, (args, s) => {
        const v = args.positional[0] ?? args.keywords.get('layer') ?? NONE;
        const node = s.childForFieldName('arguments')?.namedChildren[0] ?? s;
        model.layers.push({ value: v, node });
        return NONE;
      });
    case 'compile':
      return builtin(name, (args, s) => {
        model.compiled = s;
        const opt = args.keywords.get('optimizer') ?? args.positional[0];
        const node = s.childForFieldName('arguments')?.namedChildren.find((n) => n.type === 'keyword_argument' && n.childForFieldName('name')?.text === 'optimizer')?.childForFieldName('value') ?? s;
        if (opt) model.optimizer = { value: opt, node };
        return NONE;
      });
    case 'fit':
    case 'predict':
    case 'evaluate':
      // fit(x, y, batch_size), evaluate(x, y, batch_size), predict(x, batch_size): Keras builds the model on x
      return builtin(name, (args, s) => {
        const b = batchArgument(args, s, name === 'predict' ? 1 : 2);
        const example = host.exampleIn(args.positional[0] ?? args.keywords.get('x'));
        const run: RunCall = { node: s, ...(b.value ? { batch: { value: b.value, node: b.node } } : {}), ...(b.argumentsNode ? { argumentsNode: b.argumentsNode } : {}), ...(example ? { example } : {}) };
        if (name === 'fit') model.fit ??= run;
        else model.predict ??= run;
        if (example) host.giveInput(model, example, s);
        return unknown(s, name === 'fit' ? 'the training history is computed at run time' : `model.${name}() is computed at run time`);
      });
    case 'build':
      return builtin(name, (args, s) => {
        const shape = args.positional[0] ?? args.keywords.get('input_shape');
        const items = shape ? iterate(shape) : undefined;
        if (!items || items.length < 1) {
          host.diagnostics.push({ node: s, message: `the input shape of \`${s.text}\` is not known statically${shape && isUnknown(shape) ? ` (${shape.reason})` : ''}`, error: false });
          return NONE;
        }
        host.giveInput(model, { dims: items, node: s, dtype: 'float32' }, s, false);
        return NONE;
      });
    case 'summary':
    case 'save':
    case 'save_weights':
    case 'load_weights':
      return builtin(name, () => NONE);
  }
  return unknown(site, `\`.${name}\` of a Keras model is not modelled by memlens`);
}
