using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.Tests.Support;

/// <summary>Sums the <c>TaskRunner</c> counters of one host (its <see cref="IMeterFactory"/>, so hosts of tests running in
/// parallel do not mix), in total and per tag value. The host must call <c>AddMetrics()</c>.</summary>
internal sealed class MeterCounts : IDisposable
{
    private readonly ConcurrentDictionary<string, long> _counts = new();
    private readonly MeterListener _listener;

    public MeterCounts(IServiceProvider services)
    {
        var meters = services.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "TaskRunner" && ReferenceEquals(instrument.Meter.Scope, meters) && instrument is Counter<long>)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            _counts.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
            foreach (var tag in tags)
            {
                _counts.AddOrUpdate($"{instrument.Name}|{tag.Key}={tag.Value}", value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of a counter over all its tags.</summary>
    public long this[string counter] => _counts.GetValueOrDefault(counter);

    /// <summary>The sum of a counter's measurements that carry the tag.</summary>
    public long this[string counter, string tag, string value] => _counts.GetValueOrDefault($"{counter}|{tag}={value}");

    public void Dispose() => _listener.Dispose();
}
