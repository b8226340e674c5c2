// Stable diagnostic codes of the .nnm frontend; each is documented in docs/diagnostics.md.
import type { CoreDiagnostic, Severity, SourceRange } from '../ir';

export const Code = {
  /** syntax error: unexpected or missing token */
  syntax: 'NNM101',
  /** invalid character, malformed number, unknown unit, unterminated string */
  invalidToken: 'NNM102',
  /** expression nested or chained too deeply */
  tooDeep: 'NNM103',
  /** call of a name that is neither an op nor a block */
  unknownCallee: 'NNM110',
  /** use of a name that is not bound */
  unknownName: 'NNM111',
  /** a block or model defined twice, or a block named like an op */
  duplicate: 'NNM112',
  /** named argument the op or block does not take */
  unknownArgument: 'NNM120',
  /** argument of the wrong kind (tensor / int / list / enum / bool) */
  argumentType: 'NNM121',
  /** required argument not given */
  missingArgument: 'NNM122',
  /** more positional arguments than the op or block takes */
  tooManyArguments: 'NNM123',
  /** the same argument given twice */
  duplicateArgument: 'NNM124',
  /** a number outside the argument's bounds (kernel: 0) */
  argumentRange: 'NNM125',
  /** the op's shape rule rejected its inputs */
  shape: 'NNM130',
  /** integer overflow, a non-integer where an integer is needed, a number that cannot be counted exactly */
  number: 'NNM131',
  /** compile-time evaluation error: tensor in arithmetic, non-bool condition, division by zero */
  evaluation: 'NNM132',
  /** unknown config key */
  configKey: 'NNM140',
  /** invalid config value */
  configValue: 'NNM141',
  /** config key given twice in one config (warning) */
  configDuplicate: 'NNM142',
  /** config where it is not allowed (inside a block) */
  configPlacement: 'NNM143',
  /** a block calls itself, directly or through other blocks */
  recursion: 'NNM150',
  /** expansion past the limits (ops per model, repeat count, block nesting) */
  expansionLimit: 'NNM151',
  /** a model without `return` (warning) */
  modelNoReturn: 'NNM160',
  /** a block without `return` */
  blockNoReturn: 'NNM161',
  /** statements after `return` (warning) */
  unreachable: 'NNM162',
} as const;

export type CodeName = keyof typeof Code;

export function diag(code: CodeName, range: SourceRange, message: string, severity: Severity = 'error'): CoreDiagnostic {
  return { code: Code[code], range, message, severity };
}
