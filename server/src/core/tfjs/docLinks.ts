// Which section of docs/tfjs.md lists what the TensorFlow.js frontend supports for the construct a
// diagnostic names: the editor links the diagnostic's code there (CoreDiagnostic.doc).
// test/unit/tfjs/docLinks.test.ts checks that every section named here is a heading of docs/tfjs.md.
import type { CoreDiagnostic } from '../ir';
import { TFJS_CODES } from './codes';

const PAGE = 'tfjs.md';

/** the section by code; a message about a recurrent layer or a nested model goes to its own section */
const BY_CODE: Readonly<Record<string, string>> = {
  [TFJS_CODES.notReady]: 'nnm300',
  [TFJS_CODES.unresolved]: 'static-values',
  [TFJS_CODES.controlFlow]: 'control-flow',
  [TFJS_CODES.unsupported]: 'layers',
  [TFJS_CODES.shape]: 'layers',
  [TFJS_CODES.noInputShape]: 'models',
  [TFJS_CODES.invalidConfig]: 'layers',
  [TFJS_CODES.limit]: 'limits',
  [TFJS_CODES.internal]: 'nnm309',
};

const LAYER_CODES: ReadonlySet<string> = new Set([TFJS_CODES.unsupported, TFJS_CODES.shape, TFJS_CODES.invalidConfig]);

function sectionOf(d: CoreDiagnostic): string | undefined {
  if (/applied here as a layer/.test(d.message)) return 'models-used-as-layers';
  if (LAYER_CODES.has(d.code)) {
    if (/^tf\.layers\.\w+: /.test(d.message)) return 'layers-not-modelled';
    if (/returnState|initialState|mergeMode|^(bidirectional|rnn|lstm|gru|simpleRNN)\b|recurrent cell|stacked cells/.test(d.message)) return 'recurrent-layers';
  }
  if (d.code === TFJS_CODES.unresolved && /\bfunction parameter\b|computed at run time|entry point/.test(d.message)) return 'not-resolvable';
  return BY_CODE[d.code];
}

/** the diagnostic with the docs section that lists what is supported (one it already names is kept) */
export function withDocLink(d: CoreDiagnostic): CoreDiagnostic {
  if (d.doc) return d;
  const section = sectionOf(d);
  return section ? { ...d, doc: `${PAGE}#${section}` } : d;
}

/** every section withDocLink can name, for the test that reads docs/tfjs.md's headings */
export const DOC_SECTIONS: readonly string[] = [...new Set([...Object.values(BY_CODE), 'models-used-as-layers', 'layers-not-modelled', 'recurrent-layers', 'not-resolvable'])];
