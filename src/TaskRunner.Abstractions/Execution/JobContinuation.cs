namespace TaskRunner;

/// <summary>A job to enqueue once every job of a batch has finished.</summary>
public sealed class JobContinuation
{
    private JobContinuation(string? jobName, object? payload, Type payloadType, JobOptions? options)
    {
        JobName = jobName;
        Payload = payload;
        PayloadType = payloadType;
        Options = options;
    }

    /// <summary>The job name; <see langword="null"/> to use the job registered for <see cref="PayloadType"/>.</summary>
    public string? JobName { get; }

    /// <summary>The payload.</summary>
    public object? Payload { get; }

    /// <summary>The payload's declared type.</summary>
    public Type PayloadType { get; }

    /// <summary>The continuation's options.</summary>
    public JobOptions? Options { get; }

    /// <summary>A continuation running the job registered for <typeparamref name="TPayload"/>, or named <paramref name="jobName"/>.</summary>
    public static JobContinuation For<TPayload>(TPayload payload, JobOptions? options = null, string? jobName = null) =>
        new(jobName, payload, typeof(TPayload), options);
}
