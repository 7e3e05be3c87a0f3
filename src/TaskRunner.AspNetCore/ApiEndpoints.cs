using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TaskRunner.AspNetCore;

/// <summary>The read endpoints of <c>MapTaskRunnerApi</c> (the actions are in <c>ApiEndpoints.Actions.cs</c>). Query values are
/// taken as text and parsed here, so a bad one is a 400 problem naming the value and the rule rather than the framework's
/// bare 400.</summary>
internal static partial class ApiEndpoints
{
    public const int MaxUpcoming = 100;

    /// <summary>Web defaults (camelCase) with enums as names, fixed here so the API's shape does not follow the host's
    /// <c>JsonOptions</c>. Jobs serialize through the converters on their own types (state names, ISO-8601 times, payload
    /// and result embedded as JSON).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static async Task<IResult> GetCountsAsync(HttpContext context, [FromQuery] string? queue)
    {
        var services = context.RequestServices;
        var client = services.GetRequiredService<IJobClient>();
        var ct = context.RequestAborted;
        if (queue is { Length: 0 })
        {
            return BadQuery("queue", queue, "a queue name is not empty");
        }

        var names = ConfiguredQueues(services.GetRequiredService<IOptions<TaskRunnerOptions>>().Value);
        if (queue is not null)
        {
            names.Add(queue);
        }

        var registry = services.GetRequiredService<INodeRegistry>();
        foreach (var node in await registry.ListAsync(ct).ConfigureAwait(false))
        {
            names.UnionWith(node.Queues);
        }

        foreach (var work in await registry.ListPendingWorkAsync(ct).ConfigureAwait(false))
        {
            names.Add(work.Queue);
        }

        var all = await client.CountAsync(null, ct).ConfigureAwait(false);
        var perQueue = new Dictionary<string, JobCounts>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            perQueue[name] = await client.CountAsync(new JobQuery { Queue = name }, ct).ConfigureAwait(false);
        }

        return Ok(new ApiCounts(all, perQueue));
    }

    public static async Task<IResult> ListJobsAsync(
        HttpContext context,
        [FromQuery] string? state,
        [FromQuery] string? queue,
        [FromQuery] string? name,
        [FromQuery] string? batch,
        [FromQuery] string? tag,
        [FromQuery] string? createdFrom,
        [FromQuery] string? createdBefore,
        [FromQuery] string? finishedFrom,
        [FromQuery] string? finishedBefore,
        [FromQuery] string? afterId,
        [FromQuery] string? limit)
    {
        var query = new JobQuery { Queue = queue, JobName = name, Tag = tag };
        if (state is not null)
        {
            // Names only: a number would be a state's storage value, which the API never shows.
            if (state.Length == 0 || !char.IsAsciiLetter(state[0]) || !Enum.TryParse<JobState>(state, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return BadQuery("state", state, "a state is one of " + string.Join(", ", Enum.GetNames<JobState>()));
            }

            query = query with { State = parsed };
        }

        if (batch is not null)
        {
            if (!Guid.TryParseExact(batch, "N", out var guid))
            {
                return BadQuery("batch", batch, "a batch id is 32 hex digits");
            }

            query = query with { BatchId = new BatchId(guid) };
        }

        if (afterId is not null)
        {
            if (!JobId.TryParse(afterId, out var after))
            {
                return BadQuery("afterId", afterId, "a job id is a positive whole number");
            }

            query = query with { AfterId = after };
        }

        if (limit is not null)
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count is < 1 or > JobQuery.MaxLimit)
            {
                return BadQuery("limit", limit, $"a limit is a whole number from 1 to {JobQuery.MaxLimit}");
            }

            query = query with { Limit = count };
        }

        IResult? bad = null;
        var cf = ParseInstant("createdFrom", createdFrom, ref bad);
        var cb = ParseInstant("createdBefore", createdBefore, ref bad);
        var ff = ParseInstant("finishedFrom", finishedFrom, ref bad);
        var fb = ParseInstant("finishedBefore", finishedBefore, ref bad);
        if (bad is not null)
        {
            return bad;
        }

        query = query with { CreatedFrom = cf, CreatedBefore = cb, FinishedFrom = ff, FinishedBefore = fb };
        try
        {
            query.ThrowIfInvalid();
            var jobs = await context.RequestServices.GetRequiredService<IJobClient>().ListAsync(query, context.RequestAborted).ConfigureAwait(false);
            return Ok(new ApiJobPage(jobs, jobs.Count == query.Limit ? jobs[^1].Id.Value : null));
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid filter", ex.Message);
        }
    }

    public static async Task<IResult> GetJobAsync(HttpContext context, string id)
    {
        if (!JobId.TryParse(id, out var jobId))
        {
            return BadId(id);
        }

        var job = await context.RequestServices.GetRequiredService<IJobClient>().GetAsync(jobId, context.RequestAborted).ConfigureAwait(false);
        return job is null ? JobNotFound(jobId) : Ok(job);
    }

    public static async Task<IResult> ListRecurringAsync(HttpContext context, string? upcoming, int defaultUpcoming)
    {
        var count = defaultUpcoming;
        if (upcoming is not null && (!int.TryParse(upcoming, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > MaxUpcoming))
        {
            return BadQuery("upcoming", upcoming, $"upcoming is a whole number from 0 to {MaxUpcoming}");
        }

        var recurring = context.RequestServices.GetRequiredService<IRecurringJobs>();
        var ct = context.RequestAborted;
        var schedules = new List<ApiSchedule>();
        foreach (var info in await recurring.ListAsync(ct).ConfigureAwait(false))
        {
            var s = info.Schedule;
            schedules.Add(new ApiSchedule
            {
                Name = s.Name,
                Cron = s.Cron,
                TimeZoneId = s.TimeZoneId,
                JobName = s.JobName,
                Payload = s.Payload.IsEmpty ? null : JsonSerializer.Deserialize<JsonElement>(s.Payload.Span),
                Queue = s.Queue,
                MisfirePolicy = s.MisfirePolicy,
                MaxMisfires = s.MaxMisfires,
                Paused = s.Paused,
                LastOccurrence = s.LastOccurrence,
                NextOccurrence = info.NextOccurrence,
                Upcoming = count == 0 ? [] : await recurring.PreviewAsync(s.Name, count, ct).ConfigureAwait(false),
                CreatedAt = s.CreatedAt,
                UpdatedAt = s.UpdatedAt,
            });
        }

        return Ok(schedules);
    }

    public static IResult ListQueues(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<TaskRunnerOptions>>().Value;
        var control = context.RequestServices.GetService<IQueueControl>();
        var queues = new List<ApiQueue>();
        foreach (var name in ConfiguredQueues(options))
        {
            var concurrency = options.Queues.TryGetValue(name, out var q) ? q.Concurrency : new QueueOptions(name).Concurrency;
            queues.Add(new ApiQueue(name, concurrency, QueuePaused(control, name)));
        }

        return Ok(queues);
    }

    public static async Task<IResult> ListNodesAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var expiry = services.GetRequiredService<IOptions<TaskRunnerOptions>>().Value.NodeExpiry;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var nodes = await services.GetRequiredService<INodeRegistry>().ListAsync(context.RequestAborted).ConfigureAwait(false);
        return Ok(nodes.Where(n => n.LastHeartbeatAt + expiry > now).ToList());
    }

    public static async Task<IResult> ListLocksAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        return Ok(await services.GetRequiredService<ILockStore>().ListAsync(now, context.RequestAborted).ConfigureAwait(false));
    }

    /// <summary>The queues a worker of these options serves: the configured ones, or <c>default</c> when none is (as the runner decides).</summary>
    private static SortedSet<string> ConfiguredQueues(TaskRunnerOptions options) =>
        options.Queues.Count > 0 ? new(options.Queues.Keys, StringComparer.Ordinal) : new(StringComparer.Ordinal) { JobOptions.DefaultQueue };

    private static bool? QueuePaused(IQueueControl? control, string queue)
    {
        if (control is null)
        {
            return null;
        }

        try
        {
            return control.IsPaused(queue);
        }
        catch (ArgumentException)
        {
            return null; // configured but not served by this process's workers
        }
    }

    /// <summary>Parses an ISO-8601 instant (UTC when no offset is given); leaves the first bad value's problem in <paramref name="bad"/>.</summary>
    private static DateTimeOffset? ParseInstant(string name, string? value, ref IResult? bad)
    {
        if (value is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var instant))
        {
            return instant;
        }

        bad ??= BadQuery(name, value, "an instant is ISO-8601, such as 2026-01-31T08:00:00Z");
        return null;
    }

    internal static JsonHttpResult<T> Ok<T>(T value, int status = StatusCodes.Status200OK) => TypedResults.Json(value, Json, statusCode: status);

    internal static ProblemHttpResult Problem(int status, string title, string? detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    internal static ProblemHttpResult BadQuery(string name, string value, string rule) =>
        Problem(StatusCodes.Status400BadRequest, "Invalid filter", $"Query parameter '{name}' is '{value}': {rule}.");

    internal static ProblemHttpResult BadId(string id) =>
        Problem(StatusCodes.Status400BadRequest, "Invalid job id", $"'{id}' is not a job id: a job id is a positive whole number (1 to {long.MaxValue}), digits only.");

    internal static ProblemHttpResult JobNotFound(JobId id) =>
        Problem(StatusCodes.Status404NotFound, "Job not found", $"No job has id {id}.");
}
