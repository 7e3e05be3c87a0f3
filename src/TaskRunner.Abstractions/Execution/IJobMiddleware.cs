namespace TaskRunner;

/// <summary>Code run around every job execution, in registration order (the first registered is outermost).</summary>
public interface IJobMiddleware
{
    /// <summary>Runs around the rest of the pipeline; call <paramref name="nextStep"/> to continue, or throw to fail the attempt.</summary>
    ValueTask InvokeAsync(JobContext context, JobExecution nextStep);
}
