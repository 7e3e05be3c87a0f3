namespace TaskRunner.Sqlite;

/// <summary>Claim: promote what fell due, then one statement that walks the claim index (see <see cref="SqliteJobSql.Claim"/>).</summary>
internal sealed partial class SqliteJobStore
{
    // The JSON of the last JobNames instance claimed with: the engine passes the same set on every claim.
    private NamesCache? _names;

    public ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxCount <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<ClaimedJob>>([]);
        }

        return _database.WriteAsync((request, names: NamesJson(request.JobNames)), static (session, state) =>
        {
            var request = state.request;
            var now = SqliteValues.Ticks(request.Now);
            var promote = session.Command(SqliteJobSql.Promote, "@now");
            promote.Set(0, now);
            promote.ExecuteNonQuery();

            var claim = session.Command(SqliteJobSql.Claim, "@owner", "@lease_expires_at", "@queue", "@limit", "@now", "@names");
            claim.Set(0, request.Owner);
            claim.Set(1, SqliteValues.Ticks(request.Now + request.LeaseDuration));
            claim.Set(2, request.Queue);
            var limit = request.MaxCount;
            if (request.QueueLimit is { } queueLimit)
            {
                var running = session.Command(SqliteJobSql.QueueRunning, "@queue");
                running.Set(0, request.Queue);
                limit = (int)Math.Min(limit, queueLimit - (long)running.ExecuteScalar()!);
                if (limit <= 0)
                {
                    return (IReadOnlyList<ClaimedJob>)[];
                }
            }

            claim.Set(3, limit);
            claim.Set(4, now);
            claim.Set(5, state.names);
            var claimed = new List<(int Priority, ClaimedJob Job)>(Math.Min(request.MaxCount, 256));
            using (var reader = claim.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add(SqliteJobRows.ReadClaimed(reader));
                }
            }

            // RETURNING yields rows in update order, which SQLite does not promise to be the claim order.
            claimed.Sort(static (a, b) =>
            {
                var byPriority = b.Priority.CompareTo(a.Priority);
                if (byPriority != 0)
                {
                    return byPriority;
                }

                var byRunAt = a.Job.RunAt.CompareTo(b.Job.RunAt);
                return byRunAt != 0 ? byRunAt : a.Job.Id.CompareTo(b.Job.Id);
            });
            var jobs = new ClaimedJob[claimed.Count];
            for (var i = 0; i < jobs.Length; i++)
            {
                jobs[i] = claimed[i].Job;
            }

            return (IReadOnlyList<ClaimedJob>)jobs;
        }, cancellationToken);
    }

    private string? NamesJson(IReadOnlyCollection<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        var cached = _names;
        if (cached is not null && ReferenceEquals(cached.Names, names))
        {
            return cached.Json;
        }

        // An empty set claims nothing: "[]", not the NULL that means any name.
        var json = names.Count == 0 ? "[]" : SqliteValues.Tags([.. names])!;
        _names = new NamesCache(names, json);
        return json;
    }

    private sealed record NamesCache(IReadOnlyCollection<string> Names, string Json);
}
