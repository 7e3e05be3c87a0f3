using System.Text;

namespace TaskRunner.Tests.Contracts;

/// <summary>The behaviour every <see cref="IScheduleStore"/> must have (SPEC §6).</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract class ScheduleStoreContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private IScheduleStore Store => Factory.ScheduleStore;

    [Fact]
    public async Task Upsert_inserts_a_new_schedule_and_reads_it_back()
    {
        var schedule = Schedule("nightly") with
        {
            Payload = Encoding.UTF8.GetBytes("""{"full":true}"""),
            Queue = "maintenance",
            MisfirePolicy = MisfirePolicy.FireAll,
            MaxMisfires = 12,
            Paused = true,
        };

        var stored = await Store.UpsertAsync(schedule, T0);
        var read = await Store.GetAsync("nightly");

        Assert.NotNull(read);
        foreach (var record in new[] { stored, read })
        {
            Assert.Equal("nightly", record.Name);
            Assert.Equal("0 3 * * *", record.Cron);
            Assert.Equal("Europe/Berlin", record.TimeZoneId);
            Assert.Equal("backup", record.JobName);
            Assert.Equal(schedule.Payload.ToArray(), record.Payload.ToArray());
            Assert.Equal("maintenance", record.Queue);
            Assert.Equal(MisfirePolicy.FireAll, record.MisfirePolicy);
            Assert.Equal(12, record.MaxMisfires);
            Assert.True(record.Paused);
            Assert.Null(record.LastOccurrence);
            Assert.Equal(T0, record.CreatedAt);
            Assert.Equal(T0, record.UpdatedAt);
        }

        Assert.Equal(stored.Version, read.Version);
        Assert.Null(await Store.GetAsync("unknown"));
    }

    [Fact]
    public async Task Upsert_replaces_the_definition_bumps_the_version_and_keeps_created_at_and_last_occurrence()
    {
        var first = await Store.UpsertAsync(Schedule("s"), T0);
        Assert.True(await Store.TryAdvanceAsync("s", null, T0.AddHours(1)));

        var second = await Store.UpsertAsync(Schedule("s") with { Cron = "*/5 * * * *", JobName = "other" }, T0.AddDays(1));

        Assert.Equal("*/5 * * * *", second.Cron);
        Assert.Equal("other", second.JobName);
        Assert.Equal(T0, second.CreatedAt);
        Assert.Equal(T0.AddDays(1), second.UpdatedAt);
        Assert.Equal(T0.AddHours(1), second.LastOccurrence);
        Assert.True(second.Version > first.Version);
        var read = (await Store.GetAsync("s"))!;
        Assert.Equal(second.Version, read.Version);
        Assert.Equal(second.Cron, read.Cron);

        var third = await Store.UpsertAsync(Schedule("s") with { LastOccurrence = T0.AddHours(5) }, T0.AddDays(2));
        Assert.Equal(T0.AddHours(5), third.LastOccurrence);
        Assert.True(third.Version > second.Version);
    }

    [Fact]
    public async Task List_returns_every_schedule_ordered_by_name()
    {
        await Store.UpsertAsync(Schedule("charlie"), T0);
        await Store.UpsertAsync(Schedule("alpha"), T0);
        await Store.UpsertAsync(Schedule("bravo"), T0);

        var all = await Store.ListAsync();

        Assert.Equal(["alpha", "bravo", "charlie"], all.Select(s => s.Name));
    }

    [Fact]
    public async Task Remove_deletes_a_schedule_once()
    {
        await Store.UpsertAsync(Schedule("s"), T0);

        Assert.True(await Store.RemoveAsync("s"));
        Assert.False(await Store.RemoveAsync("s"));
        Assert.Null(await Store.GetAsync("s"));
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task Set_paused_pauses_and_resumes_a_known_schedule()
    {
        var stored = await Store.UpsertAsync(Schedule("s"), T0);

        Assert.True(await Store.SetPausedAsync("s", true, T0.AddMinutes(1)));
        var paused = (await Store.GetAsync("s"))!;
        Assert.True(paused.Paused);
        Assert.Equal(T0.AddMinutes(1), paused.UpdatedAt);
        Assert.True(paused.Version > stored.Version);

        Assert.True(await Store.SetPausedAsync("s", false, T0.AddMinutes(2)));
        Assert.False((await Store.GetAsync("s"))!.Paused);
        Assert.False(await Store.SetPausedAsync("unknown", true, T0));
    }

    [Fact]
    public async Task Try_advance_is_compare_and_swap_on_the_last_occurrence()
    {
        await Store.UpsertAsync(Schedule("s"), T0);
        var first = T0.AddHours(1);
        var second = T0.AddHours(2);

        Assert.True(await Store.TryAdvanceAsync("s", null, first));

        // A second node that read the same (empty) last occurrence loses.
        Assert.False(await Store.TryAdvanceAsync("s", null, first));
        Assert.False(await Store.TryAdvanceAsync("s", T0, second));
        Assert.Equal(first, (await Store.GetAsync("s"))!.LastOccurrence);

        Assert.True(await Store.TryAdvanceAsync("s", first, second));
        Assert.Equal(second, (await Store.GetAsync("s"))!.LastOccurrence);
        Assert.False(await Store.TryAdvanceAsync("unknown", null, first));
    }

    [Fact]
    public async Task Version_changes_on_every_kind_of_write()
    {
        var versions = new List<long> { await Store.GetVersionAsync() };

        await Store.UpsertAsync(Schedule("s"), T0);
        versions.Add(await Store.GetVersionAsync());
        await Store.SetPausedAsync("s", true, T0);
        versions.Add(await Store.GetVersionAsync());
        await Store.TryAdvanceAsync("s", null, T0.AddHours(1));
        versions.Add(await Store.GetVersionAsync());
        await Store.RemoveAsync("s");
        versions.Add(await Store.GetVersionAsync());

        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Equal(versions[^1], await Store.GetVersionAsync());
    }

    private static ScheduleRecord Schedule(string name) => new()
    {
        Name = name,
        Cron = "0 3 * * *",
        TimeZoneId = "Europe/Berlin",
        JobName = "backup",
    };
}
