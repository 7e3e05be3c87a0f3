using Polly;
using Polly.CircuitBreaker;
using PollyCircuitState = Polly.CircuitBreaker.CircuitState;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// The circuit breaker (Polly.Core) around the store calls of the poll and maintenance loops, made from
/// <see cref="TaskRunnerOptions.CircuitBreaker"/>, and what it observed: its state and the last store error.
/// </summary>
internal sealed class StorePipeline(RunnerServices runner)
{
    private readonly CircuitBreakerStateProvider _circuit = new();
    private volatile Exception? _lastStoreError;

    /// <summary>The pipeline; <see cref="ResiliencePipeline.Empty"/> until <see cref="Build"/>.</summary>
    public ResiliencePipeline Pipeline { get; private set; } = ResiliencePipeline.Empty;

    /// <summary>The breaker's state, as the monitor reports it.</summary>
    public CircuitBreakerState CircuitState => _circuit.CircuitState switch
    {
        PollyCircuitState.Open or PollyCircuitState.Isolated => CircuitBreakerState.Open,
        PollyCircuitState.HalfOpen => CircuitBreakerState.HalfOpen,
        _ => CircuitBreakerState.Closed,
    };

    /// <summary>The error of the last guarded call, when it failed; <see langword="null"/> once one succeeds.</summary>
    public Exception? LastStoreError => _lastStoreError;

    /// <summary>Builds the pipeline. Called once, at start: the options are validated by then, and Polly's own validation
    /// of the breaker options never runs before ours.</summary>
    public ResiliencePipeline Build()
    {
        var settings = runner.Options.CircuitBreaker;
        Pipeline = new ResiliencePipelineBuilder { TimeProvider = runner.TimeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // With every call failing, N failures open it; a success or two in the same window do not keep it closed.
                FailureRatio = settings.FailureRatio,
                MinimumThroughput = settings.FailureThreshold,
                SamplingDuration = settings.SamplingDuration,
                BreakDuration = settings.BreakDuration,
                StateProvider = _circuit,
                ShouldHandle = args =>
                {
                    // Every outcome of a guarded call passes here, so the monitor's last error follows exactly the calls
                    // the breaker counts: set by a failure, cleared by the next success. A call refused by the open
                    // circuit never runs and never gets here, so the real error stays visible while the circuit is open.
                    var error = args.Outcome.Exception;
                    if (error is OperationCanceledException)
                    {
                        return new ValueTask<bool>(false);
                    }

                    _lastStoreError = error;
                    return new ValueTask<bool>(error is not null);
                },
                OnOpened = args =>
                {
                    Log.CircuitOpened(runner.Logger, args.BreakDuration, args.Outcome.Exception);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpen(runner.Logger);
                    return default;
                },
                OnClosed = _ =>
                {
                    Log.CircuitClosed(runner.Logger);
                    return default;
                },
            })
            .Build();
        return Pipeline;
    }
}
