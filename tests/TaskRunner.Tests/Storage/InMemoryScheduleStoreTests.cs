namespace TaskRunner.Tests.Storage;

public sealed class InMemoryScheduleStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Upsert_inserts_then_replaces_keeping_created_at_and_progress()
    {
        var store = new InMemoryScheduleStore();

        var inserted = await store.UpsertAsync(Schedule("a", "* * * * *"), T0);
        Assert.True(await store.TryAdvanceAsync("a", null, T0.AddMinutes(1)));
        var replaced = await store.UpsertAsync(Schedule("a", "*/5 * * * *"), T0.AddHours(1));

        Assert.Equal(T0, inserted.CreatedAt);
        Assert.Equal(T0, inserted.UpdatedAt);
        Assert.Equal("*/5 * * * *", replaced.Cron);
        Assert.Equal(T0, replaced.CreatedAt);
        Assert.Equal(T0.AddHours(1), replaced.UpdatedAt);
        Assert.Equal(T0.AddMinutes(1), replaced.LastOccurrence);
        Assert.True(replaced.Version > inserted.Version);
        Assert.Equal(replaced, await store.GetAsync("a"));
    }

    [Fact]
    public async Task Upsert_with_a_last_occurrence_sets_it()
    {
        var store = new InMemoryScheduleStore();
        await store.UpsertAsync(Schedule("a", "* * * * *"), T0);

        var stored = await store.UpsertAsync(Schedule("a", "* * * * *") with { LastOccurrence = T0.AddDays(1) }, T0);

        Assert.Equal(T0.AddDays(1), stored.LastOccurrence);
    }

    [Fact]
    public async Task List_is_ordered_by_name_and_remove_reports_existence()
    {
        var store = new InMemoryScheduleStore();
        await store.UpsertAsync(Schedule("b", "* * * * *"), T0);
        await store.UpsertAsync(Schedule("a", "* * * * *"), T0);
        await store.UpsertAsync(Schedule("c", "* * * * *"), T0);

        Assert.True(await store.RemoveAsync("c"));
        Assert.False(await store.RemoveAsync("c"));

        Assert.Equal(["a", "b"], (await store.ListAsync()).Select(s => s.Name));
        Assert.Null(await store.GetAsync("c"));
    }

    [Fact]
    public async Task Set_paused_flips_the_flag_and_stamps_updated_at()
    {
        var store = new InMemoryScheduleStore();
        await store.UpsertAsync(Schedule("a", "* * * * *"), T0);

        Assert.True(await store.SetPausedAsync("a", paused: true, T0.AddMinutes(5)));
        var paused = await store.GetAsync("a");
        Assert.True(await store.SetPausedAsync("a", paused: false, T0.AddMinutes(9)));
        var resumed = await store.GetAsync("a");

        Assert.False(await store.SetPausedAsync("missing", paused: true, T0));
        Assert.True(paused!.Paused);
        Assert.Equal(T0.AddMinutes(5), paused.UpdatedAt);
        Assert.False(resumed!.Paused);
        Assert.Equal(T0.AddMinutes(9), resumed.UpdatedAt);
    }

    [Theory]
    // First advance: the expected last occurrence is "none yet".
    [InlineData(null, null, 10, true, 10)]
    // Compare-and-swap succeeds from the current value.
    [InlineData(5, 5, 10, true, 10)]
    // Stale expectation: another node moved it already.
    [InlineData(5, 4, 10, false, 5)]
    // Already later than the proposed occurrence: nothing changes.
    [InlineData(12, 12, 10, false, 12)]
    // The same occurrence again: nothing changes.
    [InlineData(10, 10, 10, false, 10)]
    public async Task Try_advance_is_compare_and_swap_and_never_moves_back(int? current, int? expected, int proposed, bool moved, int? after)
    {
        var store = new InMemoryScheduleStore();
        await store.UpsertAsync(Schedule("a", "* * * * *") with { LastOccurrence = Minute(current) }, T0);

        Assert.Equal(moved, await store.TryAdvanceAsync("a", Minute(expected), Minute(proposed)!.Value));
        Assert.Equal(Minute(after), (await store.GetAsync("a"))!.LastOccurrence);
    }

    [Fact]
    public async Task Try_advance_of_a_missing_schedule_is_false()
    {
        Assert.False(await new InMemoryScheduleStore().TryAdvanceAsync("missing", null, T0));
    }

    [Fact]
    public async Task Version_changes_on_every_write_and_not_on_reads()
    {
        var store = new InMemoryScheduleStore();
        var versions = new List<long> { await store.GetVersionAsync() };

        await store.UpsertAsync(Schedule("a", "* * * * *"), T0);
        versions.Add(await store.GetVersionAsync());
        await store.SetPausedAsync("a", paused: true, T0);
        versions.Add(await store.GetVersionAsync());
        await store.TryAdvanceAsync("a", null, T0);
        versions.Add(await store.GetVersionAsync());
        await store.RemoveAsync("a");
        versions.Add(await store.GetVersionAsync());
        await store.GetAsync("a");
        await store.ListAsync();
        await store.RemoveAsync("a");

        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Equal(versions[^1], await store.GetVersionAsync());
    }

    [Fact]
    public async Task Concurrent_advances_from_the_same_value_let_exactly_one_win()
    {
        var store = new InMemoryScheduleStore();
        await store.UpsertAsync(Schedule("a", "* * * * *"), T0);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () => await store.TryAdvanceAsync("a", null, T0.AddMinutes(1)))));

        Assert.Equal(1, results.Count(r => r));
    }

    private static DateTimeOffset? Minute(int? minute) => minute is { } m ? T0.AddMinutes(m) : null;

    private static ScheduleRecord Schedule(string name, string cron) => new()
    {
        Name = name,
        Cron = cron,
        TimeZoneId = "UTC",
        JobName = "job",
        Payload = "{}"u8.ToArray(),
    };
}
