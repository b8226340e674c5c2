// Diagnostic codes of the Python frontend (NNM4xx), documented in docs/python.md.
export const PY_CODES = {
  /** the tree-sitter runtime is not loaded yet */
  notReady: 'NNM400',
  /** a value, call or branch the model depends on is not statically resolvable */
  unresolved: 'NNM401',
  /** a model is built but never called on an example input, and has no input pragma */
  noInput: 'NNM402',
  /** a layer does not fit the tensor it is given (torch would raise) */
  shape: 'NNM403',
  /** evaluation stopped at its step limit */
  limit: 'NNM404',
  /** a malformed `# memlens:` pragma */
  pragma: 'NNM405',
  /** a defect in memlens itself (never expected; the fuzz tests assert it does not occur) */
  internal: 'NNM409',
} as const;
