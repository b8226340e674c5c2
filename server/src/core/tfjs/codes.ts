// Diagnostic codes of the TensorFlow.js frontend (NNM3xx), documented in docs/tfjs.md.
export const TFJS_CODES = {
  /** the tree-sitter runtime is not loaded yet */
  notReady: 'NNM300',
  /** a value the model depends on is not statically resolvable */
  unresolved: 'NNM301',
  /** a loop or branch whose path is only known at run time changes a model */
  controlFlow: 'NNM302',
  /** a layer type or option memlens does not model yet */
  unsupported: 'NNM303',
  /** a layer does not fit the tensor it is applied to */
  shape: 'NNM304',
  /** a sequential model whose first layer declares no input shape */
  noInputShape: 'NNM305',
  /** an invalid layer config value (tf.js would throw) */
  invalidConfig: 'NNM306',
  /** unrolling or call inlining stopped at its limit */
  limit: 'NNM307',
  /** a defect in memlens itself (never expected; the fuzz tests assert it does not occur) */
  internal: 'NNM309',
} as const;
