namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- heartbeat ----

    [Fact]
    public async Task Heartbeat_extends_held_leases_and_reports_lost_ones()
    {
        var held = await Enqueue(Job("held"));
        var stale = await Enqueue(Job("stale"));
        var claimed = await Claim(2);
        var heldLease = new JobLease(held, claimed.Single(c => c.Id == held).LeaseToken);
        var staleLease = new JobLease(stale, claimed.Single(c => c.Id == stale).LeaseToken - 1);
        var neverClaimed = new JobLease(await Enqueue(Job("pending")), 1);
        var extended = T0.AddMinutes(2);

        var result = await Store.HeartbeatAsync(new HeartbeatRequest { Leases = [heldLease, staleLease, neverClaimed], LeaseExpiresAt = extended, Now = T0.AddSeconds(10) });

        Assert.Equal([stale, neverClaimed.Id], result.Lost.Order());
        Assert.Empty(result.CancellationRequested);
        Assert.Equal(extended, (await Store.GetAsync(held))!.LeaseExpiresAt);
        Assert.Equal(T0 + Lease, (await Store.GetAsync(stale))!.LeaseExpiresAt);
    }

    [Fact]
    public async Task Heartbeat_keeps_an_extended_lease_from_being_recovered()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        await Store.HeartbeatAsync(new HeartbeatRequest { Leases = [new JobLease(id, claimed.LeaseToken)], LeaseExpiresAt = T0.AddMinutes(10), Now = T0.AddSeconds(20) });
        var recovered = await Store.RecoverExpiredLeasesAsync(T0.AddMinutes(5), 100);

        Assert.Equal(default, recovered);
        Assert.Equal(JobState.Running, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Heartbeat_reports_a_cancellation_request_for_a_held_job()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        Assert.Equal(CancelResult.CancellationRequested, await Store.CancelAsync(id, T0));
        var result = await Store.HeartbeatAsync(new HeartbeatRequest { Leases = [new JobLease(id, claimed.LeaseToken)], LeaseExpiresAt = T0.AddMinutes(1), Now = T0 });

        Assert.Equal([id], result.CancellationRequested);
        Assert.Empty(result.Lost);
        Assert.True((await Store.GetAsync(id))!.CancellationRequested);
    }

    // ---- stale recovery ----

    [Fact]
    public async Task Recovery_returns_an_expired_lease_to_pending_with_the_attempt_counted()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        Assert.Single(await Claim(1));

        Assert.Equal(default, await Store.RecoverExpiredLeasesAsync(T0 + Lease - TimeSpan.FromSeconds(1), 100));
        var result = await Store.RecoverExpiredLeasesAsync(T0 + Lease + TimeSpan.FromSeconds(1), 100);

        Assert.Equal(new RecoveryResult(1, 0), result);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(1, record.Attempts);
        var again = Assert.Single(await Claim(1, now: T0 + Lease + TimeSpan.FromSeconds(2)));
        Assert.Equal(2, again.Attempt);
    }

    [Fact]
    public async Task Recovery_dead_letters_a_job_whose_last_attempt_lost_its_lease()
    {
        var id = await Enqueue(Job("job", maxAttempts: 1));
        Assert.Single(await Claim(1));
        var now = T0 + Lease + TimeSpan.FromSeconds(1);

        var result = await Store.RecoverExpiredLeasesAsync(now, 100);

        Assert.Equal(new RecoveryResult(0, 1), result);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.DeadLettered, record.State);
        Assert.Equal(now, record.FinishedAt);
        Assert.NotNull(record.LastError);
        Assert.Contains("lease", record.LastError.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expired", record.LastError.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Recovery_handles_at_most_max_count_jobs_per_call()
    {
        await Store.EnqueueAsync(Enumerable.Range(0, 5).Select(i => Job($"j{i}", maxAttempts: 2)).ToList(), T0);
        Assert.Equal(5, (await Claim(5)).Count);
        var now = T0 + Lease + TimeSpan.FromSeconds(1);

        var first = await Store.RecoverExpiredLeasesAsync(now, 3);
        var second = await Store.RecoverExpiredLeasesAsync(now, 3);
        var third = await Store.RecoverExpiredLeasesAsync(now, 3);

        Assert.Equal(3, first.Requeued + first.DeadLettered);
        Assert.Equal(2, second.Requeued + second.DeadLettered);
        Assert.Equal(default, third);
        Assert.Equal(5, (await Store.CountAsync(null)).Pending);
    }

    // ---- the lease rule and the progress range (IJobStore remarks): one rule, checked on every backend ----

    [Fact]
    public async Task At_the_instant_of_its_expiry_a_lease_is_still_held_and_not_recoverable()
    {
        var heartbeat = await Enqueue(Job("heartbeat"));
        var progress = await Enqueue(Job("progress"));
        var complete = await Enqueue(Job("complete"));
        var claimed = (await Claim(3)).ToDictionary(c => c.Id);
        var expiry = T0 + Lease;
        Assert.All(claimed.Values, c => Assert.Equal(expiry, c.LeaseExpiresAt));

        Assert.Equal(default, await Store.RecoverExpiredLeasesAsync(expiry, 100));
        var beat = await Store.HeartbeatAsync(new HeartbeatRequest { Leases = [new JobLease(heartbeat, claimed[heartbeat].LeaseToken)], LeaseExpiresAt = expiry.AddMinutes(1), Now = expiry });
        var progressHeld = await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(progress, claimed[progress].LeaseToken), Percent = 10, Message = "at expiry", Now = expiry });
        var rejected = await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(complete, claimed[complete].LeaseToken)], Now = expiry });

        Assert.Empty(beat.Lost);
        Assert.Equal(expiry.AddMinutes(1), (await Store.GetAsync(heartbeat))!.LeaseExpiresAt);
        Assert.True(progressHeld);
        Assert.Equal(10, (await Store.GetAsync(progress))!.ProgressPercent);
        Assert.Empty(rejected);
        Assert.Equal(JobState.Succeeded, (await Store.GetAsync(complete))!.State);
    }

    [Fact]
    public async Task Once_its_expiry_has_passed_a_lease_is_lost_for_heartbeat_progress_and_complete_even_before_recovery()
    {
        var ids = new[] { await Enqueue(Job("a")), await Enqueue(Job("b")), await Enqueue(Job("c")), await Enqueue(Job("d")) };
        var claimed = (await Claim(4)).ToDictionary(c => c.Id);
        var lease = (JobId id) => new JobLease(id, claimed[id].LeaseToken);

        // One millisecond past the expiry: the first instant recovery may take the job back (a step every backend's
        // timestamps can represent).
        var past = T0 + Lease + TimeSpan.FromMilliseconds(1);
        var beat = await Store.HeartbeatAsync(new HeartbeatRequest { Leases = [lease(ids[0])], LeaseExpiresAt = past.AddMinutes(1), Now = past });
        var progressHeld = await Store.ReportProgressAsync(new ProgressRequest { Lease = lease(ids[1]), Percent = 50, Message = "late", Now = past });
        var rejected = await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(ids[2], claimed[ids[2]].LeaseToken), JobCompletion.Failed(ids[3], claimed[ids[3]].LeaseToken, new JobError("E", "late"), past)], Now = past });

        Assert.Equal([ids[0]], beat.Lost);
        Assert.False(progressHeld);
        Assert.Equal([ids[2], ids[3]], rejected.OrderBy(id => id.Value));
        foreach (var id in ids)
        {
            var record = (await Store.GetAsync(id))!;
            Assert.Equal(JobState.Running, record.State);
            Assert.Equal(T0 + Lease, record.LeaseExpiresAt); // the late heartbeat did not extend it
            Assert.Null(record.ProgressPercent);
        }

        // The same instant, recovery takes all four back: never both held and recoverable, never neither.
        Assert.Equal(new RecoveryResult(4, 0), await Store.RecoverExpiredLeasesAsync(past, 100));
        Assert.All(await Claim(10, now: past), c => Assert.Contains(c.Id, ids));
    }

    [Theory]
    [InlineData(-1)] // just below the range
    [InlineData(101)] // just above the range
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public async Task Progress_outside_0_to_100_is_rejected_naming_the_value_and_nothing_is_stored(int percent)
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            async () => await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, claimed.LeaseToken), Percent = percent, Message = "bad", Now = T0 }));

        Assert.Equal(percent, error.ActualValue);
        Assert.Contains(percent.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("0 to 100", error.Message, StringComparison.Ordinal);
        Assert.Null((await Store.GetAsync(id))!.ProgressPercent);

        // The bounds themselves are in range.
        Assert.True(await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, claimed.LeaseToken), Percent = 0, Message = "start", Now = T0 }));
        Assert.True(await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, claimed.LeaseToken), Percent = 100, Message = "done", Now = T0 }));
        Assert.Equal(100, (await Store.GetAsync(id))!.ProgressPercent);
    }
}
