using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TaskRunner.Diagnostics;

/// <summary>The <c>TaskRunner</c> meter and activity source: counters, histograms and gauges of SPEC §8.</summary>
internal sealed class TaskRunnerDiagnostics : IDisposable
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "TaskRunner";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public TaskRunnerDiagnostics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Enqueued = _meter.CreateCounter<long>("taskrunner.jobs.enqueued", "{job}", "Jobs accepted by the store.");
        Started = _meter.CreateCounter<long>("taskrunner.jobs.started", "{job}", "Attempts started.");
        Succeeded = _meter.CreateCounter<long>("taskrunner.jobs.succeeded", "{job}", "Attempts that succeeded.");
        Failed = _meter.CreateCounter<long>("taskrunner.jobs.failed", "{job}", "Attempts that failed and will be retried.");
        DeadLettered = _meter.CreateCounter<long>("taskrunner.jobs.dead_lettered", "{job}", "Jobs dead-lettered.");
        ExecutionDuration = _meter.CreateHistogram<double>("taskrunner.job.duration", "s", "Handler execution time.");
        ScheduleToStart = _meter.CreateHistogram<double>("taskrunner.job.schedule_to_start", "s", "From due time to handler start.");
        PollDuration = _meter.CreateHistogram<double>("taskrunner.poll.duration", "s", "One poll of a queue.");
        ClaimDuration = _meter.CreateHistogram<double>("taskrunner.claim.duration", "s", "One claim call to the store.");
        PollsFailed = _meter.CreateCounter<long>("taskrunner.polls.failed", "{poll}", "Polls whose store call failed or found the circuit open, per queue.");
        LeasesRecovered = _meter.CreateCounter<long>("taskrunner.leases.recovered", "{job}", "Expired leases of crashed workers recovered: requeued or dead-lettered (the outcome tag).");
        ReportLatency = _meter.CreateHistogram<double>("taskrunner.job.report_latency", "s", "From a job's claim until its outcome is stored.");
    }

    public Counter<long> Enqueued { get; }

    public Counter<long> Started { get; }

    public Counter<long> Succeeded { get; }

    public Counter<long> Failed { get; }

    public Counter<long> DeadLettered { get; }

    public Histogram<double> ExecutionDuration { get; }

    public Histogram<double> ScheduleToStart { get; }

    public Histogram<double> PollDuration { get; }

    public Histogram<double> ClaimDuration { get; }

    public Counter<long> PollsFailed { get; }

    public Counter<long> LeasesRecovered { get; }

    public Histogram<double> ReportLatency { get; }

    /// <summary>Adds the runner's gauges, read on collection.</summary>
    public void AddGauges(Func<long> busyWorkers, Func<int> circuitState, Func<IEnumerable<Measurement<long>>> queueDepths)
    {
        _meter.CreateObservableGauge("taskrunner.workers.busy", busyWorkers, "{worker}", "Jobs running in this process.");
        _meter.CreateObservableGauge("taskrunner.circuit.state", circuitState, null, "Poll-loop circuit breaker: 0 closed, 1 open, 2 half-open.");
        _meter.CreateObservableGauge("taskrunner.queue.depth", queueDepths, "{job}", "Jobs waiting, per queue, as of the last poll.");
    }

    /// <summary>Adds the gauge of pending jobs no live worker serves, per queue and job name.</summary>
    public void AddUnservedGauge(Func<IEnumerable<Measurement<long>>> unserved) =>
        _meter.CreateObservableGauge("taskrunner.jobs.unserved", unserved, "{job}", "Pending jobs no live worker serves, per queue and job name.");

    public void Dispose() => _meter.Dispose();
}
