// Device presets: memory size and the SIMD width the batch must fill.
import type { Device, DeviceKind } from './ir';

const GiB = 1024 ** 3;

export const DEVICE_PRESETS: Readonly<Record<string, Device>> = {
  'v100-16gb': { name: 'v100-16gb', kind: 'gpu', memoryBytes: 16 * GiB, vectorBits: 1024, supportsBf16: false },
  'v100-32gb': { name: 'v100-32gb', kind: 'gpu', memoryBytes: 32 * GiB, vectorBits: 1024, supportsBf16: false },
  't4-16gb': { name: 't4-16gb', kind: 'gpu', memoryBytes: 16 * GiB, vectorBits: 1024, supportsBf16: false },
  'a100-40gb': { name: 'a100-40gb', kind: 'gpu', memoryBytes: 40 * GiB, vectorBits: 1024, supportsBf16: true },
  'a100-80gb': { name: 'a100-80gb', kind: 'gpu', memoryBytes: 80 * GiB, vectorBits: 1024, supportsBf16: true },
  'h100-80gb': { name: 'h100-80gb', kind: 'gpu', memoryBytes: 80 * GiB, vectorBits: 1024, supportsBf16: true },
  'rtx4090-24gb': { name: 'rtx4090-24gb', kind: 'gpu', memoryBytes: 24 * GiB, vectorBits: 1024, supportsBf16: true },
  // GPUs people rent (issue 18). Vendors' "GB" of device memory are binary (GiB): an A10G's 24 GB
  // shows as 23,028 MiB usable in nvidia-smi, an H200's 141 GB as 143,771 MiB (140.4 GiB)
  'a10g-24gb': { name: 'a10g-24gb', kind: 'gpu', memoryBytes: 24 * GiB, vectorBits: 1024, supportsBf16: true },
  'l4-24gb': { name: 'l4-24gb', kind: 'gpu', memoryBytes: 24 * GiB, vectorBits: 1024, supportsBf16: true },
  'h200-141gb': { name: 'h200-141gb', kind: 'gpu', memoryBytes: 141 * GiB, vectorBits: 1024, supportsBf16: true },
  'mi300x-192gb': { name: 'mi300x-192gb', kind: 'gpu', memoryBytes: 192 * GiB, vectorBits: 1024, supportsBf16: true },
  // Google TPU v5e: 16 GiB HBM per chip; a systolic array, so no SIMD lane-fill figure is claimed
  'tpu-v5e-16gb': { name: 'tpu-v5e-16gb', kind: 'gpu', memoryBytes: 16 * GiB, vectorBits: 0, supportsBf16: true },
  // Graphcore IPU Mk2 (GC200): 900 MB of in-processor SRAM; executes convolutions directly, no lane-filling batch
  'ipu-mk2': { name: 'ipu-mk2', kind: 'ipu', memoryBytes: 900 * 1024 ** 2, vectorBits: 0, supportsBf16: false },
  // an AVX-512 machine; oneDNN's blocked layouts follow the vector width (framework/onednn.ts)
  cpu: { name: 'cpu', kind: 'cpu', memoryBytes: 64 * GiB, vectorBits: 512, supportsBf16: true },
  'cpu-avx2': { name: 'cpu-avx2', kind: 'cpu', memoryBytes: 64 * GiB, vectorBits: 256, supportsBf16: false },
};

export const DEFAULT_VECTOR_BITS: Readonly<Record<DeviceKind, number>> = { gpu: 1024, cpu: 512, ipu: 0 };

export function devicePreset(name: string): Device | undefined {
  return Object.prototype.hasOwnProperty.call(DEVICE_PRESETS, name) ? DEVICE_PRESETS[name] : undefined;
}

export function customDevice(kind: DeviceKind, memoryBytes: number): Device {
  return { name: kind, kind, memoryBytes, vectorBits: DEFAULT_VECTOR_BITS[kind], supportsBf16: kind !== 'ipu' };
}

/** lanes of a SIMD vector at an element size: 1024-bit fp32 -> 32, fp16 -> 64 */
export function simdLanes(device: Device, bytesPerElement: number): number {
  return device.vectorBits === 0 ? 0 : device.vectorBits / (8 * bytesPerElement);
}
