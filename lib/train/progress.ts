/**
 * Progress of a training run: a redrawn bar on a terminal, plain lines otherwise
 * (logs, CI, notebooks). Writes to stderr so stdout stays machine-readable.
 */
export interface ProgressSink {
  epochStart(epoch: number, maxEpochs: number): void;
  step(done: number, total: number, loss: number): void;
  epochEnd(line: string): void;
  done(line: string): void;
}

export const silentProgress: ProgressSink = { epochStart() {}, step() {}, epochEnd() {}, done() {} };

export function consoleProgress(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const tty = Boolean(stream.isTTY);
  const start = Date.now();
  let epoch = 0;
  let maxEpochs = 0;
  let lastDraw = 0;
  const eta = (fraction: number) => {
    if (fraction <= 0) return '?';
    const left = ((Date.now() - start) / fraction) * (1 - fraction) / 1000;
    return left > 90 ? `${(left / 60).toFixed(1)} min` : `${left.toFixed(0)} s`;
  };
  return {
    epochStart(e, max) { epoch = e; maxEpochs = max; },
    step(done, total, loss) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const width = 24;
      const filled = Math.round((done / total) * width);
      const overall = (epoch - 1 + done / total) / maxEpochs;
      stream.write(`\r${label} epoch ${epoch}/${maxEpochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] loss ${loss.toFixed(4)} eta ${eta(overall)}   `);
    },
    epochEnd(line) {
      if (tty) stream.write('\r\x1b[K');
      stream.write(`${label} ${line}\n`);
    },
    done(line) {
      if (tty) stream.write('\r\x1b[K');
      stream.write(`${label} ${line}\n`);
    },
  };
}
