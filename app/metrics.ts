/** Prometheus text exposition: request counters, latency histograms, queue depth, inference time. */

const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

class Histogram {
  readonly counts = new Array<number>(BUCKETS_MS.length).fill(0);
  sum = 0;
  count = 0;
  observe(ms: number): void {
    this.sum += ms;
    this.count++;
    BUCKETS_MS.forEach((b, i) => {
      if (ms <= b) this.counts[i]!++;
    });
  }
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  readonly inference = new Histogram();
  readonly batchSize = new Histogram();

  /** Counts a finished request and its latency. */
  record(route: string, method: string, status: number, ms: number): void {
    const key = `route="${route}",method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const lk = `route="${route}"`;
    let h = this.latency.get(lk);
    if (!h) this.latency.set(lk, (h = new Histogram()));
    h.observe(ms);
  }

  /** Pose requests received and not yet answered. */
  poseRequestsInFlight = 0;

  render(gauges: { queueDepth: number; inFlight: number; ready: boolean }): string {
    const out: string[] = [];
    out.push('# HELP deeppose_http_requests_total HTTP requests by route, method and status.', '# TYPE deeppose_http_requests_total counter');
    for (const [k, v] of this.requests) out.push(`deeppose_http_requests_total{${k}} ${v}`);
    out.push('# HELP deeppose_http_request_duration_ms Request latency in milliseconds.', '# TYPE deeppose_http_request_duration_ms histogram');
    for (const [k, h] of this.latency) hist(out, 'deeppose_http_request_duration_ms', k, h);
    out.push('# HELP deeppose_inference_duration_ms Time of one batched predict call in milliseconds.', '# TYPE deeppose_inference_duration_ms histogram');
    hist(out, 'deeppose_inference_duration_ms', '', this.inference);
    out.push('# HELP deeppose_batch_size Requests served by one predict call.', '# TYPE deeppose_batch_size histogram');
    hist(out, 'deeppose_batch_size', '', this.batchSize);
    out.push('# HELP deeppose_queue_depth Requests waiting for inference.', '# TYPE deeppose_queue_depth gauge', `deeppose_queue_depth ${gauges.queueDepth}`);
    out.push('# HELP deeppose_inflight_batches Batches running now.', '# TYPE deeppose_inflight_batches gauge', `deeppose_inflight_batches ${gauges.inFlight}`);
    out.push('# HELP deeppose_pose_requests_in_flight Pose requests received and not yet answered.', '# TYPE deeppose_pose_requests_in_flight gauge', `deeppose_pose_requests_in_flight ${this.poseRequestsInFlight}`);
    out.push('# HELP deeppose_ready Whether the model is loaded.', '# TYPE deeppose_ready gauge', `deeppose_ready ${gauges.ready ? 1 : 0}`);
    return `${out.join('\n')}\n`;
  }
}

function hist(out: string[], name: string, labels: string, h: Histogram): void {
  const l = (extra: string) => `{${[labels, extra].filter(Boolean).join(',')}}`;
  BUCKETS_MS.forEach((b, i) => out.push(`${name}_bucket${l(`le="${b}"`)} ${h.counts[i]}`));
  out.push(`${name}_bucket${l('le="+Inf"')} ${h.count}`);
  out.push(`${name}_sum${labels ? `{${labels}}` : ''} ${h.sum.toFixed(3)}`);
  out.push(`${name}_count${labels ? `{${labels}}` : ''} ${h.count}`);
}
