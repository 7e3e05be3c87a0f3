using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>Runs one claimed job in a worker slot — scope, payload, middleware, handler — and turns what happened into
/// the report for the store. Never throws: every failure becomes a retry, a dead letter, or a hand-back.</summary>
internal sealed class JobExecutor(RunnerServices runner)
{
    // Payloads are read strictly whatever the host's options say: a missing constructor parameter or a null in a
    // non-nullable member is an unreadable payload, dead-lettered at once, not a NullReferenceException retried to the end.
    private readonly JsonSerializerOptions _payloadOptions = new(runner.Options.JsonSerializerOptions)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Runs <paramref name="job"/>; returns the report, or <see langword="null"/> when the lease was lost
    /// (the new owner reports instead).</summary>
    public async ValueTask<JobCompletion?> RunAsync(ClaimedJob job, WorkerContext context)
    {
        var tag = new KeyValuePair<string, object?>("queue", job.Queue);
        using var logScope = Log.JobScope(runner.Logger, job);
        if (!runner.Registry.TryGet(job.Name, out var registration))
        {
            return DeadLetter(job, new JobError("HandlerNotRegistered",
                $"No handler is registered for job name '{job.Name}' in node '{runner.Node.Id}'. Register it with AddJob, or requeue the job once a node that has it runs."));
        }

        object? payload;
        try
        {
            payload = registration.ReadPayload(job.Payload, _payloadOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return DeadLetter(job, new JobError("PayloadUnreadable",
                $"The payload of job '{job.Name}' cannot be read as {registration.PayloadType.FullName}: {ex.Message}", ex.ToString()));
        }

        var started = runner.TimeProvider.GetTimestamp();
        var now = runner.TimeProvider.GetUtcNow();
        runner.Diagnostics.Started.Add(1, tag);
        runner.Diagnostics.ScheduleToStart.Record((now - job.RunAt).TotalSeconds, tag);
        if (runner.Events.HasObservers)
        {
            runner.Events.Raise(new JobEvent { Kind = JobEventKind.Started, JobId = job.Id, JobName = job.Name, Queue = job.Queue, Attempt = job.Attempt, Timestamp = now });
        }

        using var activity = StartActivity(job);
        var scope = runner.ScopeFactory.CreateAsyncScope();
        Exception? failure = null;
        try
        {
            context.Begin(job, scope.ServiceProvider);
            if (runner.Middleware.Length == 0)
            {
                await registration.InvokeAsync(scope.ServiceProvider, payload, context).ConfigureAwait(false);
            }
            else
            {
                await InvokePipelineAsync(registration, payload, context, 0).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // A handler may throw anything: every exception is this attempt's failure, never the runner's.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }

        var duration = runner.TimeProvider.GetElapsedTime(started);
        runner.Diagnostics.ExecutionDuration.Record(duration.TotalSeconds, tag);
        var reason = context.Reason;
        var cancelled = context.CancellationToken.IsCancellationRequested;
        var result = context.Result;
        context.End();

        if (failure is null)
        {
            activity?.SetStatus(ActivityStatusCode.Ok);
            return reason == CancelReason.LeaseLost ? null : JobCompletion.Succeeded(job.Id, job.LeaseToken, result);
        }

        activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
        switch (reason)
        {
            case CancelReason.LeaseLost:
                return null;
            case CancelReason.Shutdown:
                return JobCompletion.Released(job.Id, job.LeaseToken);
            case CancelReason.CancellationRequested:
                return JobCompletion.Cancelled(job.Id, job.LeaseToken, new JobError("Cancelled", "Cancellation was requested while the job was running."));
        }

        var error = cancelled && failure is OperationCanceledException && job.Timeout is { } timeout
            ? new JobError("Timeout", $"Job '{job.Name}' exceeded its timeout of {timeout} and was cancelled.", failure.ToString())
            : JobError.From(failure);
        if (job.Attempt >= job.MaxAttempts)
        {
            return DeadLetter(job, error);
        }

        var retryAt = runner.TimeProvider.GetUtcNow() + runner.Backoff.DelayAfter(job.Attempt);
        Log.JobFailed(runner.Logger, job.Id, job.Name, job.Attempt, retryAt, failure);
        return JobCompletion.Failed(job.Id, job.LeaseToken, error, retryAt);
    }

    private JobCompletion DeadLetter(ClaimedJob job, JobError error)
    {
        Log.JobDeadLettered(runner.Logger, job.Id, job.Name, $"{error.Type}: {error.Message}");
        return JobCompletion.DeadLettered(job.Id, job.LeaseToken, error);
    }

    private ValueTask InvokePipelineAsync(JobRegistration registration, object? payload, JobContext context, int index) =>
        index == runner.Middleware.Length
            ? registration.InvokeAsync(context.Services, payload, context)
            : runner.Middleware[index].InvokeAsync(context, ctx => InvokePipelineAsync(registration, payload, ctx, index + 1));

    private static Activity? StartActivity(ClaimedJob job)
    {
        if (!TaskRunnerDiagnostics.ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(job.TraceParent, null, out var parent);
        var activity = TaskRunnerDiagnostics.ActivitySource.StartActivity($"{job.Name} execute", ActivityKind.Consumer, parent);
        activity?.SetTag("taskrunner.job.id", job.Id.Value);
        activity?.SetTag("taskrunner.job.name", job.Name);
        activity?.SetTag("taskrunner.queue", job.Queue);
        activity?.SetTag("taskrunner.job.attempt", job.Attempt);
        return activity;
    }
}
