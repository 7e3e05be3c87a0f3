using System.Text;

namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- complete ----

    [Fact]
    public async Task Complete_succeeded_stores_the_result_and_finishes_the_job()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));
        var resultBytes = Encoding.UTF8.GetBytes("""{"ok":true}""");

        var rejected = await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, claimed.LeaseToken, resultBytes)], Now = T0.AddSeconds(3) });

        Assert.Empty(rejected);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Succeeded, record.State);
        Assert.Equal(resultBytes, record.Result!.Value.ToArray());
        Assert.Equal(T0.AddSeconds(3), record.FinishedAt);
        Assert.Empty(await Claim(10, now: T0.AddHours(1)));
    }

    [Fact]
    public async Task Complete_with_a_stale_lease_token_is_rejected_and_leaves_the_new_owner_untouched()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        var first = Assert.Single(await Claim(1, owner: "old"));
        var later = T0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal(new RecoveryResult(1, 0), await Store.RecoverExpiredLeasesAsync(later, 100));
        var second = Assert.Single(await Claim(1, owner: "new", now: later));

        var rejected = await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, first.LeaseToken, Encoding.UTF8.GetBytes("stale"))], Now = later });
        var progressHeld = await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, first.LeaseToken), Percent = 50, Message = "stale", Now = later });

        Assert.Equal([id], rejected);
        Assert.False(progressHeld);
        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Running, record.State);
        Assert.Equal("new", record.Owner);
        Assert.Equal(second.LeaseToken, record.LeaseToken);
        Assert.Null(record.Result);
        Assert.Null(record.ProgressPercent);

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, second.LeaseToken)], Now = later }));
        Assert.Equal(JobState.Succeeded, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Complete_applies_a_list_and_rejects_only_the_stale_reports()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await Enqueue(Job($"j{i}")));
        }

        var claimed = await Claim(4);
        var completions = claimed.Select((c, i) => JobCompletion.Succeeded(c.Id, i == 2 ? c.LeaseToken + 100 : c.LeaseToken)).ToList();

        var rejected = await Store.CompleteAsync(new CompleteRequest { Completions = completions, Now = T0 });

        Assert.Equal([claimed[2].Id], rejected);
        Assert.Equal(3, (await Store.CountAsync(null)).Succeeded);
        Assert.Equal(1, (await Store.CountAsync(null)).Running);
    }

    [Fact]
    public async Task Complete_of_an_already_finished_job_is_rejected()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, claimed.LeaseToken)], Now = T0 }));

        var rejected = await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.DeadLettered(id, claimed.LeaseToken, new JobError("E", "late"))], Now = T0 });

        Assert.Equal([id], rejected);
        Assert.Equal(JobState.Succeeded, (await Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Failed_job_keeps_its_error_and_is_claimable_again_at_retry_at_not_before()
    {
        var id = await Enqueue(Job("job", maxAttempts: 3));
        var claimed = Assert.Single(await Claim(1));
        var retryAt = T0.AddSeconds(30);
        var error = new JobError("System.InvalidOperationException", "boom", "at Handler.Run()");

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Failed(id, claimed.LeaseToken, error, retryAt)], Now = T0.AddSeconds(1) }));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Failed, record.State);
        Assert.Equal(retryAt, record.RunAt);
        Assert.Equal(error, record.LastError);
        Assert.Equal(1, record.Attempts);
        Assert.Null(record.FinishedAt);
        Assert.Empty(await Claim(1, now: retryAt.AddTicks(-1)));
        var again = Assert.Single(await Claim(1, now: retryAt));
        Assert.Equal(2, again.Attempt);
        Assert.True(again.LeaseToken > claimed.LeaseToken);
    }

    [Fact]
    public async Task Dead_lettered_and_cancelled_outcomes_finish_the_job_with_their_error()
    {
        var dead = await Enqueue(Job("dead"));
        var cancelled = await Enqueue(Job("cancelled"));
        var claimed = await Claim(2);
        var deadError = new JobError("HandlerNotRegistered", "no handler for 'dead'");

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [
            JobCompletion.DeadLettered(dead, claimed.Single(c => c.Id == dead).LeaseToken, deadError),
            JobCompletion.Cancelled(cancelled, claimed.Single(c => c.Id == cancelled).LeaseToken),
        ], Now = T0.AddSeconds(2) }));

        var deadRecord = (await Store.GetAsync(dead))!;
        Assert.Equal(JobState.DeadLettered, deadRecord.State);
        Assert.Equal(deadError, deadRecord.LastError);
        Assert.Equal(T0.AddSeconds(2), deadRecord.FinishedAt);
        var cancelledRecord = (await Store.GetAsync(cancelled))!;
        Assert.Equal(JobState.Cancelled, cancelledRecord.State);
        Assert.Equal(T0.AddSeconds(2), cancelledRecord.FinishedAt);
        Assert.Empty(await Claim(10, now: T0.AddDays(1)));
    }

    [Fact]
    public async Task Released_job_is_pending_again_and_the_attempt_is_not_counted()
    {
        var id = await Enqueue(Job("job", maxAttempts: 1));
        var claimed = Assert.Single(await Claim(1));

        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Released(id, claimed.LeaseToken)], Now = T0 }));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(0, record.Attempts);
        Assert.Null(record.FinishedAt);
        var again = Assert.Single(await Claim(1));
        Assert.Equal(1, again.Attempt);
    }

    [Fact]
    public async Task Progress_is_stored_while_the_lease_is_held()
    {
        var id = await Enqueue(Job("job"));
        var claimed = Assert.Single(await Claim(1));

        Assert.True(await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, claimed.LeaseToken), Percent = 40, Message = "copying", Now = T0 }));
        Assert.True(await Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, claimed.LeaseToken), Percent = 75, Message = "indexing", Now = T0 }));

        var record = (await Store.GetAsync(id))!;
        Assert.Equal(75, record.ProgressPercent);
        Assert.Equal("indexing", record.ProgressMessage);
    }
}
