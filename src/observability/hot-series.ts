/**
 * Counters and histograms for what is counted on every request, kept as plain
 * numbers per label set and turned into prom-client's form only when scraped.
 * prom-client's own Counter and Histogram hash and validate their labels on every
 * call, which under load cost more than the rest of the metrics together. Each
 * class registers in a prom-client Registry like any metric (the scrape, the
 * cluster aggregation and the text format are prom-client's). A caller gets a
 * label set's series once (`series(...)`) and keeps it: counting is then an addition.
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** What a prom-client Registry reads of a metric. */
abstract class HotMetric<S extends { labels: Labels }> {
  private readonly byKey = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of these label values (as many as, and in the order of, the label names), made on first use. */
  series(...labelValues: string[]): S {
    const key = labelValues.join('\u0000');
    let found = this.byKey.get(key);
    if (!found) {
      found = this.create(Object.fromEntries(this.labelNames.map((name, i) => [name, labelValues[i] ?? ''])));
      this.byKey.set(key, found);
    }
    return found;
  }

  protected abstract create(labels: Labels): S;
  protected abstract values(series: S): Value[];

  async get() {
    const values: Value[] = [];
    for (const series of this.byKey.values()) values.push(...this.values(series));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }

  reset(): void {
    this.byKey.clear();
  }
}

export interface CounterSeries {
  labels: Labels;
  /** Add to it. */
  count: number;
}

export class HotCounter extends HotMetric<CounterSeries> {
  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    super(name, help, 'counter', labelNames, registry);
  }

  protected create(labels: Labels): CounterSeries {
    return { labels, count: 0 };
  }

  protected values(series: CounterSeries): Value[] {
    return [{ labels: series.labels, value: series.count }];
  }
}

export interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

export class HotHistogram extends HotMetric<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, 'histogram', labelNames, registry);
  }

  /** One observation in a series of this histogram. */
  observe(series: HistogramSeries, value: number): void {
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.sum += value;
    series.count++;
  }

  protected create(labels: Labels): HistogramSeries {
    return { labels, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  protected values(series: HistogramSeries): Value[] {
    const bucketName = `${this.name}_bucket`;
    const values: Value[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += series.buckets[i]!;
      values.push({ labels: { le: String(bound), ...series.labels }, value: cumulative, metricName: bucketName });
    });
    values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucketName });
    values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
    values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    return values;
  }
}
