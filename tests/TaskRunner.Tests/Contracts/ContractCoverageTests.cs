using System.Reflection;

namespace TaskRunner.Tests.Contracts;

/// <summary>Fails when a backend has a store factory but misses one of the contract suites.</summary>
public sealed class ContractCoverageTests
{
    private static readonly Type[] Suites =
    [
        typeof(JobStoreContract<>),
        typeof(LockStoreContract<>),
        typeof(ScheduleStoreContract<>),
        typeof(MetadataStoreContract<>),
        typeof(LockProviderContract<>),
        typeof(Events.EventPublishContract<>),
        typeof(NodeRegistryContract<>),
    ];

    [Fact]
    public void Every_store_factory_runs_every_contract_suite()
    {
        var types = typeof(ContractCoverageTests).Assembly.GetTypes();
        var factories = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IStoreFactory).IsAssignableFrom(t)).ToList();
        Assert.NotEmpty(factories);

        var missing = new List<string>();
        foreach (var factory in factories)
        {
            foreach (var suite in Suites)
            {
                var closed = suite.MakeGenericType(factory);
                if (!types.Any(t => t is { IsClass: true, IsAbstract: false } && closed.IsAssignableFrom(t)))
                {
                    missing.Add($"{factory.Name} has no subclass of {suite.Name.Split('`')[0]}<{factory.Name}>");
                }
            }
        }

        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }
}
