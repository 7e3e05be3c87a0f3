namespace TaskRunner.Tests.Contracts;

/// <summary>The behaviour every <see cref="INodeRegistry"/> must have (SPEC §2, rolling deploys: worker processes
/// register themselves in the store; stale entries expire; pending work is visible by queue and job name).</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract class NodeRegistryContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private INodeRegistry Registry => Factory.NodeRegistry;

    private static NodeRecord Node(string id, DateTimeOffset heartbeat, string[]? queues = null, string[]? jobNames = null, bool any = false) => new()
    {
        Id = id,
        Host = "host-" + id,
        Version = "1.2.3+abc",
        Queues = queues ?? ["default"],
        JobNames = jobNames ?? ["work"],
        ClaimsAnyJobName = any,
        StartedAt = T0,
        LastHeartbeatAt = heartbeat,
    };

    private static NewJob NewJob(string name, string queue = JobOptions.DefaultQueue, DateTimeOffset? runAt = null) => new()
    {
        Name = name,
        Queue = queue,
        RunAt = runAt ?? T0,
        MaxAttempts = 3,
        Tags = [],
        Payload = ReadOnlyMemory<byte>.Empty,
    };

    [Fact]
    public async Task An_upserted_node_is_listed_with_every_field()
    {
        await Registry.UpsertAsync(Node("n1", T0.AddSeconds(5), ["default", "mail"], ["send-email", "work"], any: true));

        var node = Assert.Single(await Registry.ListAsync());
        Assert.Equal("n1", node.Id);
        Assert.Equal("host-n1", node.Host);
        Assert.Equal("1.2.3+abc", node.Version);
        Assert.Equal(["default", "mail"], node.Queues);
        Assert.Equal(["send-email", "work"], node.JobNames);
        Assert.True(node.ClaimsAnyJobName);
        Assert.Equal(T0, node.StartedAt);
        Assert.Equal(T0.AddSeconds(5), node.LastHeartbeatAt);
    }

    [Fact]
    public async Task An_upsert_replaces_the_entry_of_the_same_id_and_nodes_list_by_id()
    {
        await Registry.UpsertAsync(Node("n2", T0));
        await Registry.UpsertAsync(Node("n1", T0));
        await Registry.UpsertAsync(Node("n2", T0.AddSeconds(15), queues: [], jobNames: ["resize"]));

        var nodes = await Registry.ListAsync();

        Assert.Equal(["n1", "n2"], nodes.Select(n => n.Id));
        Assert.Equal(T0.AddSeconds(15), nodes[1].LastHeartbeatAt);
        Assert.Empty(nodes[1].Queues);
        Assert.Equal(["resize"], nodes[1].JobNames);
    }

    [Fact]
    public async Task Remove_deletes_only_that_node_and_says_whether_it_existed()
    {
        await Registry.UpsertAsync(Node("n1", T0));
        await Registry.UpsertAsync(Node("n2", T0));

        Assert.True(await Registry.RemoveAsync("n1"));
        Assert.False(await Registry.RemoveAsync("n1"));

        Assert.Equal("n2", Assert.Single(await Registry.ListAsync()).Id);
    }

    [Fact]
    public async Task Purge_removes_entries_whose_heartbeat_is_before_the_instant_and_keeps_one_exactly_at_it()
    {
        await Registry.UpsertAsync(Node("stale", T0.AddSeconds(-61)));
        await Registry.UpsertAsync(Node("edge", T0.AddSeconds(-60)));
        await Registry.UpsertAsync(Node("live", T0));

        Assert.Equal(1, await Registry.PurgeAsync(T0.AddSeconds(-60)));

        Assert.Equal(["edge", "live"], (await Registry.ListAsync()).Select(n => n.Id));
    }

    [Fact]
    public async Task Pending_work_counts_pending_jobs_by_queue_and_name_and_ignores_other_states()
    {
        var store = Factory.JobStore;
        await store.EnqueueAsync(
        [
            NewJob("work"),
            NewJob("work"),
            NewJob("resize"),
            NewJob("work", queue: "mail"),
            NewJob("claimed", queue: "mail"),

            // Not due yet: a delayed job waits for its time, not for a worker.
            NewJob("later", runAt: T0.AddHours(1)),
        ], T0);
        var claimed = await store.ClaimAsync(new ClaimRequest
        {
            Queue = "mail", MaxCount = 1, Owner = "w", Now = T0, LeaseDuration = TimeSpan.FromSeconds(30), JobNames = new HashSet<string> { "claimed" },
        });
        Assert.Single(claimed);

        var pending = await Registry.ListPendingWorkAsync();

        Assert.Equal(
            [new PendingWork("default", "resize", 1), new PendingWork("default", "work", 2), new PendingWork("mail", "work", 1)],
            pending);
    }
}
