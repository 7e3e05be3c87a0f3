using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>The builder passed to <c>AddTaskRunner</c>.</summary>
internal sealed class TaskRunnerBuilder(IServiceCollection services) : ITaskRunnerBuilder
{
    public IServiceCollection Services { get; } = services;
}
