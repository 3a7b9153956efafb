/**
 * instrument(verifier) counts in-package between collections; what the
 * exporters receive must equal what recording every fact straight into the
 * SDK gives (reference-recorder.ts): same metrics, kinds, temporality,
 * attribute sets, values, start and end times, collection after collection,
 * for a cumulative reader and a delta one (through the SDK's periodic reader
 * and in-memory exporter) on the same provider, without views and with
 * views that merge series, rename a metric and change an aggregation. Date
 * is frozen and moved by hand, so both providers stamp every point alike.
 */
import { createVerifier } from '@m2m-guard/core'
import { instrument, METRICS } from '@m2m-guard/otel'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import {
  AggregationTemporality,
  AggregationType,
  createAllowListAttributesProcessor,
  type DataPoint,
  InMemoryMetricExporter,
  InstrumentType,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { OnDemandReader } from './helpers.js'
import { recordDirectly } from './reference-recorder.js'

const AUDIENCE = 'https://orders.example.com'
let issuer: AuthServer

beforeAll(async () => {
  issuer = await createAuthServer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())
afterEach(() => {
  vi.useRealTimers()
})

/** What one collection gave each reader of a provider. */
type Collected = { cumulative: MetricData[]; delta: MetricData[] }

/** A provider with a cumulative reader and a delta one (periodic reader, in-memory exporter). */
function provider(views: ViewOptions[]) {
  const cumulative = new OnDemandReader(AggregationTemporality.CUMULATIVE)
  const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA)
  const delta = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [cumulative, delta], views })
  return {
    meter: meterProvider.getMeter('@m2m-guard/otel', '0.1.0'),
    meterProvider,
    async collect(): Promise<Collected> {
      const { resourceMetrics, errors } = await cumulative.collect()
      expect(errors).toEqual([])
      await delta.forceFlush()
      const exported = exporter.getMetrics()
      exporter.reset()
      return { cumulative: metricsOf([resourceMetrics]), delta: metricsOf(exported) }
    },
  }
}

function metricsOf(resourceMetrics: ResourceMetrics[]): MetricData[] {
  return resourceMetrics.flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
}

function point(metrics: MetricData[], name: string, attributes: Record<string, unknown>) {
  const metric = metrics.find((candidate) => candidate.descriptor.name === name)
  return (metric?.dataPoints as DataPoint<unknown>[] | undefined)?.find(
    (candidate) => JSON.stringify(candidate.attributes) === JSON.stringify(attributes),
  )
}

const VIEWS: ViewOptions[] = [
  // Accepted and every rejection reason fall into one series per outcome.
  {
    instrumentName: METRICS.verifications,
    attributesProcessors: [createAllowListAttributesProcessor(['outcome'])],
  },
  { instrumentName: METRICS.tokenCacheLookups, name: 'lookups' },
  {
    instrumentName: METRICS.verificationDuration,
    aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
  },
]

it.each([
  ['without views', []],
  ['with views', VIEWS],
])(
  'exports what one SDK call per fact exports, collection after collection, cumulative and delta (%s)',
  async (_, views: ViewOptions[]) => {
    const good = await issuer.mint({ client_id: 'billing', scope: 'orders:read' })
    const writer = await issuer.mint({ client_id: 'billing', scope: 'orders:write' })
    const expired = await issuer.mint({ client_id: 'billing', scope: 'orders:read' }, { expiresIn: -600 })
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE })
    const ours = provider(views)
    const reference = provider(views)
    const stopOurs = instrument(verifier, { meterProvider: ours.meterProvider })
    const stopReference = recordDirectly(verifier, reference.meter)
    const read = { scopes: ['orders:read'] }
    const attempt = (authorization: string) => verifier.authenticate(authorization, read).catch(() => {})

    vi.useFakeTimers({ toFake: ['Date'] })
    const start = Date.now()
    const at = (ms: number) => vi.setSystemTime(start + ms)
    const collections: [Collected, Collected][] = []
    const collectBoth = async (ms: number) => {
      at(ms)
      collections.push([await ours.collect(), await reference.collect()])
    }
    try {
      at(1)
      await attempt(`Bearer ${good}`) // a key fetch, a token-cache miss, accepted
      at(2)
      await attempt(`Bearer ${good}`) // hits from here on
      at(3)
      await attempt(`Bearer ${good}`)
      at(4)
      await attempt(`Bearer ${writer}`) // insufficient_scope
      at(5)
      await attempt('Bearer not-a-token') // token_malformed, issuer unknown
      await collectBoth(10)
      await collectBoth(20) // nothing happened: the delta reader exports no verification point
      at(25)
      await attempt(`Bearer ${good}`)
      await attempt(`Bearer ${good}`)
      at(26)
      await attempt(`Bearer ${expired}`)
      await collectBoth(30)
      at(35)
      await attempt(`Bearer ${good}`)
      await attempt(`Bearer ${good}`) // pending in ours until stop() hands it over
      at(36)
      stopOurs()
      stopReference()
      await attempt(`Bearer ${good}`) // after stop(): not counted by either
      await collectBoth(40)
    } finally {
      stopOurs()
      stopReference()
      vi.useRealTimers()
      await ours.meterProvider.shutdown()
      await reference.meterProvider.shutdown()
    }

    for (const [mine, theirs] of collections) expect(mine).toEqual(theirs)
    if (views.length > 0) {
      const [first] = collections.map(([mine]) => mine) as [Collected]
      expect(point(first.cumulative, METRICS.verifications, { outcome: 'rejected' })?.value).toBe(2)
      expect(point(first.delta, 'lookups', { hit: true })?.value).toBe(2)
      return
    }

    // Not vacuous: the collections hold what happened, dated by the first fact of each series.
    expect(collections).toHaveLength(4)
    const [first, idle, third, last] = collections.map(([mine]) => mine) as [
      Collected,
      Collected,
      Collected,
      Collected,
    ]
    const accepted = { outcome: 'accepted', issuer: issuer.issuer }
    const counter = first.cumulative.find((metric) => metric.descriptor.name === METRICS.verifications)
    expect((counter?.descriptor as { type?: string } | undefined)?.type).toBe(InstrumentType.COUNTER)
    expect(counter?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE)
    expect(point(first.cumulative, METRICS.verifications, accepted)?.value).toBe(3)
    expect(point(first.cumulative, METRICS.verifications, accepted)?.startTime).toEqual([
      Math.floor((start + 1) / 1000),
      ((start + 1) % 1000) * 1e6,
    ])
    expect(point(first.cumulative, METRICS.tokenCacheLookups, { hit: true })?.value).toBe(2)
    expect(point(idle.delta, METRICS.verifications, accepted)).toBeUndefined()
    expect(point(idle.cumulative, METRICS.verifications, accepted)?.value).toBe(3)
    expect(point(third.delta, METRICS.verifications, accepted)?.value).toBe(2)
    expect(point(third.delta, METRICS.tokenCacheLookups, { hit: true })?.value).toBe(2)
    expect(point(third.cumulative, METRICS.verifications, accepted)?.value).toBe(5)
    expect(point(last.cumulative, METRICS.verifications, accepted)?.value).toBe(7)
    expect(point(last.delta, METRICS.verifications, accepted)?.value).toBe(2)
    expect(
      point(third.delta, METRICS.verifications, {
        outcome: 'rejected',
        issuer: issuer.issuer,
        reason: 'token_expired',
      })?.value,
    ).toBe(1)
  },
)
