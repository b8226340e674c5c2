// The node flags the extension starts the language server with; the benchmarks start their
// workers and the server with the same ones, so their figures are the server's.
// A larger young generation: a big model's analysis allocates many objects that live for one
// analysis, and with the default 16 MiB semi-space they were copied by a scavenge every few
// milliseconds (100,000 generated ops: 3.7 s -> 2.8 s per analysis when this was set; today's
// figures in the README).
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
