/** Formatting of benchmark results as the Markdown page docs/benchmarks.md. */

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** One-minute load average when the run started and when it ended. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** Measurements of one setup over all frames. */
export interface SetupResult {
  readonly name: string;
  /** Worker threads; 0 for the calling thread. */
  readonly workers: number;
  readonly frames: number;
  readonly decodeMs: readonly number[];
  readonly inferenceMs: readonly number[];
  readonly framesPerSecond: number;
  readonly eventLoopP99Ms: number;
}

/** Nearest-rank percentile of a sample, p in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

function ms(value: number): string {
  return value.toFixed(value < 10 ? 1 : 0);
}

function row(result: SetupResult, baseline: SetupResult): string {
  const speedup = result.framesPerSecond / baseline.framesPerSecond;
  return [
    result.name,
    result.frames,
    ms(percentile(result.decodeMs, 50)),
    ms(percentile(result.decodeMs, 99)),
    ms(percentile(result.inferenceMs, 50)),
    ms(percentile(result.inferenceMs, 99)),
    result.framesPerSecond.toFixed(2),
    `${speedup.toFixed(2)}x`,
    ms(result.eventLoopP99Ms),
  ].join(' | ');
}

/** One-minute load above this when the run starts suggests other processes competed for the cores. */
const BUSY_LOAD = 0.5;

function describeLoad(machine: MachineInfo): string {
  if (machine.loadAverage.start < BUSY_LOAD) return 'The machine was otherwise idle when the run started.';
  // The one-minute average also counts work that ended shortly before the run, so a
  // value above BUSY_LOAD shows possible competition, not proof of it.
  return `The load was above ${BUSY_LOAD} when the run started, so other processes may have competed for the cores and these numbers may understate what an idle machine does.`;
}

export function formatReport(machine: MachineInfo, date: Date, results: readonly SetupResult[]): string {
  const baseline = results[0];
  if (!baseline) throw new Error('no benchmark results to report');

  return `# Classifier benchmarks

Written by \`npm run bench\` (scripts/bench.ts); rerun it to refresh this page. Numbers are from one run on one machine, not a specification.

## Machine

- Date: ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC
- CPU: ${machine.cpu}, ${machine.cores} cores available to Node.js, ${machine.memoryGiB} GiB RAM
- ${machine.platform}, Node.js ${machine.node}, TF.js 4.22 wasm backend with SIMD, single-threaded per worker
- One-minute load average: ${machine.loadAverage.start.toFixed(2)} at the start, ${machine.loadAverage.end.toFixed(2)} at the end (including this benchmark). ${describeLoad(machine)}

## Method

- Frames: the 30 test photos (test/fixtures) cropped and resized to 640x480 and re-encoded as JPEG (quality 80), like webcam frames, reused in turn.
- Each setup first classifies one frame to warm up, and only then starts the measurement.
- **Baseline**: one engine on the calling thread, one frame at a time. This is how a server without worker threads would run, with the event loop blocked during each inference.
- **Pools**: all frames are submitted at once, so every worker is busy until the queue is empty.
- Decode is sharp's header check, decode and letterbox to 512x512, measured inside the worker. Inference is the TF.js forward pass plus reading the detections back.
- Throughput is frames divided by wall-clock time, and the speed-up is relative to the baseline's throughput.
- Event-loop p99 is the 99th percentile of \`perf_hooks.monitorEventLoopDelay\` on the calling thread during the run.
- The cpu row uses fewer frames, because each one takes seconds.

## Results

| setup | frames | decode median ms | decode p99 ms | inference median ms | inference p99 ms | frames/s | speed-up vs baseline | event-loop p99 ms |
|---|---|---|---|---|---|---|---|---|
${results.map((result) => `| ${row(result, baseline)} |`).join('\n')}
`;
}
