using System.Globalization;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>Push wake-ups between real processes on one SQLite file.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessWakeupTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_job_enqueued_by_another_process_wakes_a_worker_whose_next_poll_is_an_hour_away()
    {
        await using var db = await SharedDatabase.CreateAsync();
        // The worker polls once an hour: only a push wake-up can start a job another process enqueues in between.
        using var worker = db.StartWorker("work", "--log", db.File("worker.log"), "--poll-ms", "3600000", "--echo", "yes");
        await worker.WaitUntilReadyAsync(Startup);

        // The first job may be found by the worker's first poll or by a wake-up; once it has run the poller is in its
        // hour-long sleep (the watcher's wake for that job's own completion finds nothing more), so the second job, and
        // the third, can only be started by a wake-up.
        for (var value = 1; value <= 3; value++)
        {
            await db.Client.EnqueueAsync(new Record(value));
            await worker.WaitForLineAsync(line => line == "done " + value.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(30));
        }
    }
}
