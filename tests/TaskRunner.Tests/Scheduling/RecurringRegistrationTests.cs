using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Scheduling;

public sealed class RecurringRegistrationTests
{
    [Fact]
    public async Task A_schedule_registered_inside_AddTaskRunner_enqueues_the_job_registered_for_its_payload()
    {
        // AddRecurring runs inside the configure callback, before AddTaskRunner adds its defaults: it must not pick the
        // payload type's name ("Work") instead of the registered job name, nor start the scheduler before the runner's
        // store initializers.
        await using var host = await RunnerHost.StartAsync(
            b => b.AddJob<WorkHandler, Work>("registered-work").AddRecurring("every-minute", "* * * * *", new Work("r")),
            services: s => s.AddSingleton<Probe>());

        var schedule = await host.Services.GetRequiredService<IRecurringJobs>().GetAsync("every-minute");
        Assert.Equal("registered-work", schedule!.Schedule.JobName);
        var hosted = host.Services.GetServices<IHostedService>().ToList();
        Assert.True(hosted.FindIndex(h => h is JobRunner) < hosted.FindIndex(h => h is RecurringScheduler), "The scheduler starts before the job runner has initialized the stores.");
    }
}
