// Growable typed columns: the engine's per-step and per-value tables are built with these instead
// of one object (and one array) per row, so a 100,000-op model allocates a few arrays, not millions
// of objects the garbage collector must trace. Two classes rather than one generic over the array
// type: each push site then sees one array kind and stays fast.

export class IntColumn {
  private data: Int32Array;
  length = 0;
  constructor(capacity = 64) {
    this.data = new Int32Array(Math.max(4, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  at(index: number): number {
    return this.data[index]!;
  }
  /** the filled part; the column must not be pushed to afterwards */
  finish(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export class FloatColumn {
  private data: Float64Array;
  length = 0;
  constructor(capacity = 64) {
    this.data = new Float64Array(Math.max(4, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  at(index: number): number {
    return this.data[index]!;
  }
  set(index: number, value: number): void {
    if (index < 0 || index >= this.length) throw new Error(`column index ${index} out of range`);
    this.data[index] = value;
  }
  finish(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
