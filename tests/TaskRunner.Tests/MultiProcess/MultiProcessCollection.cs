namespace TaskRunner.Tests.MultiProcess;

/// <summary>The multi-process tests run one after another: each starts several worker processes, and on a 2-core machine
/// running them side by side would only slow every one of them down.</summary>
[CollectionDefinition(Name)]
public sealed class MultiProcessCollection
{
    public const string Name = "MultiProcess";
}
