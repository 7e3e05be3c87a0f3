using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>For diagnosing only (<c>BENCH_PROGRESS=1</c>): sums the engine's duration histograms so a run can say where
/// its time goes. Listening costs time itself, so it is never on while measuring.</summary>
internal sealed class MeterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, (long Count, double Sum)> _totals = new(StringComparer.Ordinal);

    public MeterProbe()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "TaskRunner" && instrument is Histogram<double>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            _totals.AddOrUpdate(instrument.Name, (1, value), (_, t) => (t.Count + 1, t.Sum + value)));
        _listener.Start();
    }

    public string Summary() =>
        string.Join("; ", _totals.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => $"{t.Key} n={t.Value.Count} avg={t.Value.Sum / t.Value.Count * 1e6:0.#}us"));

    public void Dispose() => _listener.Dispose();
}
