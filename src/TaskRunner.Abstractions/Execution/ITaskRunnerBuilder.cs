using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>Configures TaskRunner inside <c>AddTaskRunner(...)</c>. Backends and features add extension methods to it.</summary>
public interface ITaskRunnerBuilder
{
    /// <summary>The host's service collection.</summary>
    IServiceCollection Services { get; }
}
