// The `--json` report: one object per file. Later versions add fields, never rename these.
import type { DocumentAnalysis, ModelAnalysis } from '../core/document';
import type { CoreDiagnostic } from '../core/ir';
import { atBatch } from '../core/units';

export interface JsonTensor {
  name: string;
  /** 1-based line of the call that produced it */
  line: number;
  op: string;
  /** "N" (the symbolic batch) followed by the per-sample dims */
  shape: (number | 'N')[];
  dtype: string;
  params: number;
  /** bytes at the configured batch */
  bytes: number;
}

export interface JsonModel {
  name: string;
  line: number;
  config: { mode: string; batch: number; precision: string; optimizer: string; device: string; deviceMemory: number; layout: string };
  params: { trainable: number; nonTrainable: number };
  activationElementsPerSample: number;
  bytes: { weights: number; buffers: number; activations: number; activationsPerSample: number; gradients: number; optimizer: number; total: number };
  tensors: JsonTensor[];
}

export interface JsonDiagnostic {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
}

export interface JsonReport {
  file: string;
  models: JsonModel[];
  diagnostics: JsonDiagnostic[];
}

export function toJsonReport(file: string, analysis: DocumentAnalysis): JsonReport {
  return {
    file,
    models: analysis.models.map(toJsonModel),
    diagnostics: analysis.diagnostics.map(toJsonDiagnostic),
  };
}

function toJsonModel({ graph, footprint }: ModelAnalysis): JsonModel {
  const { config } = graph;
  const batch = config.batch;
  const b = footprint.bytes;
  const optimizer =
    config.optimizer.kind === 'sgd' && config.optimizer.momentum > 0
      ? `sgd(momentum: ${config.optimizer.momentum})`
      : config.optimizer.kind;
  return {
    name: graph.name,
    line: graph.nameRange.start.line + 1,
    config: {
      mode: config.mode,
      batch,
      precision: config.precision,
      optimizer,
      device: config.device.name,
      deviceMemory: config.device.memoryBytes,
      layout: config.layout,
    },
    params: { ...footprint.params },
    activationElementsPerSample: footprint.activationElementsPerSample,
    bytes: {
      weights: atBatch(b.weights, batch) + atBatch(b.buffers, batch),
      buffers: atBatch(b.buffers, batch),
      activations: atBatch(b.activations, batch),
      activationsPerSample: b.activations.perSample,
      gradients: atBatch(b.gradients, batch),
      optimizer: atBatch(b.optimizer, batch),
      total: atBatch(b.total, batch),
    },
    tensors: graph.ops.map((op, i) => {
      const t = graph.tensors[op.output]!;
      const opBytes = footprint.perOp[i]!.outputBytes;
      return {
        name: t.name,
        line: op.site.start.line + 1,
        op: op.op,
        shape: ['N', ...t.shape],
        dtype: t.dtype,
        params: op.params.trainable + op.params.nonTrainable,
        bytes: atBatch(opBytes, batch),
      };
    }),
  };
}

function toJsonDiagnostic(d: CoreDiagnostic): JsonDiagnostic {
  return {
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
}
