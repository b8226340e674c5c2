// Every diagnostic code memlens reports, with a short name, one line, and the page that documents
// it: what SARIF's rule table and other machine readers need. The lint rules (NNM2xx) come from
// the rule registry; the frontends' and the language's codes are listed here.
import { RULES } from './rules';

export interface CodeEntry {
  readonly code: string;
  /** a short PascalCase name (SARIF's rule `name`) */
  readonly name: string;
  /** one line saying when the code is reported */
  readonly summary: string;
  /** the documentation page and anchor, relative to docs/ */
  readonly doc: string;
}

const LANGUAGE: readonly (readonly [string, string, string])[] = [
  ['NNM001', 'FileTooLarge', 'a file longer than memlens analyses in its language'],
  ['NNM101', 'SyntaxError', 'an unexpected or missing token'],
  ['NNM102', 'InvalidToken', 'a character, number or string that is not part of the language'],
  ['NNM103', 'NestedTooDeep', 'an expression nested or chained more than 200 levels deep'],
  ['NNM110', 'UnknownOp', 'a call of a name that is neither an op nor a block of the file'],
  ['NNM111', 'UnboundName', 'a name that is not bound at that point'],
  ['NNM112', 'DuplicateDefinition', 'a block, model or parameter defined twice'],
  ['NNM120', 'UnknownArgument', 'a named argument the op or block does not take'],
  ['NNM121', 'WrongArgumentKind', 'an argument of the wrong kind (a tensor where an integer is needed, or the reverse)'],
  ['NNM122', 'MissingArgument', 'a required argument is missing'],
  ['NNM123', 'TooManyArguments', 'more positional arguments than the op or block takes'],
  ['NNM124', 'DuplicateArgument', 'the same argument given twice'],
  ['NNM125', 'ArgumentOutOfBounds', "a number outside the argument's bounds"],
  ['NNM130', 'ShapeError', "the op's shape rule rejected its inputs, or its size cannot be counted exactly"],
  ['NNM131', 'InexactNumber', 'a number that cannot be used exactly (beyond 2^53 - 1, or not finite)'],
  ['NNM132', 'EvaluationError', 'a compile-time evaluation error'],
  ['NNM140', 'UnknownConfigKey', 'an unknown key in a config { }'],
  ['NNM141', 'InvalidConfigValue', 'an invalid config value'],
  ['NNM142', 'DuplicateConfigKey', 'a config key given twice in one config { }'],
  ['NNM143', 'MisplacedConfig', 'a config { } inside a block'],
  ['NNM150', 'RecursiveBlock', 'a block that calls itself, directly or through other blocks'],
  ['NNM151', 'ExpansionLimit', 'expansion past a limit'],
  ['NNM160', 'ModelWithoutReturn', 'a model without return: its last tensor is taken as the output'],
  ['NNM161', 'BlockWithoutReturn', 'a block without return'],
  ['NNM162', 'UnreachableStatement', 'statements after return'],
];

const TFJS: readonly (readonly [string, string, string])[] = [
  ['NNM300', 'TypeScriptParserLoading', 'the TypeScript parser is still loading'],
  ['NNM301', 'NotStaticallyResolvable', 'a value the model depends on is not statically resolvable'],
  ['NNM302', 'ControlFlowNotFollowed', 'control flow memlens cannot follow changes a model'],
  ['NNM303', 'LayerNotModelled', 'a layer type or option memlens does not model yet'],
  ['NNM304', 'LayerShapeMismatch', 'a layer does not fit the tensor it is applied to'],
  ['NNM305', 'MissingInputShape', 'the first layer of a sequential model declares no inputShape'],
  ['NNM306', 'InvalidLayerConfig', 'an invalid layer config value, for which tf.js would throw'],
  ['NNM307', 'TfjsAnalysisLimit', 'an analysis limit was reached'],
  ['NNM309', 'TfjsInternalError', 'a defect in memlens itself'],
];

const PYTHON: readonly (readonly [string, string, string])[] = [
  ['NNM400', 'PythonParserLoading', 'the Python parser is still loading'],
  ['NNM401', 'NotKnownStatically', 'a value, branch, call or op a model depends on is not known statically'],
  ['NNM402', 'ModelWithoutInput', 'a model is built but has no input (no example call, no pragma)'],
  ['NNM403', 'TorchWouldRaise', 'a layer does not fit its input, or a constructor torch would reject'],
  ['NNM404', 'EvaluationLimit', 'evaluation stopped at its step limit'],
  ['NNM405', 'MalformedPragma', 'a malformed # memlens: pragma'],
  ['NNM409', 'PythonInternalError', 'a defect in memlens itself'],
];

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export const DIAGNOSTIC_CATALOG: readonly CodeEntry[] = [
  ...LANGUAGE.map(([code, name, summary]) => ({ code, name, summary, doc: `diagnostics.md#${code.toLowerCase()}` })),
  ...RULES.map((r) => ({ code: r.code, name: pascal(r.name), summary: r.summary, doc: `rules.md#${r.code.toLowerCase()}-${r.name.toLowerCase()}` })),
  ...TFJS.map(([code, name, summary]) => ({ code, name, summary, doc: `tfjs.md#${code.toLowerCase()}` })),
  ...PYTHON.map(([code, name, summary]) => ({ code, name, summary, doc: 'python.md#diagnostics-nnm4xx' })),
];

const BY_CODE = new Map(DIAGNOSTIC_CATALOG.map((e) => [e.code, e]));

/** where the docs are published (package.json's repository); the CLI's SARIF reads the same from package.json */
export const DOCS_URI = 'https://github.com/memlens/memlens/blob/main/docs';

/** the link of a diagnostic that names its docs section (CoreDiagnostic.doc) */
export function docHref(doc: string): string {
  return `${DOCS_URI}/${doc}`;
}

export function catalogEntry(code: string): CodeEntry | undefined {
  return BY_CODE.get(code);
}
