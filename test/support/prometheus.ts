/** Scraping a metrics listener and reading the samples, through a real Prometheus text-format parser. */
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { getMetricsFromStream, type PromData, type PromHistogramData, type PromMetrics } from 'prom2javascript';

export async function scrape(port: number, path = '/metrics'): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A sample line whose value is NaN, which the format allows (Go's ParseFloat, any case). */
const NAN_SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? nan$/i;

/**
 * The scrape parsed by prom2javascript, which throws on any line that is not valid
 * text format. Its one gap: it rejects NaN as a value. prom-client writes NaN for the
 * event-loop lag gauges when no delay was sampled since the previous scrape (right
 * after start, or two scrapes close together), so those lines, checked to be
 * well-formed NaN samples of a gauge, are left out of what the parser reads.
 */
export async function scrapeMetrics(port: number): Promise<PromMetrics> {
  const { status, text } = await scrape(port);
  if (status !== 200) throw new Error(`scrape answered ${status}: ${text}`);
  const gauges = new Set([...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]));
  const lines = text.split('\n').filter((line) => {
    if (!NAN_SAMPLE.test(line)) return true;
    const name = line.split(/[{ ]/)[0]!;
    if (!gauges.has(name)) throw new Error(`NaN on a metric that is not a gauge: ${line}`);
    return false;
  });
  return getMetricsFromStream(Readable.from([lines.join('\n')]));
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/** The value of a counter or gauge series with exactly these labels; 0 when absent. */
export function valueOf(metrics: PromMetrics, name: string, labels: Record<string, string> = {}): number {
  const found = (metrics[name]?.data as PromData[] | undefined)?.find((d) => sameLabels(d.labels, labels));
  return found?.value ?? 0;
}

/** The histogram series with exactly these labels, if any. */
export function histogramOf(metrics: PromMetrics, name: string, labels: Record<string, string>): PromHistogramData | undefined {
  return (metrics[name]?.data as PromHistogramData[] | undefined)?.find((d) => sameLabels(d.labels, labels));
}

/** Every label set of a metric. */
export function labelsOf(metrics: PromMetrics, name: string): Array<Record<string, string>> {
  return ((metrics[name]?.data ?? []) as Array<{ labels: Record<string, string> }>).map((d) => d.labels);
}
