using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>The runner's node registration (rolling deploys: which job names and queues have a live worker), run-time
/// pause and resume of its queues, and polling settings that follow configuration reloads.</summary>
internal sealed partial class JobRunner : IQueueControl
{
    private NodeHeartbeat? _nodes;
    private Task _nodeBeats = Task.CompletedTask;
    private IDisposable? _reloads;
    private TaskRunnerOptions? _lastOptions;

    public IReadOnlyList<UnservedWork> UnservedWork => _nodes?.Unserved ?? [];

    public ValueTask PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => SetPausedAsync(queue, true, cancellationToken);

    public ValueTask ResumeQueueAsync(string queue, CancellationToken cancellationToken = default) => SetPausedAsync(queue, false, cancellationToken);

    public bool IsPaused(string queue) => Served(queue).Paused;

    /// <summary>Runs one node check now (registration, purge, unserved work), as the heartbeat does every interval.</summary>
    internal Task CheckNodesAsync(CancellationToken cancellationToken = default) => _nodes?.BeatAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Pauses the queues configured paused, before their poll loops start.</summary>
    private void ApplyConfiguredPauses(TaskRunnerOptions options)
    {
        foreach (var queue in _queues)
        {
            queue.Paused = options.Queues.TryGetValue(queue.Name, out var settings) && settings.Paused;
        }
    }

    /// <summary>Registers this node (awaited, so it is listed once the host has started), starts its heartbeat, the
    /// unserved-work gauge and the configuration reload subscription.</summary>
    private async Task StartNodesAsync(RunnerServices runner, IServiceProvider services, CancellationToken cancellationToken)
    {
        var nodes = _nodes = new NodeHeartbeat(runner, services.GetRequiredService<INodeRegistry>(), ActiveQueues);
        await nodes.BeatAsync(cancellationToken).ConfigureAwait(false);
        runner.Diagnostics.AddUnservedGauge(() => nodes.Unserved.Select(u => new Measurement<long>(
            u.Count, new KeyValuePair<string, object?>("queue", u.Queue), new KeyValuePair<string, object?>("job_name", u.JobName))));
        var timer = new PeriodicTimer(runner.Options.NodeHeartbeatInterval, runner.TimeProvider);
        _nodeBeats = Task.Run(() => nodes.RunAsync(timer, _stopLoops.Token), CancellationToken.None);

        _lastOptions = runner.Options;
        if (services.GetService<IOptionsMonitor<TaskRunnerOptions>>() is { } monitor)
        {
            _reloads = monitor.OnChange((_, name) =>
            {
                if (name == Options.DefaultName)
                {
                    Reload(runner, services, monitor);
                }
            });
        }
    }

    /// <summary>Ends the heartbeat and removes this node's entry.</summary>
    private async Task StopNodesAsync()
    {
        _reloads?.Dispose();
        await _nodeBeats.ConfigureAwait(false);
        if (_nodes is { } nodes)
        {
            await nodes.LeaveAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A configuration reload: each queue takes its new polling strategy, and its <see cref="QueueOptions.Paused"/>
    /// when that changed in the configuration (a run-time pause or resume stands until then). Other settings need a
    /// restart. Invalid new options are logged and ignored.</summary>
    private void Reload(RunnerServices runner, IServiceProvider services, IOptionsMonitor<TaskRunnerOptions> monitor)
    {
        TaskRunnerOptions options;
        try
        {
            options = monitor.CurrentValue;
            foreach (var queue in _queues)
            {
                if (options.Queues.TryGetValue(queue.Name, out var settings))
                {
                    var strategy = PollingStrategies.Create(services, settings);
                    queue.ReplaceStrategy(strategy);
                    Log.PollingReloaded(runner.Logger, queue.Name, strategy.GetType().Name);
                    var wasPaused = _lastOptions?.Queues.TryGetValue(queue.Name, out var before) == true && before!.Paused;
                    if (settings.Paused != wasPaused)
                    {
                        queue.Paused = settings.Paused;
                        Log.QueuePauseChanged(runner.Logger, queue.Name, settings.Paused ? "paused by configuration" : "resumed by configuration", runner.Node.Id);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OptionsValidationException or ArgumentException or InvalidOperationException or FormatException)
        {
            Log.ReloadRejected(runner.Logger, ex);
            return;
        }

        _lastOptions = options;
        _ = _nodes?.BeatAsync(_stopLoops.Token);
    }

    private async ValueTask SetPausedAsync(string queue, bool paused, CancellationToken cancellationToken)
    {
        var processor = Served(queue);
        if (processor.Paused == paused)
        {
            return;
        }

        processor.Paused = paused;
        Log.QueuePauseChanged(runner.Logger, queue, paused ? "paused" : "resumed", runner.Node.Id);
        if (_nodes is { } nodes)
        {
            await nodes.BeatAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private QueueProcessor Served(string queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return _queues.FirstOrDefault(q => q.Name == queue) ?? throw new ArgumentException(
            $"Queue '{queue}' is not served by this process (it serves {(_queues.Length == 0 ? "none until the runner has started" : string.Join(", ", _queues.Select(q => $"'{q.Name}'")))}).",
            nameof(queue));
    }

    private IReadOnlyList<string> ActiveQueues() => [.. _queues.Where(q => !q.Paused).Select(q => q.Name).Order(StringComparer.Ordinal)];
}
