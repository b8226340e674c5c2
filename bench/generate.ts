// Generated .nnm models of a given op count for the scaling benchmark: a residual chain written out
// statement by statement (no repeat), so both the parser and the analyses see every op in the text.

/** ops per residual unit: dense, relu, dense, add */
const UNIT_OPS = 4;

/**
 * A valid model with exactly `ops` ops (ops >= 2): an input, residual units
 * `y = relu(dense(x)); x = add(x, dense(y))`, then single relu statements to make up the count.
 */
export function generateModel(ops: number, width = 64): string {
  if (!Number.isInteger(ops) || ops < 2) throw new Error(`generateModel needs at least 2 ops, got ${ops}`);
  const lines = [`# generated: ${ops} ops, residual chain of width ${width}`, `model generated_${ops} {`, `  x = input(${width})`];
  let remaining = ops - 1;
  let unit = 0;
  while (remaining >= UNIT_OPS) {
    lines.push(`  y${unit} = relu(dense(x, ${width}))`);
    lines.push(`  x = add(x, dense(y${unit}, ${width}))`);
    remaining -= UNIT_OPS;
    unit++;
  }
  for (; remaining > 0; remaining--) lines.push('  x = relu(x)');
  lines.push('  return x', '}', '');
  return lines.join('\n');
}
