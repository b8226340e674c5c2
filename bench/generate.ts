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

/** a file of `models` builder functions, each a sequential CNN or MLP; about 100 lines each */
export function generateTfjsFile(targetLines: number): string {
  const lines = ["import * as tf from '@tensorflow/tfjs';", '', 'const WIDTH = 64;', ''];
  for (let m = 0; lines.length < targetLines; m++) {
    lines.push(`export function buildModel${m}(): tf.Sequential {`, '  const model = tf.sequential();');
    lines.push(`  model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: WIDTH, kernelSize: 3, padding: 'same' }));`);
    for (let i = 0; i < 8; i++) {
      lines.push(`  model.add(tf.layers.conv2d({`, `    filters: WIDTH + ${(i % 4) * 16},`, `    kernelSize: 3,`, `    padding: 'same',`, `    activation: 'relu',`, `  }));`);
      lines.push(`  model.add(tf.layers.batchNormalization());`);
      if (i % 3 === 2) lines.push(`  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));`);
    }
    lines.push('  model.add(tf.layers.flatten());');
    for (let i = 0; i < 6; i++) lines.push(`  // head layer ${i}`, `  model.add(tf.layers.dense({ units: ${256 >> (i % 4)}, activation: 'relu' }));`, `  model.add(tf.layers.dropout({ rate: 0.1 }));`);
    lines.push("  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));");
    lines.push("  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });", '  return model;', '}', '');
  }
  return lines.join('\n');
}
