/**
 * A progress bar on stderr for long work. On a terminal it redraws one line;
 * otherwise (CI logs, pipes) it prints nothing until `done()`, then one
 * summary line, so logs stay short.
 */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const start = Date.now();
  let count = 0;
  let lastDraw = 0;
  let finished = false;
  const tty = Boolean(stream.isTTY);
  const draw = (final: boolean) => {
    const frac = total > 0 ? Math.min(1, count / total) : 1;
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? count / secs : 0;
    const eta = rate > 0 && total > count ? (total - count) / rate : 0;
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const text = `${label} ${bar} ${count}/${total} ${(frac * 100).toFixed(0)}% ${rate.toFixed(1)}/s${final ? ` in ${secs.toFixed(1)}s` : ` eta ${eta.toFixed(0)}s`}`;
    if (tty) stream.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    else stream.write(`${text}\n`);
  };
  return {
    tick(n = 1) {
      count += n;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw > 100) {
          lastDraw = now;
          draw(false);
        }
      }
    },
    done() {
      if (finished) return;
      finished = true;
      draw(true);
    },
  };
}
