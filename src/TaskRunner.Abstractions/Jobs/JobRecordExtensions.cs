using System.Globalization;
using System.Text.Json;

namespace TaskRunner;

/// <summary>Typed views of a <see cref="JobRecord"/>'s payload and result, which are stored as UTF-8 JSON.</summary>
public static class JobRecordExtensions
{
    /// <summary>Reads the payload as <typeparamref name="TPayload"/>.</summary>
    /// <param name="record">The job.</param>
    /// <param name="options">The serializer options the payload was written with (<c>TaskRunnerOptions.JsonSerializerOptions</c>);
    /// <see langword="null"/> for the defaults.</param>
    /// <exception cref="JsonException">The payload is not JSON of <typeparamref name="TPayload"/>; the message names the job.</exception>
    public static TPayload? GetPayload<TPayload>(this JobRecord record, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Deserialize<TPayload>(record, record.Payload, "payload", options);
    }

    /// <summary>Whether the job has a stored result (it succeeded and its handler set one).</summary>
    public static bool HasResult(this JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Result is { IsEmpty: false };
    }

    /// <summary>Reads the result a successful run stored (<see cref="JobContext.SetResult{TResult}"/>) as <typeparamref name="TResult"/>.</summary>
    /// <param name="record">The job.</param>
    /// <param name="options">The serializer options the result was written with; <see langword="null"/> for the defaults.</param>
    /// <exception cref="InvalidOperationException">The job has no result: it has not succeeded, or its handler set none. The
    /// message names the job and its state.</exception>
    /// <exception cref="JsonException">The result is not JSON of <typeparamref name="TResult"/>.</exception>
    public static TResult? GetResult<TResult>(this JobRecord record, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Result is not { IsEmpty: false } result)
        {
            throw new InvalidOperationException(record.State == JobState.Succeeded
                ? string.Create(CultureInfo.InvariantCulture, $"Job {record.Id} ('{record.Name}') succeeded without a result: its handler did not call SetResult.")
                : string.Create(CultureInfo.InvariantCulture, $"Job {record.Id} ('{record.Name}') is {record.State}; only a succeeded job has a result."));
        }

        return Deserialize<TResult>(record, result, "result", options);
    }

    private static T? Deserialize<T>(JobRecord record, ReadOnlyMemory<byte> json, string what, JsonSerializerOptions? options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json.Span, options);
        }
        catch (JsonException ex)
        {
            throw new JsonException(
                string.Create(CultureInfo.InvariantCulture, $"The {what} of job {record.Id} ('{record.Name}') cannot be read as {typeof(T).Name}: {ex.Message}"),
                ex.Path, ex.LineNumber, ex.BytePositionInLine, ex);
        }
    }
}
