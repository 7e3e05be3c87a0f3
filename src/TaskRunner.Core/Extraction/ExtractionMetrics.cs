using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using TaskRunner.Diagnostics;

namespace TaskRunner.Extraction;

/// <summary>The change feed's instruments on the <c>TaskRunner</c> meter, each tagged with the pipeline's name.</summary>
internal sealed class ExtractionMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, IFileExtractionPipeline> _pipelines = new(StringComparer.Ordinal);

    public ExtractionMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(TaskRunnerDiagnostics.Name) ?? new Meter(TaskRunnerDiagnostics.Name);
        Events = _meter.CreateCounter<long>("taskrunner.extraction.events", "{event}", "Changes received from the source (the kind tag).");
        Coalesced = _meter.CreateCounter<long>("taskrunner.extraction.coalesced", "{event}", "Changes folded into a path's waiting work.");
        Extractions = _meter.CreateCounter<long>("taskrunner.extraction.extractions", "{file}", "Files extracted and stored.");
        Skipped = _meter.CreateCounter<long>("taskrunner.extraction.skipped", "{file}", "Paths not extracted: size and write time unchanged (reason=size, not read) or content hash unchanged (reason=hash).");
        Removed = _meter.CreateCounter<long>("taskrunner.extraction.removed", "{file}", "Metadata removed for deleted paths.");
        Failures = _meter.CreateCounter<long>("taskrunner.extraction.failures", "{attempt}", "Extraction attempts that threw.");
        Requeued = _meter.CreateCounter<long>("taskrunner.extraction.requeued", "{file}", "Files that changed while being extracted, queued again.");
        Rescans = _meter.CreateCounter<long>("taskrunner.extraction.rescans", "{scan}", "Reconciling scans (the reason tag: start, overflow, queue_full, request).");
        Refused = _meter.CreateCounter<long>("taskrunner.extraction.refused", "{link}", "Links refused because they lead out of the root.");
        Latency = _meter.CreateHistogram<double>("taskrunner.extraction.change_to_metadata", "ms", "From a change received to its metadata stored (this process's changes).");
        _meter.CreateObservableGauge("taskrunner.extraction.queue.length", ObserveQueues, "{event}", "Changes received and not yet handed to the job store.");
    }

    public Counter<long> Events { get; }

    public Counter<long> Coalesced { get; }

    public Counter<long> Extractions { get; }

    public Counter<long> Skipped { get; }

    public Counter<long> Removed { get; }

    public Counter<long> Failures { get; }

    public Counter<long> Requeued { get; }

    public Counter<long> Rescans { get; }

    public Counter<long> Refused { get; }

    public Histogram<double> Latency { get; }

    public void Track(IFileExtractionPipeline pipeline) => _pipelines[pipeline.Name] = pipeline;

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        foreach (var pipeline in _pipelines.Values)
        {
            yield return new Measurement<int>(pipeline.QueueLength, new KeyValuePair<string, object?>("pipeline", pipeline.Name));
        }
    }
}
